# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the module origin_tls_client_auth_info reports: a zone's whole AOP picture, read only.

PRIVATE to the collection: may change without notice. The module runs it in its own process; the action plugin of
the same name runs it in the worker when the task runs on the controller (``plugin_utils/_on_controller.py``).
"""

from __future__ import annotations

import datetime

from ansible_collections.originpulls.aop.plugins.module_utils._aop_precedence import effective_level
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_api import SSL_MODES_FOR_AOP, public_fields
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


INFO_OPTIONS = dict(
    hostnames=dict(type="list", elements="str", default=[]),
    expiry_warning_days=dict(type="int", default=30),
    certificate_path=dict(type="path"),
)


def cloudflare_info(m):
    """Run the report in ``m`` (a CloudflareModule built with INFO_OPTIONS); it ends in m's exit or fail."""
    ours_fp = our_certificate(m)
    m.run(lambda m, zone_id: report(m, zone_id, ours_fp))
