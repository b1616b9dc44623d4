"""The audit's bookkeeping: plan the direct requests, reconcile DNS with the inventory, assemble the findings."""

from __future__ import annotations

from ansible_collections.originpulls.aop.plugins.module_utils import _audit_findings as f
from ansible_collections.originpulls.aop.plugins.module_utils import _audit_report as r

CF_CA = {"subject": "CN=Origin Pull CA", "sha256_fingerprint": "AA:BB", "not_after": "2029-11-01T17:00:00Z", "days_remaining": 1069, "level": "global"}
OTHER_FP = "CC:DD"

DNS = {
    "192.0.2.10": {"example.com": ["www.example.com"]},
    "192.0.2.11": {"example.com": ["www.example.com", "api.example.com"]},
    "198.51.100.7": {"example.org": ["shop.example.org"]},  # nobody's inventory has it
    "203.0.113.1": {"example.net": ["other.example.net"]},  # a zone not audited
}


def facts(stage, fps=("AA:BB",), server="nginx"):
    return {"changed": False, "server": server, "running": True, "config_ok": True, "stage": stage, "trusted_ca_sha256": list(fps)}


def origins(**over):
    base = {
        "web1": {"host": "web1", "address": "192.0.2.10", "probe_host": "127.0.0.1", "probe_port": 8443, "facts": facts("require")},
        "web2": {"host": "web2", "address": "192.0.2.11", "facts": facts("require")},
    }
    for k, v in over.items():
        base[k] = dict(base[k], **v)
    return list(base.values())


INFO = {
    "example.com": {
        "zone_id": "c" * 32,
        "ssl_mode": {"value": "strict"},
        "tls_client_auth": {"value": "on"},
        "zone_level": {"enabled": False, "certificates": []},
        "hostname_certificates": [{"id": "h1", "status": "active", "issuer": "CN=own", "expires_on": "2027-01-01T00:00:00Z", "days_remaining": 400}],
        "hostnames": [{"hostname": "api.example.com", "associated": True, "cert_id": "h1", "enabled": False}],
        "effective": {"default": "global", "hostnames": {"www.example.com": "global", "api.example.com": "none"}},
    },
    "example.org": {
        "zone_id": "d" * 32,
        "ssl_mode": {"value": "full"},
        "tls_client_auth": {"value": "on"},
        "zone_level": {"enabled": False, "certificates": []},
        "hostname_certificates": [],
        "hostnames": [],
        "effective": {"default": "global", "hostnames": {"shop.example.org": "global"}},
    },
}
ZONES = [{"name": n, "info": i} for n, i in INFO.items()]

REJECT = {"outcome": "tls_rejected", "refused": True, "detail": "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required (_ssl.c:2648)"}
NGINX_400 = {"outcome": "400", "refused": True, "detail": "HTTP/1.1 400 Bad Request"}
SERVED = {"outcome": "200", "refused": False, "detail": "HTTP/1.1 200 OK"}


def probes(plan, answer):
    """tls_probe loop results: answer(target) -> result; the target is the item."""
    return [dict(answer(t), item=t) for t in plan["targets"]]


def flat(results):
    return [dict(p, **p["item"]) for p in results]


def test_plan_every_hostname_x_origin_twice_where_to_connect():
    p = f.plan(DNS, origins(), ["example.com", "example.org"], {"198.51.100.7": {"host": "127.0.0.1", "port": 9443}})
    assert p["zone_hostnames"] == {"example.com": ["api.example.com", "www.example.com"], "example.org": ["shop.example.org"]}
    pairs = {(t["hostname"], t["origin"], t["connect"], t["port"], t["kind"]) for t in p["targets"]}
    assert len(p["targets"]) == 8 and len(pairs) == 8
    assert ("www.example.com", "192.0.2.10", "127.0.0.1", 8443, "no_certificate") in pairs  # the inventory's probe address
    assert ("www.example.com", "192.0.2.11", "192.0.2.11", 443, "wrong_ca") in pairs  # the address itself
    assert ("shop.example.org", "198.51.100.7", "127.0.0.1", 9443, "wrong_ca") in pairs  # probe_targets
    assert not any(t["hostname"] == "other.example.net" for t in p["targets"])


def test_without_dns_the_inventory_names_are_the_hostnames():
    inv = [{"host": "web1", "address": "Web1.Example.NET.", "served_names": ["www.example.com", "fe_https"]}]
    p = f.plan({}, inv, ["example.com"])
    assert p["zone_hostnames"] == {"example.com": ["www.example.com"]}
    assert {t["origin"] for t in p["targets"]} == {"web1.example.net"}


def test_evidence_of_each_outcome():
    assert f.evidence(REJECT) == {"result": "refused", "http_status": None, "tls_alert": "certificate required", "detail": REJECT["detail"]}
    assert f.evidence(NGINX_400)["result"] == "refused" and f.evidence(NGINX_400)["http_status"] == 400
    assert f.evidence(SERVED)["result"] == "served" and f.evidence(SERVED)["http_status"] == 200
    assert f.evidence({"outcome": "unreachable", "refused": False, "detail": "cannot connect"})["result"] == "unreachable"
    assert f.evidence({"failed": True, "msg": "boom"})["result"] == "unreachable"


