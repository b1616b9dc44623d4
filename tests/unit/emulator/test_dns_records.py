"""The emulator's DNS records endpoints, held to Cloudflare's official DNS records subset."""

from __future__ import annotations

import hashlib
import json

import pytest
import requests
from conftest import TOKEN

from cf_emulator import Contract, dns
from cf_emulator.spec import OFFICIAL

Z = "023e105f4ecef8ad9ca31a8372d0c353"
LIST_OP = "dns-records-for-a-zone-list-dns-records"

# The sample list response of shared/cloudflare/README.md ("built from the schema, not captured").
README_SAMPLE = {
    "success": True,
    "errors": [],
    "messages": [],
    "result": [
        {
            "id": "372e67954025e0ba6aaa6d586b9e0b59",
            "zone_id": Z,
            "zone_name": "example.com",
            "name": "www.example.com",
            "type": "A",
            "content": "198.51.100.4",
            "proxiable": True,
            "proxied": True,
            "ttl": 1,
            "locked": False,
            "meta": {"auto_added": False, "source": "primary"},
            "comment": "web origin 1",
            "tags": ["role:origin"],
            "created_on": "2024-05-02T09:14:07.123456Z",
            "modified_on": "2024-05-02T09:14:07.123456Z",
        },
        {
            "id": "e8a1f0c44b5f4d2a9c3b7d6e5f4a3b2c",
            "zone_id": Z,
            "zone_name": "example.com",
            "name": "shop.example.com",
            "type": "CNAME",
            "content": "shops.example.net",
            "proxiable": True,
            "proxied": True,
            "ttl": 1,
            "locked": False,
            "meta": {"auto_added": False, "source": "primary"},
            "tags": [],
            "created_on": "2024-05-03T11:00:00.000000Z",
            "modified_on": "2024-06-01T08:30:00.000000Z",
        },
    ],
    "result_info": {"page": 1, "per_page": 100, "count": 2, "total_count": 2},
}
ERROR = {"success": False, "errors": [{"code": 7003, "message": "No route for the URI"}], "messages": [], "result": None}


def _call(emulator, path, params=None, token=TOKEN, method="GET"):
    headers = {"Authorization": "Bearer " + token} if token else {}
    return requests.request(method, emulator.url + path, headers=headers, params=params, timeout=5)


def _seed(emulator, zone_name="example.com"):
    add = emulator.state.add_dns_record
    return [
        add(zone_name, "www", "A", "198.51.100.4", proxied=True, comment="web origin 1", tags=["role:origin"]),
        add(zone_name, "www", "AAAA", "2001:db8::4", proxied=True),
        add(zone_name, "shop", "CNAME", "shops.example.net", proxied=True, tags=["team:shop"]),
        add(zone_name, "origin", "A", "203.0.113.10", proxied=False, ttl=300),
        add(zone_name, "@", "MX", "mx.example.net", priority=10),
        add(zone_name, "@", "TXT", "v=spf1 -all", comment="SPF"),
    ]


