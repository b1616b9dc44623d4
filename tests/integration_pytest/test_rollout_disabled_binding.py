"""enable_aop's preflight stops before any change when a hostname the origins serve has a disabled per-hostname binding.

Cloudflare's precedence is per-hostname > zone-level > global, and a binding with ``enabled: false`` gets no client
certificate at all: switching global (or zone-level) AOP on cannot reach that hostname, and an origin serving it at
require refuses its pulls. The preflight names the hostname and changes nothing; disable_aop (which does not set
``rollout_refuse_disabled_bindings``) is not held up by it; ``rollout_force`` goes ahead and says so.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from conftest import TOKEN
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from helpers.ansible import run_tasks
from origin import pki


def api(emulator, zone_id, method, path, body=None):
    req = urllib.request.Request(
        "%s/zones/%s%s" % (emulator.url, zone_id, path),
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)["result"]


@pytest.fixture
def bound(emulator, zone_id):
    """origin.test bound to a per-hostname certificate; returns a function setting the binding's ``enabled``."""
    ca, ca_key = pki.issue(pki.name("binding test CA", "originpulls.aop tests"), ca=True)
    leaf, key = pki.issue(pki.name("origin.test client", "originpulls.aop tests"), ca.subject, ca_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    pem = leaf.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    cert = api(emulator, zone_id, "POST", "/origin_tls_client_auth/hostnames/certificates", {"certificate": pem, "private_key": key_pem})

    def binding(enabled):
        api(emulator, zone_id, "PUT", "/origin_tls_client_auth/hostnames", {"config": [{"hostname": "origin.test", "cert_id": cert["id"], "enabled": enabled}]})

    return binding


def preflight(emulator, **extra):
    tasks = [
        # What an origin of the group carries in the inventory: the name it serves (here on the controller itself).
        {"name": "the group's origin serves origin.test", "ansible.builtin.set_fact": {"rollout_probe_server_name": "origin.test"}},
        {
            "name": "preflight",
            "ansible.builtin.include_role": {"name": "originpulls.aop.rollout", "tasks_from": "preflight_cloudflare"},
            "vars": dict(
                {"rollout_hosts": "localhost", "rollout_zone": "example.com", "rollout_api_url": emulator.url, "rollout_api_token": TOKEN},
                **extra,
            ),
        },
    ]
    before = len(emulator.log)
    res = run_tasks(tasks)
    writes = [e for e in emulator.log[before:] if e["method"] != "GET"]
    return res, writes


def test_enable_stops_before_any_change_on_a_served_hostname_whose_binding_is_disabled(emulator, bound):
    bound(False)
    res, writes = preflight(emulator, rollout_refuse_disabled_bindings=True)
    assert res.rc != 0, res.stdout[-3000:]
    assert "refusing to let these origins require a client certificate" in res.stdout
    assert "disabled per-hostname binding for origin.test" in res.stdout and "Nothing was changed" in res.stdout
    assert writes == []
    res, _writes = preflight(emulator, rollout_refuse_disabled_bindings=True, rollout_force=True)
    assert res.rc == 0, res.stdout[-3000:]
    assert "rollout_force=true: going ahead although these hostnames get no client certificate: origin.test" in res.stdout


def test_disable_is_not_held_up_and_a_removed_binding_passes(emulator, bound):
    bound(False)
    res, _writes = preflight(emulator)  # disable_aop's preflight: relaxing is how such a hostname gets served again
    assert res.rc == 0, res.stdout[-3000:]
    bound(None)
    res, _writes = preflight(emulator, rollout_refuse_disabled_bindings=True)
    assert res.rc == 0, res.stdout[-3000:]
