#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: origin_tls_client_auth_hostname
short_description: Bind hostnames to a per-hostname Authenticated Origin Pulls certificate
version_added: 0.1.0
description:
  - Associates hostnames with a per-hostname certificate (M(originpulls.aop.origin_tls_client_auth_hostname_certificate))
    and enables, disables or removes the association (C(PUT /zones/{zone_id}/origin_tls_client_auth/hostnames)).
  - Per-hostname AOP takes precedence over zone-level and global AOP for those hostnames.
  - Cloudflare's limit of 100 hostnames per certificate and the hostname syntax are checked before any call.
  - Reads each hostname's association (one GET each); one PUT carries only the hostnames that must change.
author: originpulls.aop maintainers (@originpulls)
extends_documentation_fragment:
  - originpulls.aop.cloudflare
  - originpulls.aop._attributes
options:
  hostnames:
    description: The hostnames (as the origin sees them).
    type: list
    elements: str
    required: true
  cert_id:
    description: Id of the hostname certificate. Or give O(certificate) / O(certificate_path) to find it by content.
    type: str
  certificate:
    description: The hostname certificate (PEM), to find its id.
    type: str
  certificate_path:
    description: A PEM file with the hostname certificate, on the host the module runs on.
    type: path
  state:
    description:
      - V(enabled) - Cloudflare presents the certificate to these hostnames.
      - V(disabled) - associated but not presented ("will not be sent to the hostname even if activated at the zone level").
      - V(absent) - the association is removed (C(enabled=null)).
    type: str
    choices: [enabled, disabled, absent]
    default: enabled
"""

EXAMPLES = r"""
- name: Present our certificate to two hostnames
  originpulls.aop.origin_tls_client_auth_hostname:
    zone: example.com
    hostnames: [app.example.com, api.example.com]
    cert_id: "{{ hostname_cert.certificate.id }}"
  delegate_to: localhost
"""

RETURN = r"""
zone_id:
  description: Id of the zone.
  returned: success
  type: str
changed_hostnames:
  description: The hostnames whose association changed (or would in check mode).
  returned: success
  type: list
  elements: str
hostnames:
  description: Each hostname's association after the run.
  returned: success
  type: list
  elements: dict
api_calls:
  description: The API calls this run made.
  returned: always
  type: list
  elements: dict
"""

import re

from ansible_collections.originpulls.aop.plugins.module_utils._aop_certificates import CertificateStore
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare import (
    CloudflareError,
    api_calls,
    client_from_module,
    cloudflare_module,
    resolve_zone,
)
from ansible_collections.originpulls.aop.plugins.module_utils._x509 import pem_fingerprint

MAX_PER_CERTIFICATE = 100
HOSTNAME = re.compile(r"^(?=.{1,255}$)(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$")


def main():
    module = cloudflare_module(
        dict(
            hostnames=dict(type="list", elements="str", required=True),
            cert_id=dict(type="str"),
            certificate=dict(type="str"),
            certificate_path=dict(type="path"),
            state=dict(type="str", default="enabled", choices=["enabled", "disabled", "absent"]),
        ),
        mutually_exclusive=[("cert_id", "certificate", "certificate_path")],
        required_one_of=[("cert_id", "certificate", "certificate_path")],
    )
    p = module.params
    names = [h.strip().lower().rstrip(".") for h in p["hostnames"]]
    bad = [h for h in names if not HOSTNAME.match(h)]
    if bad:
        module.fail_json(msg="not valid hostnames: %s" % ", ".join(bad))
    if len(set(names)) > MAX_PER_CERTIFICATE:
        module.fail_json(
            msg="%d hostnames for one certificate: Cloudflare allows at most %d associations per certificate" % (len(set(names)), MAX_PER_CERTIFICATE)
        )
    fingerprint = None
    if p["certificate"] or p["certificate_path"]:
        text = p["certificate"]
        if p["certificate_path"]:
            try:
                with open(p["certificate_path"]) as fh:
                    text = fh.read()
            except OSError as exc:
                module.fail_json(msg="cannot read %s: %s" % (p["certificate_path"], exc))
        fingerprint = pem_fingerprint(text)
        if fingerprint is None:
            module.fail_json(msg="certificate is not a PEM certificate")
    want_enabled = {"enabled": True, "disabled": False, "absent": None}[p["state"]]
    client = client_from_module(module)
    result = dict(changed=False, changed_hostnames=[])
    try:
        zone_id = resolve_zone(module, client)
        result["zone_id"] = zone_id
        cert_id = p["cert_id"]
        if fingerprint:
            found = CertificateStore(client, zone_id, "hostname").find(fingerprint)
            if found is None:
                module.fail_json(msg="no hostname certificate with that content is uploaded to zone %s: upload it first" % zone_id, api_calls=api_calls(client))
            cert_id = found["id"]
        base = "/zones/%s/origin_tls_client_auth/hostnames" % zone_id
        current = {}
        for name in sorted(set(names)):
            try:
                current[name] = client.get("%s/%s" % (base, name))
            except CloudflareError as exc:
                if exc.status != 404:
                    raise
                current[name] = None
        config = []
        for name, cur in current.items():
            if want_enabled is None:
                if cur is not None and cur.get("enabled") is not None:
                    config.append({"hostname": name, "cert_id": cur.get("cert_id") or cert_id, "enabled": None})
            elif cur is None or cur.get("cert_id") != cert_id or cur.get("enabled") is not want_enabled:
                config.append({"hostname": name, "cert_id": cert_id, "enabled": want_enabled})
        result["changed_hostnames"] = [c["hostname"] for c in config]
        after = dict((n, dict(c or {})) for n, c in current.items())
        if config:
            result["changed"] = True
            if not module.check_mode:
                for item in client.request("PUT", base, body={"config": config})["result"] or []:
                    after[item.get("hostname")] = item
            else:
                for c in config:
                    after[c["hostname"]] = dict(hostname=c["hostname"], cert_id=c["cert_id"], enabled=c["enabled"])
        keys = ("hostname", "cert_id", "enabled", "status", "cert_status")
        result["hostnames"] = [dict((k, after[n].get(k)) for k in keys if k in after[n]) or dict(hostname=n) for n in sorted(after)]
        if module._diff:  # pylint: disable=protected-access
            result["diff"] = dict(
                before=dict((n, (c or {}).get("cert_id") and "%s enabled=%s" % (c.get("cert_id"), c.get("enabled"))) for n, c in current.items()),
                after=dict(
                    (n, a.get("cert_id") and a.get("enabled") is not None and "%s enabled=%s" % (a.get("cert_id"), a.get("enabled"))) for n, a in after.items()
                ),
            )
    except CloudflareError as exc:
        module.fail_json(msg=str(exc), api_calls=api_calls(client), **result)
    module.exit_json(api_calls=api_calls(client), **result)


if __name__ == "__main__":
    main()
