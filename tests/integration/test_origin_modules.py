"""origin_pull_ca and origin_config through ansible-playbook on localhost (no server needed).

origin_config is driven with stand-in test/reload commands that record their calls, so every
branch of the transaction (write, test, restore, reload, check mode, idempotence) is exercised
on real files. The servers themselves are covered by the Molecule scenario 'origins'.
"""

from __future__ import annotations

import os

import pytest

from helpers.ansible import run_tasks

FILES = os.path.join(os.path.dirname(__file__), "..", "unit", "files")

VHOST = """\
server {
    listen 443 ssl;
    server_name www.example.com;
}
"""


def ca_task(**args):
    return {"name": "ca", "originpulls.aop.origin_pull_ca": args}


def test_default_ca_is_cloudflares():
    r = run_tasks([ca_task()]).task("ca")
    assert r["changed"] is False
    assert r["sha256_fingerprints"] == ["9A:1A:C2:B4:BE:15:F9:F2:7E:EE:20:A7:34:CB:A4:E9:89:8F:61:00:1B:3B:D7:C8:4B:69:B5:6A:3E:25:A2:B9"]
    assert r["certificates"][0]["not_after"] == "2029-11-01T17:00:00Z"


@pytest.mark.parametrize(
    "name,message",
    [
        ("authenticated_origin_pull_ca_expired_2020.pem", "earlier Cloudflare AOP CA"),
        ("origin_ca_rsa_root.pem", "Cloudflare Origin CA root"),
        ("origin_ca_ecc_root_expired_2021.pem", "Cloudflare Origin CA root"),
    ],
)
def test_real_mistakes_are_refused_by_name(name, message):
    r = run_tasks([ca_task(path=os.path.abspath(os.path.join(FILES, "not-the-aop-ca", name)))]).task("ca")
    assert r["failed"] and message in r["msg"]


def test_custom_needs_input():
    r = run_tasks([ca_task(source="custom")]).task("ca")
    assert r["failed"] and "needs the CA certificate" in r["msg"]


@pytest.fixture
def site(tmp_path):
    vhost = tmp_path / "vhost.conf"
    vhost.write_text(VHOST)
    calls = tmp_path / "calls.log"
    return {"dir": tmp_path, "vhost": vhost, "calls": calls}


def config_task(site, snippet="ssl_verify_client optional;\n", test_ok=True, **extra):
    calls = str(site["calls"])
    args = {
        "files": [{"path": str(site["dir"] / "aop" / "client-auth.conf"), "content": snippet}],
        "includes": [{"path": str(site["vhost"]), "dialect": "nginx", "server_name": "www.example.com", "lines": ["include aop/client-auth.conf;"]}],
        "test_command": ["sh", "-c", "echo test >> %s; %s" % (calls, "true" if test_ok else "echo 'nginx: [emerg] unknown directive \"bogus\"' >&2; false")],
        "reload_command": ["sh", "-c", "echo reload >> %s" % calls],
    }
    args.update(extra)
    return {"name": "cfg", "originpulls.aop.origin_config": args}


def calls(site):
    return site["calls"].read_text().split() if site["calls"].exists() else []


def test_transaction_writes_tests_reloads_then_is_idempotent(site):
    r = run_tasks([config_task(site)], diff=True).task("cfg")
    assert r["changed"] and r["reloaded"]
    assert calls(site) == ["test", "reload"]
    assert "include aop/client-auth.conf;  # originpulls.aop" in site["vhost"].read_text()
    assert (site["dir"] / "aop" / "client-auth.conf").read_text() == "ssl_verify_client optional;\n"
    assert len(r["diff"]) == 2
    r = run_tasks([config_task(site)]).task("cfg")
    assert r["changed"] is False and r["reloaded"] is False
    assert calls(site) == ["test", "reload"]  # no test, no reload the second time


def test_check_mode_writes_nothing(site):
    r = run_tasks([config_task(site)], check=True, diff=True).task("cfg")
    assert r["changed"] and not r["reloaded"]
    assert site["vhost"].read_text() == VHOST
    assert not (site["dir"] / "aop").exists()
    assert calls(site) == []


def test_failed_test_restores_every_file_and_never_reloads(site):
    run_tasks([config_task(site)])
    before = site["vhost"].read_text()
    site["calls"].unlink()
    r = run_tasks([config_task(site, snippet="ssl_verify_client on;\n", test_ok=False)]).task("cfg")
    assert r["failed"]
    assert 'unknown directive "bogus"' in r["msg"] and "put back" in r["msg"]
    assert calls(site) == ["test", "test"]  # the change, then the restored tree; no reload
    assert (site["dir"] / "aop" / "client-auth.conf").read_text() == "ssl_verify_client optional;\n"
    assert site["vhost"].read_text() == before


def test_new_files_are_removed_on_failure(site):
    r = run_tasks([config_task(site, test_ok=False)]).task("cfg")
    assert r["failed"]
    assert site["vhost"].read_text() == VHOST
    assert not (site["dir"] / "aop" / "client-auth.conf").exists()


def test_server_not_running_changes_nothing(site):
    r = run_tasks([config_task(site, pid_file=str(site["dir"] / "missing.pid"))]).task("cfg")
    assert r["failed"] and "not running" in r["msg"] and "Nothing was changed" in r["msg"]
    assert site["vhost"].read_text() == VHOST and calls(site) == []


def test_no_matching_vhost_is_a_clear_error(site):
    task = config_task(site)
    task["originpulls.aop.origin_config"]["includes"][0]["server_name"] = "other.example.com"
    r = run_tasks([task]).task("cfg")
    assert r["failed"] and "server name 'other.example.com'" in r["msg"]
    assert calls(site) == []
