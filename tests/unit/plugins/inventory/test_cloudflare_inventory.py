"""The inventory plugin originpulls.aop.cloudflare against the in-process emulator.

The plugin is loaded through Ansible's plugin loader (so its documented options, the
``constructed`` and ``inventory_cache`` fragments and the cache plugins are the real ones) and
parsed into a fresh InventoryData, as ``ansible-inventory`` does.
"""

from __future__ import annotations

import json
import os
import sys
import warnings

import pytest
import yaml
from conftest import TOKEN

from ansible_collections.originpulls.aop.plugins.module_utils import _cloudflare as cf
from helpers import dns_fleet
from helpers.collection import collections_root

PLUGIN = "originpulls.aop.cloudflare"


@pytest.fixture(scope="module")
def loader():
    """Ansible's collection loader, installed for this module's tests and removed afterwards.

    The other unit tests import the checkout as a plain package (conftest.py); the collection loader
    needs its own import of the collection (with its metadata), so those modules are set aside and
    put back at the end.
    """
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader
    from ansible.utils.collection_loader import AnsibleCollectionConfig
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    if AnsibleCollectionConfig.collection_finder is not None:  # under ansible-test units: already there
        yield DataLoader()
        return
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k == "ansible_collections" or k.startswith("ansible_collections.")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        init_plugin_loader([collections_root()])
    try:
        yield DataLoader()
    finally:
        _AnsibleCollectionFinder._remove()
        for k in [k for k in sys.modules if k == "ansible_collections" or k.startswith("ansible_collections.")]:
            del sys.modules[k]
        sys.modules.update(saved)


