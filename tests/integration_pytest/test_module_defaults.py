"""module_defaults for the action group originpulls.aop.cloudflare reach every Cloudflare module."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml
from conftest import TOKEN

from helpers.ansible import ansible_env, run_tasks
from helpers.collection import ROOT

GROUP = "group/originpulls.aop.cloudflare"


def group_members():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as fh:
        return yaml.safe_load(fh)["action_groups"]["cloudflare"]


def test_connection_options_from_module_defaults_reach_every_module_of_the_group(emulator, zone_id, tmp_path):
    """No token in the environment, no api_url or api_token on any task: only the group's defaults carry them."""
    cert = {"certificate_path": str(tmp_path / "aop.crt"), "private_key_path": str(tmp_path / "aop.key")}
    tasks = [
        {"name": "pki", "originpulls.aop.origin_pull_client_pki": {"path": str(tmp_path), "name": "aop"}},
        {
            "name": "with the group's defaults",
            "module_defaults": {GROUP: {"api_url": emulator.url, "api_token": TOKEN, "retry_max_delay": 1}},
            "block": [
                {"name": "global", "originpulls.aop.tls_client_auth": {"zone": "example.com", "state": "enabled"}},
                {"name": "setting", "originpulls.aop.zone_setting": {"zone": "example.com", "setting": "ssl"}},
                {"name": "zone cert", "originpulls.aop.origin_tls_client_auth": dict(cert, zone_id=zone_id)},
                {"name": "zone level", "originpulls.aop.origin_tls_client_auth_settings": {"zone": "example.com", "enabled": True}},
                {"name": "hostname cert", "originpulls.aop.origin_tls_client_auth_hostname_certificate": dict(cert, zone="example.com"), "register": "hc"},
                {
                    "name": "binding",
                    "originpulls.aop.origin_tls_client_auth_hostname": {
                        "zone": "example.com",
                        "hostnames": ["app.example.com"],
                        "cert_id": "{{ hc.certificate.id }}",
                    },
                },
                {"name": "info", "originpulls.aop.origin_tls_client_auth_info": {"zone": "example.com", "hostnames": ["app.example.com"]}},
            ],
        },
        # The same call outside the block has no credentials: the defaults above did the work.
        {"name": "without", "originpulls.aop.tls_client_auth": {"zone": "example.com", "state": "enabled", "api_url": emulator.url}, "ignore_errors": True},
    ]
    res = run_tasks(tasks)
    used = {
        "global": "tls_client_auth",
        "setting": "zone_setting",
        "zone cert": "origin_tls_client_auth",
        "zone level": "origin_tls_client_auth_settings",
        "hostname cert": "origin_tls_client_auth_hostname_certificate",
        "binding": "origin_tls_client_auth_hostname",
        "info": "origin_tls_client_auth_info",
    }
    assert sorted(used.values()) == sorted(group_members()), "the play must exercise every module of the group"
    for name in used:
        r = res.task(name)
        assert not r.get("failed"), (name, r.get("msg"))
    assert res.task("global")["tls_client_auth"]["after"] == "on"
    assert res.task("zone level")["enabled"]["after"] is True
    info = res.task("info")
    assert info["tls_client_auth"]["value"] == "on" and info["zone_level"]["enabled"] is True
    assert emulator.log and all(entry["auth"] == "api_token" for entry in emulator.log)

    without = res.task("without")
    assert without["failed"] and "no Cloudflare credentials" in without["msg"]
    assert TOKEN not in res.stdout + res.stderr


def test_every_module_of_the_group_documents_its_membership():
    members = ["originpulls.aop.%s" % m for m in group_members()]
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "--json", *members], env=ansible_env(), capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)
    assert sorted(docs) == sorted(members)
    for name, doc in docs.items():
        attribute = doc["doc"]["attributes"]["action_group"]
        assert attribute["membership"] == ["originpulls.aop.cloudflare"], name
        assert "check_mode" in doc["doc"]["attributes"], name  # merged with the other fragments, not replacing them
