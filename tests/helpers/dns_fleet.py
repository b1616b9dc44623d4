"""Two zones of DNS records and AOP state in the emulator, for the inventory plugin's tests.

example.com: global AOP on, zone-level AOP enabled (active certificate), a hostname certificate bound
to app.example.com (enabled) and legacy.example.com (DISABLED); example.org: global AOP only.
``EXPECTED`` is what the plugin must make of it, by Cloudflare's precedence.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from origin.pki import issue, name

RECORDS = {
    "example.com": [
        dict(name="www", type="A", content="198.51.100.4", proxied=True),
        dict(name="www", type="AAAA", content="2001:db8::4", proxied=True),
        dict(name="app", type="A", content="198.51.100.4", proxied=True),
        dict(name="legacy", type="A", content="198.51.100.5", proxied=True),
        dict(name="shop", type="CNAME", content="Shops.Example.NET.", proxied=True),
        dict(name="direct", type="A", content="203.0.113.10", proxied=False),  # DNS only: not an AOP origin
        dict(name="@", type="MX", content="mx.example.net", priority=10),
        dict(name="@", type="TXT", content="v=spf1 -all"),
    ],
    "example.org": [
        dict(name="www", type="A", content="198.51.100.4", proxied=True),
        dict(name="files", type="CNAME", content="bucket.example.net", proxied=False),
    ],
}

# hostname -> level
LEVELS = {
    "www.example.com": "zone_level",
    "app.example.com": "per_hostname",
    "legacy.example.com": "none",
    "shop.example.com": "zone_level",
    "www.example.org": "global",
}

# origin -> {zone: [hostnames]}
EXPECTED = {
    "198.51.100.4": {"example.com": ["app.example.com", "www.example.com"], "example.org": ["www.example.org"]},
    "2001:db8::4": {"example.com": ["www.example.com"]},
    "198.51.100.5": {"example.com": ["legacy.example.com"]},
    "shops.example.net": {"example.com": ["shop.example.com"]},
}

EXPECTED_GROUPS = {
    "aop_hostname": ["198.51.100.4"],
    "aop_zone_level": ["198.51.100.4", "2001:db8::4", "shops.example.net"],
    "aop_global": ["198.51.100.4"],
    "aop_none": ["198.51.100.5"],
    "zone_example_com": ["198.51.100.4", "198.51.100.5", "2001:db8::4", "shops.example.net"],
    "zone_example_org": ["198.51.100.4"],
}


def _pair(cn):
    cert, key = issue(name(cn, "originpulls.aop inventory tests"))
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(),
    )


def seed(emulator, client):
    """Create both zones' records and AOP state; ``client`` is a CloudflareClient on the emulator.

    The AOP state is made through the API (as an operator would), the records through the emulator's
    in-process seeding (the DNS subset has no write operation).
    """
    state = emulator.state
    if not any(z["name"] == "example.com" for z in state.zones.values()):
        state.add_zone("example.com")
    com = next(z for z in state.zones.values() if z["name"] == "example.com")
    org = state.add_zone("example.org", settings={"tls_client_auth": "on"})
    com["settings"]["tls_client_auth"]["value"] = "on"
    for zone_name, records in RECORDS.items():
        for record in records:
            state.add_dns_record(zone_name, **record)
    base = "/zones/%s/origin_tls_client_auth" % com["id"]
    cert, key = _pair("zone client")
    client.request("POST", base, body={"certificate": cert, "private_key": key})
    client.request("PUT", base + "/settings", body={"enabled": True})
    cert, key = _pair("hostname client")
    hc = client.request("POST", base + "/hostnames/certificates", body={"certificate": cert, "private_key": key})["result"]
    client.request(
        "PUT",
        base + "/hostnames",
        body={
            "config": [
                {"hostname": "app.example.com", "cert_id": hc["id"], "enabled": True},
                {"hostname": "legacy.example.com", "cert_id": hc["id"], "enabled": False},
            ]
        },
    )
    return {"example.com": com["id"], "example.org": org["id"]}