@pytest.fixture
def fleet(emulator, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    for name in ("CLOUDFLARE_EMAIL", "CLOUDFLARE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    ids = dns_fleet.seed(emulator, cf.CloudflareClient(api_url=emulator.url, api_token=TOKEN))
    emulator.clear()
    return ids


def parse(loader, tmp_path, emulator, name="test.cloudflare.yml", refresh=False, **config):
    from ansible.inventory.data import InventoryData
    from ansible.plugins.loader import inventory_loader

    config.setdefault("plugin", PLUGIN)
    config.setdefault("api_url", emulator.url)
    config.setdefault("retry_max_delay", 1)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    plugin = inventory_loader.get(PLUGIN)
    assert plugin.verify_file(str(path))
    inventory = InventoryData()
    plugin.parse(inventory, loader, str(path), cache=not refresh)  # cache=False: --flush-cache
    try:
        plugin.update_cache_if_changed()  # as InventoryManager does after each source
    except AttributeError:  # no cache plugin loaded (cache: false), as InventoryManager tolerates
        assert not config.get("cache")
    return inventory


def members(inventory, group):
    return sorted(h.name for h in inventory.groups[group].get_hosts())


def hostvars(inventory, host):
    return inventory.get_host(host).get_vars()


def dns_calls(emulator):
    return [e for e in emulator.log if e["path"].endswith("/dns_records")]


# ---------------------------------------------------------------- the picture
def test_hosts_groups_and_levels(loader, tmp_path, emulator, fleet):
    inv = parse(loader, tmp_path, emulator, zones=["example.com", "example.org"])
    assert sorted(inv.hosts) == sorted(dns_fleet.EXPECTED)
    for origin, hostnames in dns_fleet.EXPECTED.items():
        v = hostvars(inv, origin)
        assert v["cloudflare_hostnames"] == hostnames
        assert v["cloudflare_zones"] == sorted(hostnames)
        served = [h for names in hostnames.values() for h in names]
        assert v["cloudflare_aop_levels"] == {h: dns_fleet.LEVELS[h] for h in served}
    for group, hosts in dns_fleet.EXPECTED_GROUPS.items():
        assert members(inv, group) == hosts, group


def test_disabled_binding_gets_no_certificate_even_with_zone_level_on(loader, tmp_path, emulator, fleet):
    com = emulator.state.zones[fleet["example.com"]]
    assert com["zone_aop_enabled"] is True and com["hostnames"]["legacy.example.com"]["enabled"] is False
    inv = parse(loader, tmp_path, emulator, zones=["example.com"])
    assert hostvars(inv, "198.51.100.5")["cloudflare_aop_levels"] == {"legacy.example.com": "none"}
    assert members(inv, "aop_none") == ["198.51.100.5"]


def test_records_and_zone_facts_in_hostvars(loader, tmp_path, emulator, fleet):
    inv = parse(loader, tmp_path, emulator, zones=["example.com"])
    com = emulator.state.zones[fleet["example.com"]]
    v = hostvars(inv, "198.51.100.4")
    expected_ids = sorted(r["id"] for r in com["dns_records"].values() if r["content"] == "198.51.100.4")
    assert sorted(r["id"] for r in v["cloudflare_records"]) == expected_ids
    assert {(r["zone"], r["zone_id"], r["name"], r["type"]) for r in v["cloudflare_records"]} == {
        ("example.com", fleet["example.com"], "www.example.com", "A"),
        ("example.com", fleet["example.com"], "app.example.com", "A"),
    }
    assert v["cloudflare_origin_type"] == "A"
    assert v["cloudflare_zone_aop"] == {"example.com": {"ssl_mode": "full", "tls_client_auth": "on", "zone_level_enabled": True}}
    assert hostvars(inv, "2001:db8::4")["cloudflare_origin_type"] == "AAAA"


def test_unproxied_and_other_records_are_ignored(loader, tmp_path, emulator, fleet):
    inv = parse(loader, tmp_path, emulator, zones=["example.com", "example.org"])
    assert "203.0.113.10" not in inv.hosts  # DNS-only A record
    assert "bucket.example.net" not in inv.hosts  # DNS-only CNAME
    assert "mx.example.net" not in inv.hosts
    # the list asks Cloudflare for proxied records only, with the boolean as the API spells it
    assert {e["query"]["proxied"] for e in dns_calls(emulator)} == {"true"}


def test_cname_target_is_the_host(loader, tmp_path, emulator, fleet):
    inv = parse(loader, tmp_path, emulator, zones=["example.com"])
    v = hostvars(inv, "shops.example.net")  # stored as 'Shops.Example.NET.': lower case, no trailing dot
    assert v["cloudflare_origin_type"] == "CNAME"
    assert v["cloudflare_hostnames"] == {"example.com": ["shop.example.com"]}
    assert v["cloudflare_records"][0]["content"] == "Shops.Example.NET."


def test_record_types_option(loader, tmp_path, emulator, fleet):
    inv = parse(loader, tmp_path, emulator, zones=["example.com"], record_types=["AAAA"])
    assert sorted(inv.hosts) == ["2001:db8::4"]
    assert {e["query"].get("type") for e in dns_calls(emulator)} == {"AAAA"}


# ----------------------------------------------------------------- pagination
def test_follows_result_info_pages(loader, tmp_path, emulator, fleet):
    inv = parse(loader, tmp_path, emulator, zones=["example.com"], per_page=2)
    assert sorted(inv.hosts) == sorted(h for h, z in dns_fleet.EXPECTED.items() if "example.com" in z)
    calls = dns_calls(emulator)
    # 5 proxied records at 2 a page: pages 1, 2 and 3 (the short one ends the list)
    assert [(e["query"]["page"], e["query"]["per_page"]) for e in calls] == [("1", "2"), ("2", "2"), ("3", "2")]


def test_pagination_does_not_trust_total_count(loader, tmp_path, emulator, fleet):
    # total_count counts every record of the zone ("without any search parameters"): 8 records here,
    # 5 proxied. At 5 a page the first page is full, so page 2 (empty) is asked for, and nothing more.
    inv = parse(loader, tmp_path, emulator, zones=["example.com"], per_page=5)
    assert len(inv.hosts) == 4
    calls = dns_calls(emulator)
    assert [e["query"]["page"] for e in calls] == ["1", "2"]


def test_many_records_over_many_pages(loader, tmp_path, emulator, fleet):
    for i in range(1, 251):
        emulator.state.add_dns_record("example.org", "h%03d" % i, "A", "192.0.2.%d" % (i % 250 + 1), proxied=True)
    inv = parse(loader, tmp_path, emulator, zones=["example.org"], per_page=100)
    assert len([h for h in inv.hosts if h.startswith("192.0.2.")]) == 250
    served = sum(len(hostvars(inv, h)["cloudflare_hostnames"]["example.org"]) for h in inv.hosts)
    assert served == 251  # 250 new hostnames + www.example.org
    assert [e["query"]["page"] for e in dns_calls(emulator)] == ["1", "2", "3"]


def test_every_zone_of_an_account_follows_zone_pages(loader, tmp_path, emulator, fleet):
    for i in range(55):
        emulator.state.add_zone("z%02d.example" % i)
    emulator.state.add_zone("elsewhere.example", account_id="b" * 32)
    emulator.state.add_dns_record("elsewhere.example", "www", "A", "192.0.2.200", proxied=True)
    emulator.state.add_dns_record("z54.example", "www", "A", "192.0.2.54", proxied=True)
    inv = parse(loader, tmp_path, emulator, account_id="a" * 32)
    zone_lists = [e for e in emulator.log if e["path"] == "/zones"]
    assert [(e["query"]["page"], e["query"]["account.id"]) for e in zone_lists] == [("1", "a" * 32), ("2", "a" * 32)]
    assert "192.0.2.54" in inv.hosts and "192.0.2.200" not in inv.hosts
    assert members(inv, "zone_z54_example") == ["192.0.2.54"]
    assert sorted(inv.hosts) == sorted([*dns_fleet.EXPECTED, "192.0.2.54"])


# ---------------------------------------------------------------- constructed
def test_keyed_groups_compose_and_groups(loader, tmp_path, emulator, fleet):
    inv = parse(
        loader,
        tmp_path,
        emulator,
        zones=["example.com", "example.org"],
        keyed_groups=[{"key": "cloudflare_origin_type", "prefix": "origin"}, {"key": "cloudflare_zones", "prefix": "in"}],
        compose={"ansible_host": "inventory_hostname", "aop_hostname_count": "cloudflare_aop_levels | length"},
        groups={"exposed": "'none' in cloudflare_aop_levels.values()", "multi_zone": "cloudflare_zones | length > 1"},
        zone_group_prefix="cf_",
    )
    assert members(inv, "origin_A") == ["198.51.100.4", "198.51.100.5"]
    assert members(inv, "origin_AAAA") == ["2001:db8::4"]
    assert members(inv, "origin_CNAME") == ["shops.example.net"]
    assert members(inv, "in_example_org") == ["198.51.100.4"]
    assert members(inv, "exposed") == ["198.51.100.5"]
    assert members(inv, "multi_zone") == ["198.51.100.4"]
    assert members(inv, "cf_example_com") == dns_fleet.EXPECTED_GROUPS["zone_example_com"]
    assert "zone_example_com" not in inv.groups
    v = hostvars(inv, "198.51.100.4")
    assert v["ansible_host"] == "198.51.100.4"
    assert int(v["aop_hostname_count"]) == 3  # a string before ansible-core 2.19 (no native types)


def test_strict_turns_a_broken_expression_into_an_error(loader, tmp_path, emulator, fleet):
    from ansible.errors import AnsibleError

    broken = {"zones": ["example.com"], "compose": {"x": "cloudflare_no_such_var.attribute"}}
    inv = parse(loader, tmp_path, emulator, **broken)
    assert "x" not in hostvars(inv, "198.51.100.4")
    with pytest.raises(AnsibleError, match="Could not set x"):
        parse(loader, tmp_path, emulator, strict=True, **broken)


# ---------------------------------------------------------------------- cache
def test_cache_hit_makes_no_api_call(loader, tmp_path, emulator, fleet):
    cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache"), "cache_timeout": 3600}
    first = parse(loader, tmp_path, emulator, zones=["example.com"], **cache)
    assert emulator.log, "the first run must read Cloudflare"
    cached = os.listdir(str(tmp_path / "cache"))
    assert len(cached) == 1
    assert TOKEN not in (tmp_path / "cache" / cached[0]).read_text()
    emulator.clear()
    second = parse(loader, tmp_path, emulator, zones=["example.com"], **cache)
    assert emulator.log == []
    assert sorted(second.hosts) == sorted(first.hosts)
    assert hostvars(second, "198.51.100.4") == hostvars(first, "198.51.100.4")
    assert members(second, "aop_none") == ["198.51.100.5"]
    # a refresh (ansible-inventory --flush-cache, meta: refresh_inventory) reads Cloudflare again
    emulator.state.add_dns_record("example.com", "new", "A", "192.0.2.77", proxied=True)
    third = parse(loader, tmp_path, emulator, refresh=True, zones=["example.com"], **cache)
    assert dns_calls(emulator) and "192.0.2.77" in third.hosts
    emulator.clear()
    fourth = parse(loader, tmp_path, emulator, zones=["example.com"], **cache)
    assert emulator.log == [] and "192.0.2.77" in fourth.hosts


def test_cache_of_another_scope_is_a_miss(loader, tmp_path, emulator, fleet):
    cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache"), "cache_timeout": 3600}
    parse(loader, tmp_path, emulator, zones=["example.org"], **cache)
    emulator.clear()
    # the same file, edited: another zone list
    inv = parse(loader, tmp_path, emulator, zones=["example.com"], **cache)
    assert dns_calls(emulator) and "198.51.100.5" in inv.hosts
    emulator.clear()
    again = parse(loader, tmp_path, emulator, zones=["example.com"], **cache)
    assert emulator.log == [] and "198.51.100.5" in again.hosts


def test_without_cache_every_parse_reads_cloudflare(loader, tmp_path, emulator, fleet):
    parse(loader, tmp_path, emulator, zones=["example.com"])
    n = len(emulator.log)
    parse(loader, tmp_path, emulator, zones=["example.com"])
    assert n > 0 and len(emulator.log) == 2 * n


# ------------------------------------------------------------- budget, errors
def test_api_calls_are_reads_and_bounded(loader, tmp_path, emulator, fleet):
    parse(loader, tmp_path, emulator, zones=["example.com", "example.org"])
    assert emulator.writes() == []
    paths = [e["path"] for e in emulator.log]
    # bindings are read only for proxied hostnames of a zone that has hostname certificates
    bindings = sorted(p.rsplit("/", 1)[1] for p in paths if "/hostnames/" in p and not p.endswith("/certificates"))
    assert bindings == ["app.example.com", "legacy.example.com", "shop.example.com", "www.example.com"]
    # example.org: records, tls_client_auth, ssl, zone-level enablement (off: its certificates are
    # not read), hostname certificates (none: no binding is read)
    org = [p for p in paths if fleet["example.org"] in p]
    assert len(org) == 5
    # 2 zone lookups; example.com: those 5 + zone-level certificates + 4 bindings
    assert [p for p in paths if p == "/zones"] == ["/zones", "/zones"]
    assert len(paths) == 2 + (5 + 1 + 4) + 5


def test_no_scope_is_refused(loader, tmp_path, emulator, fleet):
    from ansible.errors import AnsibleParserError

    with pytest.raises(AnsibleParserError, match="give 'zones'"):
        parse(loader, tmp_path, emulator)
    assert emulator.log == []


def test_credentials_from_options_and_errors_never_show_the_token(loader, tmp_path, emulator, fleet, monkeypatch):
    from ansible.errors import AnsibleParserError

    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    with pytest.raises(AnsibleParserError, match="no Cloudflare credentials"):
        parse(loader, tmp_path, emulator, zones=["example.com"])
    inv = parse(loader, tmp_path, emulator, zones=["example.com"], api_token=TOKEN)
    assert "198.51.100.4" in inv.hosts
    assert all(e["auth"] == "api_token" for e in emulator.log)
    wrong = "wrong-" + TOKEN
    with pytest.raises(AnsibleParserError) as err:
        parse(loader, tmp_path, emulator, zones=["example.com"], api_token=wrong)
    assert "9109" in str(err.value) and wrong not in str(err.value)
    for var in inv.get_host("198.51.100.4").get_vars().values():
        assert TOKEN not in json.dumps(var)


def test_token_without_dns_read_permission_is_reported(loader, tmp_path, emulator, fleet):
    from ansible.errors import AnsibleParserError

    emulator.state.add_token("no-dns-token", permissions=("zone:read", "zone_settings:read", "ssl:read"))
    with pytest.raises(AnsibleParserError, match=r"dns_records failed: HTTP 403: \[10000\]"):
        parse(loader, tmp_path, emulator, zones=["example.com"], api_token="no-dns-token")


def test_rate_limit_is_retried(loader, tmp_path, emulator, fleet):
    emulator.add_fault("status", method="GET", path=r"/dns_records$", times=1, status=429, retry_after=0)
    inv = parse(loader, tmp_path, emulator, zones=["example.com"])
    assert "198.51.100.4" in inv.hosts
    assert [e["status"] for e in dns_calls(emulator)] == [429, 200]


def test_verify_file_accepts_only_cloudflare_yml_names(tmp_path, loader):
    from ansible.plugins.loader import inventory_loader

    plugin = inventory_loader.get(PLUGIN)
    for name, ok in (("cloudflare.yml", True), ("prod.cloudflare.yaml", True), ("inventory.yml", False), ("cloudflare.json", False)):
        path = tmp_path / name
        path.write_text("plugin: %s\n" % PLUGIN)
        assert plugin.verify_file(str(path)) is ok, name
    assert plugin.verify_file(str(tmp_path / "missing.cloudflare.yml")) is False


def test_email_and_key_from_the_environment_like_the_modules(loader, tmp_path, emulator, fleet, monkeypatch):
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    emulator.state.keys["ops@example.com"] = "k" * 37
    monkeypatch.setenv("CLOUDFLARE_EMAIL", "ops@example.com")
    monkeypatch.setenv("CLOUDFLARE_API_KEY", "k" * 37)
    inv = parse(loader, tmp_path, emulator, zones=["example.com"])
    assert "198.51.100.4" in inv.hosts
    assert {e["auth"] for e in emulator.log} == {"api_key"}


def test_zone_without_proxied_records_costs_only_its_list(loader, tmp_path, emulator, fleet):
    quiet = emulator.state.add_zone("quiet.example")
    emulator.state.add_dns_record("quiet.example", "www", "A", "192.0.2.9", proxied=False)
    inv = parse(loader, tmp_path, emulator, zones=["quiet.example", "quiet.example.", "example.org"])
    assert [e["path"] for e in emulator.log if quiet["id"] in e["path"]] == ["/zones/%s/dns_records" % quiet["id"]]
    assert members(inv, "zone_quiet_example") == []
    assert sorted(inv.hosts) == ["198.51.100.4"]
    # the zone named twice is read once
    assert len([e for e in emulator.log if e["path"] == "/zones/%s/dns_records" % fleet["example.org"]]) == 1


def test_credentials_may_be_templates(loader, tmp_path, emulator, fleet, monkeypatch):
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    monkeypatch.setenv("AOP_TEST_CF_SECRET", TOKEN)
    inv = parse(loader, tmp_path, emulator, zones=["example.com"], api_token="{{ lookup('ansible.builtin.env', 'AOP_TEST_CF_SECRET') }}")
    assert "198.51.100.4" in inv.hosts
    assert {e["auth"] for e in emulator.log} == {"api_token"}
