"""Every Cloudflare module, run in this process against the emulator: the frame they share.

Each exit, failed or not, carries ``api_calls``; a Cloudflare failure becomes the module's message;
a problem with the input stops the module before any call.
"""

from __future__ import annotations

import importlib

import pytest
import yaml
from conftest import TOKEN
from cryptography.hazmat.primitives import serialization

from helpers.collection import ROOT
from helpers.module import run_module
from origin.pki import issue, name

MODULES = "ansible_collections.originpulls.aop.plugins.modules."


def leaf_pair():
    """A self-signed leaf certificate (not a CA) and its key, PEM."""
    cert, key = issue(name("frame test client", "originpulls.aop tests"), days=90)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def run(capsys, module, args, check_mode=False, diff=False):
    """Run ``module``'s main() with ``args``; returns its JSON result."""
    return run_module(capsys, importlib.import_module(MODULES + module).main, args, check_mode, diff)


@pytest.fixture
def pair():
    return leaf_pair()


def cases(zone_id, pair):
    cert, key = pair
    return {
        "tls_client_auth": {"state": "enabled"},
        "zone_setting": {"setting": "min_tls_version", "value": "1.2"},
        "origin_tls_client_auth_settings": {"enabled": True},
        "origin_tls_client_auth": {"certificate": cert, "private_key": key},
        "origin_tls_client_auth_hostname_certificate": {"certificate": cert, "private_key": key},
        "origin_tls_client_auth_hostname": {"hostnames": ["app.example.com"], "cert_id": "11111111-2222-4333-8444-555555555555"},
        "origin_tls_client_auth_info": {"hostnames": ["app.example.com"]},
    }


NAMES = sorted(cases("0" * 32, ("", "")))


def base(emulator, zone_id, **more):
    return dict(api_url=emulator.url, api_token=TOKEN, zone_id=zone_id, retries=0, **more)


def test_every_module_of_the_action_group_is_covered():
    with open(ROOT + "/meta/runtime.yml") as fh:
        assert sorted(yaml.safe_load(fh)["action_groups"]["cloudflare"]) == NAMES


@pytest.mark.parametrize("module", NAMES)
def test_a_cloudflare_failure_fails_the_module_with_its_message_and_the_calls(capsys, emulator, zone_id, pair, module):
    emulator.add_fault("status", path="^/zones/", status=403, code=10000, message="Authentication error")
    r = run(capsys, module, dict(base(emulator, zone_id), **cases(zone_id, pair)[module]))
    assert r["failed"] is True
    assert "HTTP 403" in r["msg"] and "[10000] Authentication error" in r["msg"]
    assert r["zone_id"] == zone_id and r["changed"] is False
    assert r["api_calls"] and r["api_calls"] == [{"method": e["method"], "path": e["path"], "status": 403} for e in emulator.log]


@pytest.mark.parametrize("module", NAMES)
def test_a_success_returns_the_calls(capsys, emulator, zone_id, pair, module):
    if module == "origin_tls_client_auth_hostname":  # binds an uploaded certificate: upload it first
        cert, key = pair
        run(capsys, "origin_tls_client_auth_hostname_certificate", dict(base(emulator, zone_id), certificate=cert, private_key=key))
        emulator.clear()
        args = {"hostnames": ["app.example.com"], "certificate": cert}
    else:
        args = cases(zone_id, pair)[module]
    r = run(capsys, module, dict(base(emulator, zone_id), **args))
    assert not r.get("failed"), r.get("msg")
    assert r["zone_id"] == zone_id
    assert r["api_calls"] == [{"method": e["method"], "path": e["path"], "status": e["status"]} for e in emulator.log]
    assert r["api_calls"], "a module that reaches Cloudflare reports its calls"


@pytest.mark.parametrize("module", NAMES)
def test_bad_connection_options_fail_before_any_call(capsys, emulator, zone_id, pair, module):
    r = run(capsys, module, dict(base(emulator, zone_id, timeout=0), **cases(zone_id, pair)[module]))
    assert r["failed"] and "timeout must be a positive number of seconds" in r["msg"]
    assert r["api_calls"] == [] and emulator.log == []


