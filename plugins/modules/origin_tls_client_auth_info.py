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
extends_documentation_fragment:
  - originpulls.aop.cloudflare
  - originpulls.aop.cloudflare.connection
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
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_api import SSL_MODES_FOR_AOP, public_fields
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_module import CloudflareModule
from ansible_collections.originpulls.aop.plugins.module_utils._x509 import pem_fingerprint

BINDING_FIELDS = ("hostname", "cert_id", "enabled", "status", "cert_status", "expires_on", "issuer", "serial_number")


def days_remaining(expires_on, now):
    if not expires_on:
        return None
    try:
        when = datetime.datetime.strptime(expires_on[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    return int((when - now).total_seconds() // 86400)


def summarize(cert, now):
    return dict(public_fields(cert), days_remaining=days_remaining(cert.get("expires_on"), now))


def our_certificate(m):
    """The fingerprint of the certificate named by certificate_path, or None; read before any call."""
    path = m.params["certificate_path"]
    if not path:
        return None
    fingerprint = pem_fingerprint(m.read_file(path, "certificate_path"))
    if fingerprint is None:
        m.fail("certificate_path %s holds no PEM certificate" % path)
    return fingerprint


def bindings(m, zone_id, now):
    out = []
    for name in m.params["hostnames"]:
        b = m.api.hostname_binding(zone_id, name)
        if b is None:
            out.append(dict(hostname=name, associated=False))
            continue
        item = {k: b.get(k) for k in BINDING_FIELDS}
        item["associated"] = b.get("cert_id") is not None and b.get("enabled") is not None
        item["days_remaining"] = days_remaining(b.get("expires_on"), now)
        out.append(item)
    return out


def findings(result, zone_certs, host_certs, window):
    found = []
    if (result["tls_client_auth"]["value"] == "on" or result["zone_level"]["enabled"]) and not result["ssl_mode"]["aop_applies"]:
        found.append("AOP is switched on but the SSL mode %r is below Full, so Cloudflare does not apply it" % result["ssl_mode"]["value"])
    if result["zone_level"]["enabled"] and not any(c.get("status") == "active" for c in zone_certs):
        found.append("zone-level AOP is enabled but no zone certificate is active")
    for kind, certs in (("zone-level", zone_certs), ("hostname", host_certs)):
        for c in certs:
            d = c.get("days_remaining")
            if d is not None and d < window:
                found.append("%s certificate %s %s" % (kind, c.get("id"), "expired %d days ago" % -d if d < 0 else "expires in %d days" % d))
    return found


def report(m, zone_id, ours_fp):
    now = datetime.datetime.now(datetime.timezone.utc)
    r = m.result
    ssl = m.api.setting(zone_id, "ssl")
    tca = m.api.setting(zone_id, "tls_client_auth")
    r["ssl_mode"] = dict(value=ssl.get("value"), aop_applies=ssl.get("value") in SSL_MODES_FOR_AOP, editable=ssl.get("editable", True))
    r["tls_client_auth"] = dict(value=tca.get("value"), editable=tca.get("editable", True), modified_on=tca.get("modified_on"))
    zone_enabled = m.api.zone_aop_enabled(zone_id)
    zone_raw = m.api.certificates(zone_id, "zone")
    zone_certs = [summarize(c, now) for c in zone_raw]
    r["zone_level"] = dict(enabled=zone_enabled, certificates=zone_certs)
    host_raw = m.api.certificates(zone_id, "hostname")
    host_certs = [summarize(c, now) for c in host_raw]
    if ours_fp is not None:
        r["ours"] = dict(
            sha256_fingerprint=ours_fp,
            zone_level=next((c.get("id") for c in zone_raw if pem_fingerprint(c.get("certificate") or "") == ours_fp), None),
            hostname=next((c.get("id") for c in host_raw if pem_fingerprint(c.get("certificate") or "") == ours_fp), None),
        )
    r["hostname_certificates"] = host_certs
    r["hostnames"] = bindings(m, zone_id, now)

    if zone_enabled and any(c.get("status") == "active" for c in zone_certs):
        default = "zone_level"
    elif tca.get("value") == "on":
        default = "global"
    else:
        default = "none"
    associated = {b["hostname"]: {"enabled": b.get("enabled"), "active": b.get("status") == "active"} for b in r["hostnames"] if b.get("associated")}
    # A binding with enabled=false gets no certificate, even with zone-level AOP on.
    levels = {b["hostname"]: effective_level(b["hostname"], tca.get("value") == "on", default == "zone_level", associated) for b in r["hostnames"]}
    r["effective"] = dict(default=default, hostnames=levels)
    r["findings"] = findings(r, zone_certs, host_certs, m.params["expiry_warning_days"])
    for finding in r["findings"]:
        m.warn(finding)


def main():
    m = CloudflareModule(
        dict(
            hostnames=dict(type="list", elements="str", default=[]),
            expiry_warning_days=dict(type="int", default=30),
            certificate_path=dict(type="path"),
        )
    )
    ours_fp = our_certificate(m)
    m.run(lambda m, zone_id: report(m, zone_id, ours_fp))


if __name__ == "__main__":
    main()
