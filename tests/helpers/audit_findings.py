"""Exposure-audit findings for the report tests: two zones, every cell state, and the states they must give.

The two ``broken`` cells are the mistakes that refuse Cloudflare's own pulls while refusing direct requests too:
pay.example.com has no AOP in force (its per-hostname binding disabled), and web4 is at require trusting a CA
that is not the one of the certificate Cloudflare presents for static.example.org.
"""

from __future__ import annotations

import copy

REFUSED_TLS = {"result": "refused", "http_status": None, "tls_alert": "certificate required", "detail": None}
REFUSED_UNKNOWN_CA = {"result": "refused", "http_status": None, "tls_alert": "unknown ca", "detail": None}
REFUSED_HTTP = {"result": "refused", "http_status": 400, "tls_alert": None, "detail": "No required SSL certificate was sent"}
SERVED = {"result": "served", "http_status": 200, "tls_alert": None, "detail": "<b>welcome</b> & hello"}
UNREACHABLE = {"result": "unreachable", "http_status": None, "tls_alert": None, "detail": "connection timed out"}


def probe(hostname, origin, no_certificate, wrong_ca):
    return {"hostname": hostname, "origin": origin, "no_certificate": no_certificate, "wrong_ca": wrong_ca}


_FINDINGS = {
    "zones": [
        {
            "name": "example.org",
            "id": "b7e2c1d0a9f84e3c8d6b5a4f3e2d1c0b",
            "ssl_mode": "full",
            "hostnames": {
                "shop.example.org": {"level": "zone", "origins": ["192.0.2.12", "198.51.100.7"]},
                "static.example.org": {"level": "zone", "origins": ["192.0.2.10", "192.0.2.13"]},
                "blog.example.org": {"level": "zone", "origins": ["192.0.2.10"]},
            },
            "certificates": [
                {"name": "Cloudflare origin-pull CA", "level": "global", "status": "active", "expires_on": "2029-10-31", "days_to_expiry": 1064},
                {"name": "CN=originpulls.aop client", "level": "zone", "status": "active", "expires_on": "2027-12-01", "days_to_expiry": 368},
            ],
        },
        {
            "name": "example.com",
            "id": "023e105f4ecef8ad9ca31a8372d0c353",
            "ssl_mode": "strict",
            "hostnames": {
                "www.example.com": {"level": "global", "origins": ["192.0.2.10", "192.0.2.11", "lb1.example.net."]},
                "api.example.com": {"level": "hostname", "origins": ["192.0.2.11"]},
                "legacy.example.com": {"level": "none", "origins": ["192.0.2.12"]},
                "pay.example.com": {"level": "none", "origins": ["192.0.2.10"]},
            },
            "certificates": [
                {"name": "Cloudflare origin-pull CA", "level": "global", "status": "active", "expires_on": "2029-10-31", "days_to_expiry": 1064},
                {
                    "name": "CN=api.example.com",
                    "level": "hostname",
                    "hostnames": ["api.example.com"],
                    "status": "active",
                    "expires_on": "2028-01-01",
                    "days_to_expiry": 399,
                },
            ],
        },
    ],
    "origins": [
        {
            "address": "192.0.2.10",
            "host": "web1",
            "server": "nginx",
            "stage": "require",
            "trusted_ca": {"subject": "CN=Origin Pull CA", "days_to_expiry": 1064},
            "drift": False,
            "in_inventory": True,
        },
        {
            "address": "192.0.2.11",
            "host": "web2",
            "server": "apache",
            "stage": "require",
            "trusted_ca": {"subject": "CN=old client CA", "days_to_expiry": 10},
            "drift": False,
            "in_inventory": True,
        },
        {
            "address": "192.0.2.12",
            "host": "web3",
            "server": "caddy",
            "stage": "optional",
            "trusted_ca": {"subject": "CN=Origin Pull CA", "days_to_expiry": 1064},
            "drift": True,
            "in_inventory": True,
        },
        {
            "address": "lb1.example.net",
            "host": "lb1",
            "server": "haproxy",
            "stage": "require",
            "trusted_ca": {"subject": "CN=Origin Pull CA", "days_to_expiry": 1064},
            "drift": False,
            "in_inventory": True,
        },
        {
            "address": "192.0.2.13",
            "host": "web4",
            "server": "apache",
            "stage": "require",
            "trusted_ca": {"subject": "CN=another CA", "days_to_expiry": 700},
            "drift": False,
            "in_inventory": True,
            "problems": ["at require it trusts CN=another CA, not the CA of your zone-level certificate presented for static.example.org"],
            "pulls_refused": {"static.example.org": "at require it trusts CN=another CA, not the CA of your zone-level certificate"},
        },
        {"address": "198.51.100.7", "host": None, "server": None, "stage": None, "trusted_ca": None, "drift": None, "in_inventory": False},
    ],
    "probes": [
        probe("www.example.com", "192.0.2.10", REFUSED_HTTP, REFUSED_UNKNOWN_CA),
        probe("www.example.com", "192.0.2.11", REFUSED_TLS, REFUSED_UNKNOWN_CA),
        probe("www.example.com", "lb1.example.net", REFUSED_TLS, REFUSED_UNKNOWN_CA),
        probe("api.example.com", "192.0.2.11", REFUSED_TLS, REFUSED_UNKNOWN_CA),
        probe("legacy.example.com", "192.0.2.12", SERVED, REFUSED_UNKNOWN_CA),
        probe("shop.example.org", "192.0.2.12", SERVED, REFUSED_UNKNOWN_CA),
        probe("shop.example.org", "198.51.100.7", SERVED, SERVED),
        probe("static.example.org", "192.0.2.10", REFUSED_TLS, UNREACHABLE),
        probe("static.example.org", "192.0.2.13", REFUSED_TLS, REFUSED_UNKNOWN_CA),
        probe("pay.example.com", "192.0.2.10", REFUSED_TLS, REFUSED_UNKNOWN_CA),
        # blog.example.org was never probed
    ],
}