def test_a_protected_fleet_is_clean():
    dns = {k: v for k, v in DNS.items() if k != "198.51.100.7"}
    zones = [{"name": "example.com", "info": dict(INFO["example.com"], effective={"default": "global", "hostnames": {}})}]
    p = f.plan(dns, origins(), ["example.com"])
    findings = f.assemble(dns, origins(), zones, [CF_CA], flat(probes(p, lambda t: REJECT)))
    report = r.build_report(findings)
    assert report["summary"]["failed"] is False, report["summary"]
    assert report["summary"]["protected"] == 3 and report["notices"] == []
    web1 = next(o for o in findings["origins"] if o["host"] == "web1")
    assert web1["trusted_ca"]["subject"] == "CN=Origin Pull CA" and web1["trusted_ca"]["days_to_expiry"] == 1069
    assert web1["drift"] is False and web1["in_inventory"] is True


def test_each_finding_is_named():
    # web1 left at optional (its stage file says so, and it serves without a certificate); web2 at require trusting
    # another CA; 198.51.100.7 in DNS only, serving; api.example.com's binding disabled.
    inv = origins(web1={"facts": facts("optional")}, web2={"facts": facts("require", fps=(OTHER_FP,), server="apache")})
    p = f.plan(DNS, inv, ["example.com", "example.org"])

    def answer(t):
        if t["origin"] == "192.0.2.10" and t["kind"] == "no_certificate":
            return SERVED
        if t["origin"] == "198.51.100.7":
            return SERVED
        return REJECT

    findings = f.assemble(DNS, inv, ZONES, [CF_CA], flat(probes(p, answer)))
    report = r.build_report(findings)
    states = {(h["name"], c["origin"]): c["state"] for z in report["zones"] for h in z["hostnames"] for c in h["cells"]}
    assert states[("www.example.com", "192.0.2.10")] == "exposed"
    assert states[("shop.example.org", "198.51.100.7")] == "exposed"
    # refused directly, but Cloudflare's own pulls are refused too: no AOP in force for api, web2 trusts another CA for www
    assert states[("api.example.com", "192.0.2.11")] == "broken"
    assert states[("www.example.com", "192.0.2.11")] == "broken"
    web2 = next(o for o in findings["origins"] if o["host"] == "web2")
    assert web2["pulls_refused"] == {
        "www.example.com": "at require it trusts a CA the audit was not given, not the CA of Cloudflare's global certificate presented for this hostname"
    }
    notices = "\n".join(report["notices"])
    assert "origin 198.51.100.7 is in DNS but not in the operator's inventory" in notices
    assert "hostname api.example.com (zone example.com): no AOP in force" in notices
    assert (
        "origin 192.0.2.11 (web2): at require it trusts a CA the audit was not given,"
        " not the CA of Cloudflare's global certificate presented for www.example.com"
    ) in notices
    reasons = report["summary"]["reasons"]
    assert reasons[0] == "2 hostname/origin pair(s) exposed"
    assert reasons[1] == "2 hostname/origin pair(s) broken: the origin refuses Cloudflare's own pulls"
    assert "1 proxied hostname(s) without AOP in force: api.example.com" in reasons
    assert "1 origin(s) with problems: 192.0.2.11" in reasons
    api = next(c for c in report["zones"][0]["certificates"] if c["level"] == "hostname")
    assert "binding disabled: api.example.com" in api["name"] and api["hostnames"] == []


def test_drift_is_what_the_stage_file_says_against_what_the_origin_does():
    inv = origins()  # both say require
    dns = {"192.0.2.10": DNS["192.0.2.10"]}
    p = f.plan(dns, inv, ["example.com"])
    findings = f.assemble(dns, inv, ZONES[:1], [CF_CA], flat(probes(p, lambda t: SERVED)))
    web1 = next(o for o in findings["origins"] if o["host"] == "web1")
    assert web1["drift"] is True
    assert web1["drift_evidence"] == [
        "stage file says require, but www.example.com was served without a client certificate",
        "stage file says require, but www.example.com was served with a wrong-CA certificate",
    ]
    web2 = next(o for o in findings["origins"] if o["host"] == "web2")
    assert web2["drift"] is False  # not behind any audited hostname: nothing says otherwise


def test_an_origin_not_observed_is_a_problem():
    inv = origins(web2={"facts": {"unreachable": True, "msg": "Failed to connect to the host via ssh"}})
    p = f.plan(DNS, inv, ["example.com"])
    findings = f.assemble(DNS, inv, ZONES[:1], [CF_CA], flat(probes(p, lambda t: REJECT)))
    web2 = next(o for o in findings["origins"] if o["host"] == "web2")
    assert web2["stage"] is None and web2["problems"] == ["not observed (unreachable, or webserver_status failed): Failed to connect to the host via ssh"]