# ------------------------------------------------------------------ the schema
def test_the_official_file_is_unmodified():
    with open(dns.DNS_OFFICIAL, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == dns.DNS_OFFICIAL_SHA256


def test_in_memory_patches_are_exactly_the_listed_six():
    _spec, applied = dns.load_spec(patched=True)
    assert sorted(applied) == sorted(
        "GET %s: %s" % (path, what)
        for path in (dns.LIST, dns.DETAILS)
        for what in ("responses key 4xx -> 4XX", "4XX schema -> dns-records_api-response-common-failure", "security += api_token")
    )
    official, none = dns.load_spec(patched=False)
    assert none == []
    assert "4xx" in official["paths"][dns.LIST]["get"]["responses"]


def test_readme_sample_validates_against_official_and_patched():
    for contract in (Contract(), Contract(OFFICIAL)):
        op, params = contract.route("GET", "/zones/%s/dns_records" % Z)
        assert op.operation_id == LIST_OP and params == {"zone_id": Z}
        assert contract.check_response(op, 200, README_SAMPLE) == []


def test_official_dns_text_rejects_what_the_patch_fixes():
    official = Contract(OFFICIAL)
    op, params = official.route("GET", "/zones/%s/dns_records" % Z)
    assert official.check_response(op, 400, ERROR) != []  # 4xx key unknown to OpenAPI: no documented 400
    assert official.check_request(op, params, {}, {"Authorization": "Bearer x"}, b"") != []  # no api_token
    patched = Contract()
    op, params = patched.route("GET", "/zones/%s/dns_records" % Z)
    assert patched.check_response(op, 400, ERROR) == []
    assert patched.check_request(op, params, {}, {"Authorization": "Bearer x"}, b"") == []


def test_record_details_route_and_no_clash_with_aop_paths():
    contract = Contract()
    op, params = contract.route("GET", "/zones/%s/dns_records/%s" % (Z, "3" * 32))
    assert op.operation_id == "dns-records-for-a-zone-dns-record-details" and params["dns_record_id"] == "3" * 32
    op, _params = contract.route("GET", "/zones/%s/origin_tls_client_auth" % Z)
    assert op.operation_id == "zone-level-authenticated-origin-pulls-list-certificates"


# --------------------------------------------------------------- list, filters
def test_list_every_record_validates(emulator, zone_id):
    made = _seed(emulator)
    r = _call(emulator, "/zones/%s/dns_records" % zone_id)
    assert r.status_code == 200
    body = r.json()
    assert sorted(x["id"] for x in body["result"]) == sorted(x["id"] for x in made)
    # default order is by type
    assert [x["type"] for x in body["result"]] == ["A", "A", "AAAA", "CNAME", "MX", "TXT"]
    www = next(x for x in body["result"] if x["content"] == "198.51.100.4")
    assert www["name"] == "www.example.com" and www["proxied"] is True and www["ttl"] == 1
    assert www["zone_id"] == zone_id and www["zone_name"] == "example.com" and len(www["id"]) == 32
    mx = next(x for x in body["result"] if x["type"] == "MX")
    assert "proxied" not in mx and mx["proxiable"] is False and mx["name"] == "example.com"
    assert "comment" not in mx  # not nullable in the schema: absent when there is none
    assert emulator.log[-1]["operation"] == LIST_OP


def test_result_info_is_what_the_schema_declares(emulator, zone_id):
    _seed(emulator)
    pages = []
    for page in (1, 2, 3, 4):
        body = _call(emulator, "/zones/%s/dns_records" % zone_id, {"page": page, "per_page": 2}).json()
        pages.append(([x["type"] for x in body["result"]], body["result_info"]))
    assert pages == [
        (["A", "A"], {"page": 1, "per_page": 2, "count": 2, "total_count": 6}),
        (["AAAA", "CNAME"], {"page": 2, "per_page": 2, "count": 2, "total_count": 6}),
        (["MX", "TXT"], {"page": 3, "per_page": 2, "count": 2, "total_count": 6}),
        ([], {"page": 4, "per_page": 2, "count": 0, "total_count": 6}),
    ]


def test_total_count_ignores_filters_and_total_pages_is_not_sent(emulator, zone_id):
    _seed(emulator)
    body = _call(emulator, "/zones/%s/dns_records" % zone_id, {"proxied": "true", "per_page": 2}).json()
    assert body["result_info"] == {"page": 1, "per_page": 2, "count": 2, "total_count": 6}
    body = _call(emulator, "/zones/%s/dns_records" % zone_id, {"proxied": "true", "per_page": 2, "page": 2}).json()
    assert body["result_info"]["count"] == 1 and "total_pages" not in body["result_info"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "A"}, ["198.51.100.4", "203.0.113.10"]),
        ({"type": "CNAME"}, ["shops.example.net"]),
        ({"proxied": "true"}, ["198.51.100.4", "2001:db8::4", "shops.example.net"]),
        ({"proxied": "false"}, ["203.0.113.10", "mx.example.net", "v=spf1 -all"]),
        ({"type": "A", "proxied": "true"}, ["198.51.100.4"]),
        ({"type": "A", "proxied": "true", "match": "any"}, ["198.51.100.4", "2001:db8::4", "203.0.113.10", "shops.example.net"]),
        ({"name": "www.example.com"}, ["198.51.100.4", "2001:db8::4"]),
        ({"name": "@"}, ["mx.example.net", "v=spf1 -all"]),
        ({"content": "SHOPS.example.net"}, ["shops.example.net"]),
        ({"comment": "spf"}, ["v=spf1 -all"]),
        ({"comment.present": ""}, ["198.51.100.4", "v=spf1 -all"]),
        ({"comment.contains": "ORIGIN"}, ["198.51.100.4"]),
        ({"tag": "role:origin"}, ["198.51.100.4"]),
        ({"tag.present": "team"}, ["shops.example.net"]),
        ({"tag.absent": "role", "type": "A"}, ["203.0.113.10"]),
    ],
)
def test_filters(emulator, zone_id, params, expected):
    _seed(emulator)
    body = _call(emulator, "/zones/%s/dns_records" % zone_id, params).json()
    assert body["success"] is True
    assert sorted(x["content"] for x in body["result"]) == sorted(expected)


