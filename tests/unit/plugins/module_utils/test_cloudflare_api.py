"""The resource client against the emulator: zone lookup, the paths it owns, pagination of every list."""

from __future__ import annotations

import pytest
from conftest import TOKEN

from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare import CloudflareClient
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_api import SSL_MODES_FOR_AOP, CloudflareApi
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_errors import CloudflareError
from cf_emulator import dns


def api(emulator):
    return CloudflareApi(CloudflareClient(api_url=emulator.url, api_token=TOKEN, sleep=lambda s: None))


def fake_certificates(emulator, zone_id, kind, count):
    """``count`` certificates stored straight into the emulator's state (an upload each would take minutes)."""
    store = emulator.state.zones[zone_id]["zone_certs" if kind == "zone" else "hostname_certs"]
    for i in range(count):
        cid = "00000000-0000-4000-8000-%012d" % i
        store[cid] = {
            "id": cid,
            "certificate": "-----BEGIN CERTIFICATE-----\nnot parsed here %d\n-----END CERTIFICATE-----\n" % i,
            "expires_on": "2030-01-01T00:00:00Z",
            "issuer": "CN=test",
            "signature": "ECDSAWithSHA256",
            "serial_number": str(i),
            "status": "active",
            "uploaded_on": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "_created": 0,
            "_private_key": None,
        }
        if kind == "zone":
            store[cid]["enabled"] = True
    return sorted(store)


# ------------------------------------------------------------ pagination
def test_zone_list_walks_every_page(emulator):
    for i in range(12):
        emulator.state.add_zone("z%02d.example.net" % i)
    zones = api(emulator).list_all("/zones", per_page=5)
    assert len(zones) == 13
    assert [e["query"]["page"] for e in emulator.log] == ["1", "2", "3"]


@pytest.mark.parametrize("kind", ["zone", "hostname"])
def test_certificate_lists_follow_result_info_pages(emulator, zone_id, kind):
    """Cloudflare answers 50 a page: the 51st certificate and later come only from page 2."""
    ids = fake_certificates(emulator, zone_id, kind, 57)
    listed = api(emulator).certificates(zone_id, kind)
    assert sorted(c["id"] for c in listed) == ids
    # The first call is sent as the schema's example has it (no paging parameter), the next names its page.
    assert [e["query"] for e in emulator.log] == [{}, {"page": "2"}]


class PageIgnoringClient:
    """A server that ignores ``page`` on an unpaged list: every call answers the first page again."""

    def __init__(self, total):
        self.calls = 0
        self.total = total

    def request(self, method, path, params=None, **kwargs):
        self.calls += 1
        first = [{"id": "c%02d" % i} for i in range(min(50, self.total))]
        return {"result": first, "result_info": {"page": 1, "per_page": 50, "count": len(first), "total_count": self.total}}


@pytest.mark.parametrize("total", [57, 50])
def test_an_unpaged_list_never_loops_when_the_server_ignores_page(total):
    client = PageIgnoringClient(total)
    listed = CloudflareApi(client).list_all("/zones/z/origin_tls_client_auth")
    assert [c["id"] for c in listed] == ["c%02d" % i for i in range(50)]
    # 50 of 57: page 2 brought nothing new, the walk stops; 50 of 50: total_count reached after one call.
    assert client.calls == (2 if total == 57 else 1)


def test_a_single_page_list_is_one_call(emulator, zone_id):
    fake_certificates(emulator, zone_id, "zone", 3)
    assert len(api(emulator).certificates(zone_id, "zone")) == 3
    assert len(emulator.log) == 1


def test_dns_records_page_until_a_short_page(emulator, zone_id):
    """The DNS list's total_count ignores the filters, so only a short page ends the walk."""
    zone = emulator.state.zones[zone_id]
    for i in range(7):
        dns.add_record(zone, name="h%d.example.com" % i, type="A", content="192.0.2.%d" % (i + 1), proxied=True)
    for i in range(4):
        dns.add_record(zone, name="d%d.example.com" % i, type="A", content="198.51.100.%d" % (i + 1), proxied=False)
    records = api(emulator).dns_records(zone_id, {"proxied": "true"}, per_page=5)
    assert sorted(r["name"] for r in records) == ["h%d.example.com" % i for i in range(7)]
    assert [e["query"]["page"] for e in emulator.log] == ["1", "2"]


# ------------------------------------------------------------------ zones
def test_zone_lookup_by_name_is_one_get(emulator, zone_id):
    assert api(emulator).zone_id(zone="Example.COM.") == zone_id
    assert [(e["method"], e["path"], e["query"].get("name")) for e in emulator.log] == [("GET", "/zones", "example.com")]


def test_zone_id_given_is_not_looked_up(emulator, zone_id):
    assert api(emulator).zone_id(zone_id=zone_id.upper()) == zone_id
    assert emulator.log == []


def test_zone_id_malformed(emulator):
    with pytest.raises(CloudflareError, match="32 hex characters"):
        api(emulator).zone_id(zone_id="example.com")


def test_zone_not_found(emulator):
    with pytest.raises(CloudflareError, match="zone 'nope.example' was not found.*Zone Read"):
        api(emulator).zone_id(zone="nope.example")


def test_zone_in_two_accounts_needs_account_id(emulator, zone_id):
    other = emulator.state.add_zone("example.com", zone_id="b" * 32, account_id="c" * 32, account_name="Other")
    a = api(emulator)
    with pytest.raises(CloudflareError, match="several accounts.*account_id"):
        a.zone_id(zone="example.com")
    assert a.zone_id(zone="example.com", account_id="c" * 32) == other["id"]
    assert emulator.log[-1]["query"]["account.id"] == "c" * 32


# ------------------------------------------------------ the other resources
def test_hostname_without_association_is_none_other_errors_raise(emulator, zone_id):
    a = api(emulator)
    assert a.hostname_binding(zone_id, "app.example.com") is None
    emulator.add_fault("status", method="GET", path="/hostnames/app", status=403, code=10000, message="Authentication error", times=1)
    with pytest.raises(CloudflareError, match="HTTP 403"):
        a.hostname_binding(zone_id, "app.example.com")


def test_zone_level_enablement_round_trip(emulator, zone_id):
    a = api(emulator)
    assert a.zone_aop_enabled(zone_id) is False
    assert a.set_zone_aop_enabled(zone_id, True) is True
    assert a.zone_aop_enabled(zone_id) is True
    assert [(e["method"], e["path"]) for e in emulator.log][1] == ("PUT", "/zones/%s/origin_tls_client_auth/settings" % zone_id)


def test_ssl_modes_that_let_aop_apply():
    # "Full or higher" - never an equality test.
    assert SSL_MODES_FOR_AOP == ("full", "strict", "origin_pull")
    assert not {"off", "flexible"} & set(SSL_MODES_FOR_AOP)
