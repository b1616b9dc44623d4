"""ansible-inventory with the originpulls.aop.cloudflare plugin, against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml
from conftest import TOKEN

from ansible_collections.originpulls.aop.plugins.module_utils import _cloudflare as cf
from helpers import dns_fleet
from helpers.ansible import ansible_env


def inventory(tmp_path, emulator, *args, name="fleet.cloudflare.yml", env=None, **config):
    config = dict({"plugin": "originpulls.aop.cloudflare", "api_url": emulator.url, "zones": ["example.com", "example.org"]}, **config)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", str(path), *args]
    e = ansible_env(dict({"CLOUDFLARE_API_TOKEN": TOKEN}, **(env or {})))
    e["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "1"  # a source no plugin parses is an error, not a warning
    return subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=300, check=False)


def plain(value):
    """ansible-inventory --list marks untrusted strings (ansible-core >= 2.19) as {"__ansible_unsafe": ...}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def seeded(emulator):
    ids = dns_fleet.seed(emulator, cf.CloudflareClient(api_url=emulator.url, api_token=TOKEN))
    emulator.clear()
    return ids


def graph_groups(text):
    """--graph output -> {group: [hosts directly below it]}."""
    groups, current = {}, None
    for line in text.splitlines():
        item = line.strip().lstrip("|- ")
        if item.startswith("@"):
            current = groups.setdefault(item[1:].rstrip(":"), [])
        elif item and current is not None:
            current.append(item)
    return groups


def test_graph(tmp_path, emulator):
    seeded(emulator)
    proc = inventory(tmp_path, emulator, "--graph")
    assert proc.returncode == 0, proc.stderr
    groups = graph_groups(proc.stdout)
    for group, hosts in dns_fleet.EXPECTED_GROUPS.items():
        assert sorted(groups[group]) == hosts, (group, proc.stdout)
    assert "203.0.113.10" not in proc.stdout  # DNS-only record
    assert TOKEN not in proc.stdout + proc.stderr
    assert emulator.writes() == []


def test_list_with_constructed_groups(tmp_path, emulator):
    ids = seeded(emulator)
    proc = inventory(
        tmp_path,
        emulator,
        "--list",
        keyed_groups=[{"key": "cloudflare_origin_type", "prefix": "origin"}],
        compose={"ansible_host": "inventory_hostname"},
        groups={"exposed": "'none' in cloudflare_aop_levels.values()"},
    )
    assert proc.returncode == 0, proc.stderr
    data = plain(json.loads(proc.stdout))
    hostvars = data["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(dns_fleet.EXPECTED)
    for origin, hostnames in dns_fleet.EXPECTED.items():
        assert hostvars[origin]["cloudflare_hostnames"] == hostnames
        assert hostvars[origin]["ansible_host"] == origin
    assert hostvars["198.51.100.4"]["cloudflare_aop_levels"] == {
        "www.example.com": "zone_level",
        "app.example.com": "per_hostname",
        "www.example.org": "global",
    }
    assert hostvars["198.51.100.5"]["cloudflare_aop_levels"] == {"legacy.example.com": "none"}
    assert {r["zone_id"] for r in hostvars["198.51.100.4"]["cloudflare_records"]} == {ids["example.com"], ids["example.org"]}
    assert sorted(data["exposed"]["hosts"]) == ["198.51.100.5"]
    assert sorted(data["origin_CNAME"]["hosts"]) == ["shops.example.net"]
    assert sorted(data["aop_none"]["hosts"]) == ["198.51.100.5"]
    assert TOKEN not in proc.stdout + proc.stderr


def test_cache_across_runs(tmp_path, emulator):
    seeded(emulator)
    cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache"), "cache_timeout": 600}
    first = inventory(tmp_path, emulator, "--list", **cache)
    assert first.returncode == 0, first.stderr
    assert emulator.log
    emulator.clear()
    second = inventory(tmp_path, emulator, "--list", **cache)
    assert second.returncode == 0 and emulator.log == []
    assert json.loads(second.stdout) == json.loads(first.stdout)
    # a refresh: ansible-playbook --flush-cache (ansible-inventory has no such option before 2.18)
    emulator.state.add_dns_record("example.com", "new", "A", "192.0.2.77", proxied=True)
    play = tmp_path / "play.yml"
    check = "groups['zone_example_com'] | sort == ['192.0.2.77', '198.51.100.4', '198.51.100.5', '2001:db8::4', 'shops.example.net']"
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [{"ansible.builtin.assert": {"that": [check]}}]}]))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "fleet.cloudflare.yml"), "--flush-cache", str(play)]
    third = subprocess.run(cmd, env=ansible_env({"CLOUDFLARE_API_TOKEN": TOKEN}), capture_output=True, text=True, timeout=300, check=False)
    assert third.returncode == 0, third.stdout + third.stderr
    assert [e["path"] for e in emulator.log if e["path"].endswith("/dns_records")]
    emulator.clear()
    fourth = inventory(tmp_path, emulator, "--list", **cache)
    assert emulator.log == [] and "192.0.2.77" in json.loads(fourth.stdout)["_meta"]["hostvars"]


def test_api_error_fails_with_a_readable_message(tmp_path, emulator):
    seeded(emulator)
    proc = inventory(tmp_path, emulator, "--graph", env={"CLOUDFLARE_API_TOKEN": "revoked-" + TOKEN})
    assert proc.returncode != 0
    assert "9109" in proc.stderr and "revoked-" not in proc.stdout + proc.stderr


def test_other_file_names_are_not_this_plugin(tmp_path, emulator):
    seeded(emulator)
    proc = inventory(tmp_path, emulator, "--graph", name="fleet.yml")
    assert proc.returncode != 0
    assert emulator.log == []