@pytest.mark.parametrize("name", ["api_ca_path", "ca_path"])
def test_the_api_ca_option_keeps_its_old_name(capsys, monkeypatch, emulator, zone_id, tmp_path, name):
    from ansible_collections.originpulls.aop.plugins.module_utils import _cloudflare

    bundle = tmp_path / "api-ca.pem"
    bundle.write_text(leaf_pair()[0])
    verified_with = []
    init = _cloudflare.CloudflareClient.__init__

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        verified_with.append(self.session.verify)

    monkeypatch.setattr(_cloudflare.CloudflareClient, "__init__", recording_init)
    r = run(capsys, "zone_setting", dict(base(emulator, zone_id), setting="ssl", **{name: str(bundle)}))
    assert not r.get("failed"), r.get("msg")
    assert r["setting"]["value"] == "full"
    # The bundle reached the client under either name (the emulator speaks plain http, so only this shows it).
    assert verified_with == [str(bundle)]


@pytest.mark.parametrize("name", ["cert_id", "id"])
@pytest.mark.parametrize("module", ["origin_tls_client_auth", "origin_tls_client_auth_hostname_certificate"])
def test_a_certificate_is_deleted_by_cert_id_or_its_old_name(capsys, emulator, zone_id, pair, module, name):
    cert, key = pair
    up = run(capsys, module, dict(base(emulator, zone_id), certificate=cert, private_key=key))
    assert not up.get("failed"), up.get("msg")
    cert_id = up["certificate"]["id"]
    assert cert_id
    emulator.clear()
    r = run(capsys, module, dict(base(emulator, zone_id), state="absent", **{name: cert_id}))
    assert not r.get("failed"), r.get("msg")
    assert r["changed"] is True and r["certificate"]["id"] == cert_id
    assert [c["method"] for c in r["api_calls"]].count("DELETE") == 1
    again = run(capsys, module, dict(base(emulator, zone_id), state="absent", **{name: cert_id}))
    assert again["changed"] is False


def test_check_mode_writes_nothing_and_the_diff_names_the_zone(capsys, emulator, zone_id):
    r = run(capsys, "origin_tls_client_auth_settings", dict(base(emulator, zone_id), enabled=True), check_mode=True, diff=True)
    assert r["changed"] is True and emulator.writes() == []
    assert r["diff"] == {"before": {"enabled": False}, "after": {"enabled": True}, "before_header": "zone %s" % zone_id, "after_header": "zone %s" % zone_id}
    r = run(capsys, "origin_tls_client_auth_settings", dict(base(emulator, zone_id), enabled=True))
    assert r["changed"] is True and [e["method"] for e in emulator.writes()] == ["PUT"] and "diff" not in r


def test_zone_level_switch_spelt_state_as_the_other_switches_or_enabled_as_before(capsys, emulator, zone_id):
    r = run(capsys, "origin_tls_client_auth_settings", dict(base(emulator, zone_id), state="enabled"))
    assert r["changed"] is True and r["enabled"] == {"before": False, "after": True}
    assert run(capsys, "origin_tls_client_auth_settings", dict(base(emulator, zone_id), enabled=True))["changed"] is False
    r = run(capsys, "origin_tls_client_auth_settings", dict(base(emulator, zone_id), state="disabled"))
    assert r["changed"] is True and r["enabled"] == {"before": True, "after": False}
    r = run(capsys, "origin_tls_client_auth_settings", dict(base(emulator, zone_id), state="enabled", enabled=True))
    assert r["failed"] and "mutually exclusive" in r["msg"]
    r = run(capsys, "origin_tls_client_auth_settings", base(emulator, zone_id))
    assert r["failed"] and "one of the following is required: state, enabled" in r["msg"]


def test_a_refusal_before_the_write_carries_the_reads(capsys, emulator, zone_id):
    emulator.state.zones[zone_id]["settings"]["ssl"]["value"] = "flexible"
    r = run(capsys, "tls_client_auth", base(emulator, zone_id, state="enabled"))
    assert r["failed"] and "Nothing was changed" in r["msg"]
    assert [c["method"] for c in r["api_calls"]] == ["GET", "GET"] and emulator.writes() == []
    assert r["ssl_mode"] == {"before": "flexible", "after": "flexible"}
