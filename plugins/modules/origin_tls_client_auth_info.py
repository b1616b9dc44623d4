#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: origin_tls_client_auth_info
short_description: Report a zone's whole Authenticated Origin Pulls picture
version_added: 0.1.0
description:
  - Returns, in one task, everything that decides which client certificate Cloudflare presents to the
    zone's origins - the SSL/TLS mode, global AOP (C(tls_client_auth)), zone-level AOP (enablement and
    uploaded certificates with status and expiry), per-hostname certificates, and the bindings of the
    hostnames named in O(hostnames).
  - Cloudflare's precedence is per-hostname, then zone-level, then global; RV(effective) applies it.
  - Only reads (5 GET calls, plus one per hostname, plus one when the zone is given by name).
author: originpulls.aop maintainers (@originpulls)
extends_documentation_fragment:
  - originpulls.aop.cloudflare
  - originpulls.aop._attributes.info_module
options:
  hostnames:
    description:
      - Hostnames whose per-hostname binding to report. The API has no call that lists all bindings.
    type: list
    elements: str
    default: []
  certificate_path:
    description:
      - Your own client certificate (PEM, on the controller). When set, RV(ours) tells which zone-level and which
        per-hostname certificate at Cloudflare it is (found by content), so a caller can tell whether Cloudflare
        presents it.
    type: path
  expiry_warning_days:
    description: Certificates that expire within this many days are listed in RV(findings).
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Read the AOP state of a zone
  originpulls.aop.origin_tls_client_auth_info:
    zone: example.com
    hostnames: [www.example.com, api.example.com]
  delegate_to: localhost
  register: aop

- name: Stop when global AOP is off
  ansible.builtin.assert:
    that: aop.tls_client_auth.value == 'on'
"""

RETURN = r"""
zone_id:
  description: Id of the zone.
  returned: success
  type: str
ssl_mode:
  description: The zone's SSL/TLS encryption mode, and whether AOP applies in it (Full or higher).
  returned: success
  type: dict
  sample: {"value": "strict", "aop_applies": true, "editable": true}
tls_client_auth:
  description: Global AOP setting.
  returned: success
  type: dict
  sample: {"value": "on", "editable": true, "modified_on": "2026-11-28T10:00:00Z"}
zone_level:
  description: Zone-level AOP - enablement and the uploaded certificates (without PEM text).
  returned: success
  type: dict
  sample:
    enabled: true
    certificates:
      - id: 2458ce5a-0c35-4c7f-82c7-8e9487d3ff60
        status: active
        expires_on: "2027-11-28T00:00:00Z"
        days_remaining: 365
        issuer: CN=Example Client CA
hostname_certificates:
  description: Per-hostname certificates uploaded to the zone (without PEM text).
  returned: success
  type: list
  elements: dict
hostnames:
  description: Binding of each hostname in O(hostnames); its C(associated) is false when there is none.
  returned: success
  type: list
  elements: dict
  sample: [{"hostname": "www.example.com", "associated": true, "cert_id": "…", "enabled": true, "status": "active"}]
effective:
  description:
    - Which certificate Cloudflare presents, by precedence (per-hostname > zone-level > global).
    - A hostname whose binding is disabled gets none (V(none)), even with zone-level or global AOP on.
  returned: success
  type: dict
  sample: {"default": "global", "hostnames": {"www.example.com": "per_hostname"}}
ours:
  description: Your certificate at Cloudflare (ids of the zone-level and per-hostname certificates with its content, or null).
  returned: when O(certificate_path) is set
  type: dict
  sample: {"sha256_fingerprint": "AB:CD:…", "zone_level": "2458ce5a-0c35-4c7f-82c7-8e9487d3ff60", "hostname": null}
findings:
  description: Expiring certificates and inconsistent states worth a look (each is also shown as a warning).
  returned: success
  type: list
  elements: str
api_calls:
  description: The API calls this run made.
  returned: always
  type: list
  elements: dict
