"""The emulator is held to Cloudflare's schema: samples validate, bad requests are caught."""

from __future__ import annotations

import json
import os

import pytest
import requests
from conftest import TOKEN

from cf_emulator import Contract
from cf_emulator.spec import OFFICIAL, SCHEMA_DIR

SAMPLES = json.load(open(os.path.join(SCHEMA_DIR, "sample_payloads.json")))
ROUTES = {
    "tls_client_auth_get": ("GET", "/zones/{z}/settings/tls_client_auth"),
    "tls_client_auth_patch_off": ("PATCH", "/zones/{z}/settings/tls_client_auth"),
    "zone_aop_settings_get": ("GET", "/zones/{z}/origin_tls_client_auth/settings"),
    "zone_cert_upload_active": ("POST", "/zones/{z}/origin_tls_client_auth"),
    "zone_cert_upload_docs_pending": ("POST", "/zones/{z}/origin_tls_client_auth"),
    "zone_cert_list": ("GET", "/zones/{z}/origin_tls_client_auth"),
    "hostname_cert_upload": ("POST", "/zones/{z}/origin_tls_client_auth/hostnames/certificates"),
    "hostnames_put": ("PUT", "/zones/{z}/origin_tls_client_auth/hostnames"),
    "hostnames_put_docs_pending": ("PUT", "/zones/{z}/origin_tls_client_auth/hostnames"),
    "hostname_get": ("GET", "/zones/{z}/origin_tls_client_auth/hostnames/app.example.com"),
}
Z = "023e105f4ecef8ad9ca31a8372d0c353"


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_sample_responses_validate_against_patched_schema(name):
    contract = Contract()
    method, path = ROUTES[name]
    op, _params = contract.route(method, path.format(z=Z))
    assert op is not None
    assert contract.check_response(op, 200, SAMPLES[name]) == []


def test_official_schema_rejects_what_the_patch_fixes():
    official = Contract(OFFICIAL)
    rejected = []
    for name, (method, path) in ROUTES.items():
        op, _params = official.route(method, path.format(z=Z))
        if official.check_response(op, 200, SAMPLES[name]):
            rejected.append(name)
    assert sorted(rejected) == sorted(["zone_cert_list", "hostname_cert_upload", "hostnames_put", "hostnames_put_docs_pending", "hostname_get"])
    op, _params = official.route("GET", "/zones/%s/origin_tls_client_auth" % Z)
    error = {"success": False, "errors": [{"code": 7003, "message": "No route"}], "messages": [], "result": None}
    assert official.check_response(op, 400, error) != []
    patched_op, _params = Contract().route("GET", "/zones/%s/origin_tls_client_auth" % Z)
    assert Contract().check_response(patched_op, 400, error) == []


def test_sample_request_bodies_validate():
    contract = Contract()
    op, params = contract.route("POST", "/zones/%s/origin_tls_client_auth" % Z)
    headers = {"Authorization": "Bearer x", "Content-Type": "application/json"}
    assert contract.check_request(op, params, {}, headers, json.dumps(SAMPLES["upload_request_body_example"]).encode()) == []
    op, params = contract.route("PUT", "/zones/%s/origin_tls_client_auth/hostnames" % Z)
    assert contract.check_request(op, params, {}, headers, json.dumps(SAMPLES["hostnames_put_request_body_example"]).encode()) == []


def test_literal_route_segments_win():
    contract = Contract()
    op, _params = contract.route("GET", "/zones/%s/origin_tls_client_auth/settings" % Z)
    assert op.operation_id == "zone-level-authenticated-origin-pulls-get-enablement-setting-for-zone"
    op, _params = contract.route("GET", "/zones/%s/origin_tls_client_auth/hostnames/certificates" % Z)
    assert op.operation_id == "per-hostname-authenticated-origin-pull-list-certificates"


def _call(emulator, method, path, **kw):
    headers = kw.pop("headers", {"Authorization": "Bearer " + TOKEN})
    return requests.request(method, emulator.url + path, headers=headers, timeout=5, **kw)


def test_nonconforming_request_is_a_violation(emulator, zone_id):
    r = _call(emulator, "PATCH", "/zones/%s/settings/tls_client_auth" % zone_id, json={"value": "maybe"})
    assert r.status_code == 400 and r.json()["success"] is False
    assert any("'maybe' is not one of ['on', 'off']" in v for v in emulator.violations)
    assert emulator.state.zones[zone_id]["settings"]["tls_client_auth"]["value"] == "off"
    emulator.expected_violations = len(emulator.violations)


def test_unknown_query_parameter_is_a_violation(emulator, zone_id):
    # The enablement is no list: it declares no page (the certificate lists do: patch 29 and 30).
    _call(emulator, "GET", "/zones/%s/origin_tls_client_auth/settings" % zone_id, params={"page": 1})
    assert any("unknown query parameter 'page'" in v for v in emulator.violations)
    emulator.expected_violations = len(emulator.violations)


def test_generic_setting_path_is_validated(emulator, zone_id):
    r = _call(emulator, "PATCH", "/zones/%s/settings/min_tls_version" % zone_id, json={"value": "1.3"})
    assert r.status_code == 200 and r.json()["result"]["value"] == "1.3"
    _call(emulator, "PATCH", "/zones/%s/settings/min_tls_version" % zone_id, json={"value": "2.0"})
    assert any("min_tls_version" in v for v in emulator.violations)
    emulator.expected_violations = len(emulator.violations)


def test_missing_credentials(emulator, zone_id):
    r = _call(emulator, "GET", "/zones/%s/settings/ssl" % zone_id, headers={})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == 9106
    emulator.expected_violations = len(emulator.violations)  # a request without auth violates the schema too
    assert emulator.expected_violations == 1


def test_request_log_records_calls_without_secrets(emulator, zone_id):
    _call(emulator, "GET", "/zones/%s/settings/ssl" % zone_id)
    entry = emulator.log[-1]
    assert (entry["method"], entry["path"], entry["status"], entry["operation"]) == (
        "GET",
        "/zones/%s/settings/ssl" % zone_id,
        200,
        "zone-settings-get-ssl-setting",
    )
    assert TOKEN not in json.dumps(emulator.log)


def test_control_endpoints(emulator, zone_id):
    base = emulator.url.replace("/client/v4", "/__emulator__")
    requests.post(base + "/faults", json={"kind": "status", "status": 503, "times": 1}, timeout=5)
    assert _call(emulator, "GET", "/zones/%s/settings/ssl" % zone_id).status_code == 503
    assert _call(emulator, "GET", "/zones/%s/settings/ssl" % zone_id).status_code == 200
    log = requests.get(base + "/log", timeout=5).json()
    assert [e["status"] for e in log] == [503, 200]
    requests.patch(base + "/zones/%s/settings/tls_client_auth" % zone_id, json={"editable": False}, timeout=5)
    state = requests.get(base + "/state", timeout=5).json()
    assert state[zone_id]["settings"]["tls_client_auth"] == {"value": "off", "editable": False}
    edge = requests.get(base + "/edge/example.com", timeout=5).json()
    assert edge["tls_client_auth"] == "off" and edge["zone_level"]["enabled"] is False