# (zone, hostname, origin) -> the state the report must give
EXPECTED = {
    ("example.com", "www.example.com", "192.0.2.10"): "protected",
    ("example.com", "www.example.com", "192.0.2.11"): "expiring",
    ("example.com", "www.example.com", "lb1.example.net"): "protected",
    ("example.com", "api.example.com", "192.0.2.11"): "expiring",
    ("example.com", "legacy.example.com", "192.0.2.12"): "exposed",
    ("example.org", "shop.example.org", "192.0.2.12"): "exposed",
    ("example.org", "shop.example.org", "198.51.100.7"): "exposed",
    ("example.org", "static.example.org", "192.0.2.10"): "unknown",
    ("example.org", "static.example.org", "192.0.2.13"): "broken",
    ("example.com", "pay.example.com", "192.0.2.10"): "broken",
    ("example.org", "blog.example.org", "192.0.2.10"): "unknown",
}


def findings():
    """A fresh deep copy (tests may change it)."""
    return copy.deepcopy(_FINDINGS)


def clean_findings():
    """The same fleet after a successful rollout: every pair refused, nothing expiring."""
    f = findings()
    for o in f["origins"]:
        o.update(stage="require", drift=False, in_inventory=True, trusted_ca={"subject": "CN=Origin Pull CA", "days_to_expiry": 1064})
        o.pop("problems", None)
        o.pop("pulls_refused", None)
    for z in f["zones"]:
        for h in z["hostnames"].values():
            h["origins"] = [a for a in h["origins"] if a != "198.51.100.7"]
            if h["level"] == "none":
                h["level"] = "global"
    f["probes"] = [probe(h, a, REFUSED_TLS, REFUSED_UNKNOWN_CA) for z in f["zones"] for h, v in z["hostnames"].items() for a in v["origins"]]
    f["origins"] = [o for o in f["origins"] if o["address"] != "198.51.100.7"]
    return f