"""

import datetime

from ansible_collections.originpulls.aop.plugins.module_utils._aop_precedence import effective_level
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare import (
    SSL_MODES_FOR_AOP,
    CloudflareError,
    api_calls,
    client_from_module,
    cloudflare_module,
    resolve_zone,
)
from ansible_collections.originpulls.aop.plugins.module_utils._x509 import pem_fingerprint

CERT_FIELDS = ("id", "status", "enabled", "issuer", "signature", "serial_number", "expires_on", "uploaded_on", "updated_at")


def days_remaining(expires_on, now):
    if not expires_on:
        return None
    try:
        when = datetime.datetime.strptime(expires_on[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    return int((when - now).total_seconds() // 86400)


def summarize(cert, now):
    out = {k: cert.get(k) for k in CERT_FIELDS if k in cert}
    out["days_remaining"] = days_remaining(cert.get("expires_on"), now)
    return out


def main():
    module = cloudflare_module(
        dict(
            hostnames=dict(type="list", elements="str", default=[]),
            expiry_warning_days=dict(type="int", default=30),
            certificate_path=dict(type="path"),
        )
    )
    client = client_from_module(module)
    now = datetime.datetime.now(datetime.timezone.utc)
    window = module.params["expiry_warning_days"]
    ours_fp = None
    if module.params["certificate_path"]:
        try:
            with open(module.params["certificate_path"]) as fh:
                ours_fp = pem_fingerprint(fh.read())
        except OSError as exc:
            module.fail_json(msg="cannot read certificate_path %s: %s" % (module.params["certificate_path"], exc))
        if ours_fp is None:
            module.fail_json(msg="certificate_path %s holds no PEM certificate" % module.params["certificate_path"])
    result = dict(changed=False)
    findings = []
    try:
        zone_id = resolve_zone(module, client)
        base = "/zones/%s/origin_tls_client_auth" % zone_id
        result["zone_id"] = zone_id
        ssl = client.get_setting(zone_id, "ssl")
        tca = client.get_setting(zone_id, "tls_client_auth")
        result["ssl_mode"] = dict(value=ssl.get("value"), aop_applies=ssl.get("value") in SSL_MODES_FOR_AOP, editable=ssl.get("editable", True))
        result["tls_client_auth"] = dict(value=tca.get("value"), editable=tca.get("editable", True), modified_on=tca.get("modified_on"))
        zone_enabled = bool(client.get(base + "/settings").get("enabled"))
        zone_raw = client.get(base) or []
        zone_certs = [summarize(c, now) for c in zone_raw]
        result["zone_level"] = dict(enabled=zone_enabled, certificates=zone_certs)
        host_raw = client.get(base + "/hostnames/certificates") or []
        host_certs = [summarize(c, now) for c in host_raw]
        if ours_fp is not None:
            result["ours"] = dict(
                sha256_fingerprint=ours_fp,
                zone_level=next((c.get("id") for c in zone_raw if pem_fingerprint(c.get("certificate") or "") == ours_fp), None),
                hostname=next((c.get("id") for c in host_raw if pem_fingerprint(c.get("certificate") or "") == ours_fp), None),
            )
        result["hostname_certificates"] = host_certs
        bindings = []
        for name in module.params["hostnames"]:
            try:
                b = client.get(base + "/hostnames/%s" % name)
            except CloudflareError as exc:
                if exc.status == 404:
                    bindings.append(dict(hostname=name, associated=False))
                    continue
                raise
            item = {k: b.get(k) for k in ("hostname", "cert_id", "enabled", "status", "cert_status", "expires_on", "issuer", "serial_number")}
            item["associated"] = b.get("cert_id") is not None and b.get("enabled") is not None
            item["days_remaining"] = days_remaining(b.get("expires_on"), now)
            bindings.append(item)
        result["hostnames"] = bindings

        active_zone = [c for c in zone_certs if c.get("status") == "active"]
        if zone_enabled and active_zone:
            default = "zone_level"
        elif tca.get("value") == "on":
            default = "global"
        else:
            default = "none"
        effective = dict(default=default, hostnames={})
        associated = {b["hostname"]: {"enabled": b.get("enabled"), "active": b.get("status") == "active"} for b in bindings if b.get("associated")}
        for b in bindings:
            # A binding with enabled=false gets no certificate, even with zone-level AOP on.
            effective["hostnames"][b["hostname"]] = effective_level(b["hostname"], tca.get("value") == "on", default == "zone_level", associated)
        result["effective"] = effective

        if (tca.get("value") == "on" or zone_enabled) and not result["ssl_mode"]["aop_applies"]:
            findings.append("AOP is switched on but the SSL mode %r is below Full, so Cloudflare does not apply it" % ssl.get("value"))
        if zone_enabled and not active_zone:
            findings.append("zone-level AOP is enabled but no zone certificate is active")
        for kind, certs in (("zone-level", zone_certs), ("hostname", host_certs)):
            for c in certs:
                d = c.get("days_remaining")
                if d is not None and d < window:
                    findings.append("%s certificate %s %s" % (kind, c.get("id"), "expired %d days ago" % -d if d < 0 else "expires in %d days" % d))
    except CloudflareError as exc:
        module.fail_json(msg=str(exc), api_calls=api_calls(client), **result)
    for finding in findings:
        module.warn(finding)
    result["findings"] = findings
    module.exit_json(api_calls=api_calls(client), **result)


if __name__ == "__main__":
    main()
