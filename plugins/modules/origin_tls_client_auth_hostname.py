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
extends_documentation_fragment:
  - originpulls.aop.cloudflare
  - originpulls.aop.cloudflare.connection
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
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_module import CloudflareModule
from ansible_collections.originpulls.aop.plugins.module_utils._x509 import pem_fingerprint

MAX_PER_CERTIFICATE = 100
HOSTNAME = re.compile(r"^(?=.{1,255}$)(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$")
SHOWN = ("hostname", "cert_id", "enabled", "status", "cert_status")


def binding_text(binding):
    """'<cert id> enabled=<bool>' for a live association, else None (for the diff)."""
    if binding and binding.get("cert_id") and binding.get("enabled") is not None:
        return "%s enabled=%s" % (binding.get("cert_id"), binding.get("enabled"))
    return None


def checked_input(m):
    """(hostnames, fingerprint of the given certificate or None), judged before any call."""
    p = m.params
    names = [h.strip().lower().rstrip(".") for h in p["hostnames"]]
    bad = [h for h in names if not HOSTNAME.match(h)]
    if bad:
        m.fail("not valid hostnames: %s" % ", ".join(bad))
    if len(set(names)) > MAX_PER_CERTIFICATE:
        m.fail("%d hostnames for one certificate: Cloudflare allows at most %d associations per certificate" % (len(set(names)), MAX_PER_CERTIFICATE))
    fingerprint = None
    if p["certificate"] or p["certificate_path"]:
        text = m.read_file(p["certificate_path"], "the certificate") if p["certificate_path"] else p["certificate"]
        fingerprint = pem_fingerprint(text)
        if fingerprint is None:
            m.fail("certificate is not a PEM certificate")
    return sorted(set(names)), fingerprint


def bind(m, zone_id, names, fingerprint):
    want_enabled = {"enabled": True, "disabled": False, "absent": None}[m.params["state"]]
    cert_id = m.params["cert_id"]
    if fingerprint:
        found = CertificateStore(m.api, zone_id, "hostname").find(fingerprint)
        if found is None:
            m.fail("no hostname certificate with that content is uploaded to zone %s: upload it first" % zone_id)
        cert_id = found["id"]
    current = {name: m.api.hostname_binding(zone_id, name) for name in names}
    config = []
    for name, cur in current.items():
        if want_enabled is None:
            if cur is not None and cur.get("enabled") is not None:
                config.append({"hostname": name, "cert_id": cur.get("cert_id") or cert_id, "enabled": None})
        elif cur is None or cur.get("cert_id") != cert_id or cur.get("enabled") is not want_enabled:
            config.append({"hostname": name, "cert_id": cert_id, "enabled": want_enabled})
    m.result["changed_hostnames"] = [c["hostname"] for c in config]
    after = {n: dict(c or {}) for n, c in current.items()}
    if config:
        m.result["changed"] = True
        if m.check_mode:
            after.update({c["hostname"]: dict(c) for c in config})
        else:
            after.update({item.get("hostname"): item for item in m.api.put_hostname_bindings(zone_id, config)})
    m.result["hostnames"] = [{k: after[n].get(k) for k in SHOWN if k in after[n]} or dict(hostname=n) for n in sorted(after)]
    m.diff({n: binding_text(c) for n, c in current.items()}, {n: binding_text(a) for n, a in after.items()})


def main():
    m = CloudflareModule(
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
    m.result["changed_hostnames"] = []
    names, fingerprint = checked_input(m)
    m.run(lambda m, zone_id: bind(m, zone_id, names, fingerprint))


if __name__ == "__main__":
    main()