def test_order_and_direction(emulator, zone_id):
    _seed(emulator)
    body = _call(emulator, "/zones/%s/dns_records" % zone_id, {"order": "name", "direction": "desc", "type": "A"}).json()
    assert [x["name"] for x in body["result"]] == ["www.example.com", "origin.example.com"]
    body = _call(emulator, "/zones/%s/dns_records" % zone_id, {"order": "ttl", "direction": "desc"}).json()
    assert body["result"][0]["ttl"] == 300


def test_record_details(emulator, zone_id):
    made = _seed(emulator)
    r = _call(emulator, "/zones/%s/dns_records/%s" % (zone_id, made[2]["id"]))
    assert r.status_code == 200 and r.json()["result"]["content"] == "shops.example.net"
    r = _call(emulator, "/zones/%s/dns_records/%s" % (zone_id, "0" * 32))
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == 81044


# ---------------------------------------------- what does not match the schema
def test_python_boolean_spelling_is_a_violation(emulator, zone_id):
    r = _call(emulator, "/zones/%s/dns_records" % zone_id, {"proxied": True})  # requests sends 'True'
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == 1004
    assert any("'proxied': 'True' is not of type 'boolean'" in v for v in emulator.violations)
    emulator.expected_violations = len(emulator.violations)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"per_page": 0}, "'per_page'"),
        ({"page": 0}, "'page'"),
        ({"type": "SPF"}, "'type'"),
        ({"order": "id"}, "'order'"),
        ({"limit": 5}, "unknown query parameter 'limit'"),
    ],
)
def test_invalid_query_is_a_violation(emulator, zone_id, params, fragment):
    r = _call(emulator, "/zones/%s/dns_records" % zone_id, params)
    assert r.status_code == 400
    assert any(fragment in v for v in emulator.violations)
    emulator.expected_violations = len(emulator.violations)


def test_unimplemented_filter_is_refused_not_ignored(emulator, zone_id):
    _seed(emulator)
    r = _call(emulator, "/zones/%s/dns_records" % zone_id, {"search": "www"})
    assert r.status_code == 400 and "does not implement" in r.json()["errors"][0]["message"]


def test_a_record_missing_a_required_field_is_a_response_violation(emulator, zone_id):
    emulator.state.add_dns_record("example.com", "@", "MX", "mx.example.net")  # MX requires priority
    _call(emulator, "/zones/%s/dns_records" % zone_id)
    assert any("response 200" in v and "result/0" in v for v in emulator.violations)
    emulator.expected_violations = len(emulator.violations)


# --------------------------------------------------------------- auth, errors
def test_missing_credentials(emulator, zone_id):
    r = _call(emulator, "/zones/%s/dns_records" % zone_id, token=None)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == 9106
    emulator.expected_violations = 1  # the request satisfies no security scheme


def test_unknown_token(emulator, zone_id):
    r = _call(emulator, "/zones/%s/dns_records" % zone_id, token="not-" + TOKEN)
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == 9109


def test_token_needs_dns_records_read(emulator, zone_id):
    assert "dns_records:read" in emulator.state.tokens[TOKEN]["permissions"]
    emulator.state.add_token("zone-only", permissions=("zone:read", "zone_settings:read", "ssl:read"))
    r = _call(emulator, "/zones/%s/dns_records" % zone_id, token="zone-only")
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == 10000
    emulator.state.add_token("dns-only", permissions=("dns_records:read",))
    assert _call(emulator, "/zones/%s/dns_records" % zone_id, token="dns-only").status_code == 200
    assert _call(emulator, "/zones/%s/settings/ssl" % zone_id, token="dns-only").status_code == 403


def test_token_limited_to_other_zones(emulator, zone_id):
    other = emulator.state.add_zone("example.org")
    emulator.state.add_token("org-only", zones=[other["id"]])
    assert _call(emulator, "/zones/%s/dns_records" % zone_id, token="org-only").status_code == 403
    assert _call(emulator, "/zones/%s/dns_records" % other["id"], token="org-only").status_code == 200


def test_unknown_zone(emulator):
    r = _call(emulator, "/zones/%s/dns_records" % ("f" * 32))
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == 7003


def test_faults_apply_to_dns_records(emulator, zone_id):
    emulator.add_fault("status", method="GET", path=r"/dns_records$", times=1, status=429, retry_after=1)
    r = _call(emulator, "/zones/%s/dns_records" % zone_id)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert _call(emulator, "/zones/%s/dns_records" % zone_id).status_code == 200


# ------------------------------------------------------------ control endpoint
def test_control_endpoint_seeds_lists_and_clears(emulator, zone_id):
    base = emulator.url.replace("/client/v4", "/__emulator__")
    r = requests.post(
        base + "/zones/example.com/dns_records",
        json=[
            {"name": "www", "type": "A", "content": "198.51.100.4", "proxied": True},
            {"name": "api.example.com", "type": "CNAME", "content": "lb.example.net"},
        ],
        timeout=5,
    )
    assert r.status_code == 200 and [x["name"] for x in r.json()] == ["www.example.com", "api.example.com"]
    r = requests.post(base + "/zones/%s/dns_records" % zone_id, json={"name": "v6", "type": "AAAA", "content": "2001:db8::1"}, timeout=5)
    assert r.status_code == 200
    assert len(_call(emulator, "/zones/%s/dns_records" % zone_id).json()["result"]) == 3
    state = requests.get(base + "/state", timeout=5).json()
    assert sorted(x["name"] for x in state[zone_id]["dns_records"]) == ["api.example.com", "v6.example.com", "www.example.com"]
    # refused seeds: wrong address family, a proxied MX, an unknown zone
    assert requests.post(base + "/zones/example.com/dns_records", json={"name": "x", "type": "A", "content": "2001:db8::1"}, timeout=5).status_code == 400
    bad = {"name": "@", "type": "MX", "content": "mx.example.net", "priority": 1, "proxied": True}
    assert requests.post(base + "/zones/example.com/dns_records", json=bad, timeout=5).status_code == 400
    assert requests.post(base + "/zones/nope.example/dns_records", json={}, timeout=5).status_code == 404
    assert requests.delete(base + "/zones/example.com/dns_records", timeout=5).json() == []
    assert _call(emulator, "/zones/%s/dns_records" % zone_id).json()["result"] == []
    assert TOKEN not in json.dumps(emulator.log)


def test_in_process_seeding_by_zone_name_or_id(emulator, zone_id):
    a = emulator.state.add_dns_record("example.com", "a", "A", "192.0.2.1", proxied=True, record_id="1" * 32)
    b = emulator.state.add_dns_record(zone_id, "b.example.com.", "CNAME", "a.example.com")
    assert (a["id"], a["name"], b["name"], b["proxied"]) == ("1" * 32, "a.example.com", "b.example.com", False)
    with pytest.raises(KeyError):
        emulator.state.add_dns_record("nope.example", "a", "A", "192.0.2.1")
    with pytest.raises(ValueError):
        emulator.state.add_dns_record("example.com", "a", "BOGUS", "x")
