"""Zone-level and per-hostname AOP modules through ansible-playbook against the emulator."""

from __future__ import annotations

import os
import stat

import pytest
from conftest import TOKEN

from helpers.ansible import run_tasks

ENV = {"CLOUDFLARE_API_TOKEN": TOKEN}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """Two generations of client PKI made by the collection's own module."""
    base = tmp_path_factory.mktemp("pki")
    tasks = [
        {"name": "one", "originpulls.aop.origin_pull_client_pki": {"path": str(base), "name": "gen1"}},
        {"name": "two", "originpulls.aop.origin_pull_client_pki": {"path": str(base), "name": "gen2"}},
        {"name": "again", "originpulls.aop.origin_pull_client_pki": {"path": str(base), "name": "gen1"}},
    ]
    res = run_tasks(tasks)
    assert res.task("one")["changed"] and res.task("two")["changed"]
    assert res.task("again")["changed"] is False
    return base


def cert_task(emulator, module="origin_tls_client_auth", name="c", gen="gen1", **args):
    args.setdefault("zone", "example.com")
    args.setdefault("api_url", emulator.url)
    if args.get("state", "present") == "present" and "certificate" not in args and "certificate_path" not in args:
        args["certificate_path"] = str(gen_path(gen, ".crt"))
        args["private_key_path"] = str(gen_path(gen, ".key"))
    return {"name": name, "originpulls.aop.%s" % module: args}


_PKI = {}


def gen_path(gen, suffix):
    return _PKI["base"] / (gen + suffix)


@pytest.fixture(autouse=True)
def _pki_base(pki):
    _PKI["base"] = pki


def test_pki_keys_are_0600(pki):
    for name in ("gen1.key", "gen1-ca.key"):
        assert stat.S_IMODE(os.stat(pki / name).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(pki / "gen1.crt").st_mode) == 0o644


def test_upload_twice_is_one_upload_and_waits_for_active(emulator, zone_id):
    emulator.state.activation_delay = 1.5
    res = run_tasks([cert_task(emulator, name="first"), cert_task(emulator, name="second")], env=ENV, diff=True)
    first, second = res.task("first"), res.task("second")
    assert first["changed"] is True and first["certificate"]["status"] == "active"
    assert second["changed"] is False and second["certificate"]["id"] == first["certificate"]["id"]
    assert [c["id"] for c in second["certificates"]] == [first["certificate"]["id"]]
    assert second["certificates"][0]["sha256_fingerprint"] == first["certificate"]["sha256_fingerprint"]
    assert len(emulator.calls(method="POST")) == 1
    assert "private_key" not in str(first) and "PRIVATE KEY" not in res.stdout
    # The action plugin looked again (reads only) until Cloudflare had deployed it.
    assert first["looks"] > 1 and len(emulator.calls(method="GET", path=r"/origin_tls_client_auth$")) > 2, "looked again until active"


def test_check_mode_uploads_nothing(emulator):
    r = run_tasks([cert_task(emulator)], env=ENV, check=True).task("c")
    assert r["changed"] is True
    assert emulator.writes() == []


@pytest.mark.parametrize(
    "case,message",
    [
        ("key_of_other", "does not belong to"),
        ("ca_as_leaf", "is a CA certificate"),
        ("not_pem", "not PEM"),
        ("no_key", "needs the certificate's private key"),
    ],
)
def test_bad_pairs_are_refused_before_any_call(emulator, case, message):
    args = {}
    if case == "key_of_other":
        args = {"certificate_path": str(gen_path("gen1", ".crt")), "private_key_path": str(gen_path("gen2", ".key"))}
    elif case == "ca_as_leaf":
        args = {"certificate_path": str(gen_path("gen1", "-ca.crt")), "private_key_path": str(gen_path("gen1", "-ca.key"))}
    elif case == "not_pem":
        args = {"certificate": "hello", "private_key_path": str(gen_path("gen1", ".key"))}
    elif case == "no_key":
        args = {"certificate_path": str(gen_path("gen1", ".crt"))}
    r = run_tasks([cert_task(emulator, **args)], env=ENV).task("c")
    assert r["failed"] and message in r["msg"]
    assert emulator.log == []


def test_wait_for_active_times_out_clearly(emulator):
    emulator.state.activation_delay = 60
    r = run_tasks([cert_task(emulator, wait_timeout=2)], env=ENV).task("c")
    assert r["failed"] and "still 'pending_deployment' after 2s" in r["msg"]
    assert len(emulator.calls(method="POST")) == 1


def test_delete_by_content_then_by_id(emulator):
    first = run_tasks([cert_task(emulator)], env=ENV).task("c")
    cert_id = first["certificate"]["id"]
    r = run_tasks([cert_task(emulator, state="absent", certificate_path=str(gen_path("gen1", ".crt")))], env=ENV).task("c")
    assert r["changed"] and r["certificate"]["id"] == cert_id
    r = run_tasks([cert_task(emulator, state="absent", id=cert_id)], env=ENV).task("c")
    assert r["changed"] is False
    assert len(emulator.calls(method="DELETE")) == 1


def test_zone_level_settings_idempotent(emulator, zone_id):
    task = {"name": "s", "originpulls.aop.origin_tls_client_auth_settings": {"zone_id": zone_id, "api_url": emulator.url, "enabled": True}}
    r = run_tasks([task], env=ENV, diff=True).task("s")
    assert r["changed"] and r["enabled"] == {"before": False, "after": True}
    emulator.clear()
    r = run_tasks([task], env=ENV).task("s")
    assert r["changed"] is False and emulator.writes() == [] and len(emulator.log) == 1


def test_hostname_certificate_limit_of_ten_is_refused_before_the_call(emulator, zone_id, tmp_path):
    run_tasks([cert_task(emulator, module="origin_tls_client_auth_hostname_certificate")], env=ENV)
    zone = emulator.state.zones[zone_id]
    template = next(iter(zone["hostname_certs"].values()))
    for i in range(9):
        zone["hostname_certs"]["00000000-0000-4000-8000-%012d" % i] = dict(template, id="00000000-0000-4000-8000-%012d" % i, certificate="x")
    emulator.clear()
    r = run_tasks([cert_task(emulator, module="origin_tls_client_auth_hostname_certificate", gen="gen2")], env=ENV).task("c")
    assert r["failed"] and "limit is 10 per zone" in r["msg"]
    assert emulator.calls(method="POST") == []


def test_hostname_binding_enable_disable_remove(emulator):
    up = run_tasks([cert_task(emulator, module="origin_tls_client_auth_hostname_certificate", gen="gen2")], env=ENV).task("c")
    cert_id = up["certificate"]["id"]
    bind = {"zone": "example.com", "api_url": emulator.url, "hostnames": ["app.example.com", "api.example.com"], "cert_id": cert_id}
    r = run_tasks([{"name": "b", "originpulls.aop.origin_tls_client_auth_hostname": bind}], env=ENV, diff=True).task("b")
    assert r["changed"] and sorted(r["changed_hostnames"]) == ["api.example.com", "app.example.com"]
    emulator.clear()
    r = run_tasks([{"name": "b", "originpulls.aop.origin_tls_client_auth_hostname": bind}], env=ENV).task("b")
    assert r["changed"] is False and emulator.writes() == []
    by_content = dict(bind, cert_id=None, certificate_path=str(gen_path("gen2", ".crt")), state="disabled")
    by_content.pop("cert_id")
    r = run_tasks([{"name": "b", "originpulls.aop.origin_tls_client_auth_hostname": by_content}], env=ENV).task("b")
    assert r["changed"] and all(h["enabled"] is False for h in r["hostnames"])
    r = run_tasks([{"name": "b", "originpulls.aop.origin_tls_client_auth_hostname": dict(bind, state="absent")}], env=ENV).task("b")
    assert r["changed"]
    assert emulator.state.zones[next(iter(emulator.state.zones))]["hostnames"] == {}


def test_hostname_limits_and_syntax_refused_before_any_call(emulator):
    many = ["h%03d.example.com" % i for i in range(101)]
    task = {"name": "b", "originpulls.aop.origin_tls_client_auth_hostname": {"zone": "example.com", "api_url": emulator.url, "hostnames": many, "cert_id": "x"}}
    r = run_tasks([task], env=ENV).task("b")
    assert r["failed"] and "at most 100 associations" in r["msg"]
    task["originpulls.aop.origin_tls_client_auth_hostname"]["hostnames"] = ["bad_host!"]
    r = run_tasks([task], env=ENV).task("b")
    assert r["failed"] and "not valid hostnames" in r["msg"]
    assert emulator.log == []


def test_unknown_certificate_id_gets_1415(emulator):
    task = {
        "name": "b",
        "originpulls.aop.origin_tls_client_auth_hostname": {
            "zone": "example.com",
            "api_url": emulator.url,
            "hostnames": ["app.example.com"],
            "cert_id": "11111111-2222-4333-8444-555555555555",
        },
    }
    r = run_tasks([task], env=ENV).task("b")
    assert r["failed"] and "[1415]" in r["msg"]


def key_body_lines(key):
    """Every base64 line of a PEM private key: a leak of any part of the key shows one of them whole."""
    lines = [line for line in key.strip().splitlines() if not line.startswith("-----")]
    assert sum(len(line) for line in lines) > 100
    return lines


@pytest.mark.parametrize("path", ["upload", "upload refused"])
def test_private_key_never_in_vvvv_output(emulator, path):
    key = gen_path("gen1", ".key").read_text()
    if path == "upload refused":
        emulator.add_fault("status", method="POST", path="/origin_tls_client_auth$", status=400, code=1405, message="The private key does not match")
    task = cert_task(emulator, certificate=gen_path("gen1", ".crt").read_text(), private_key=key)
    task["ignore_errors"] = True
    res = run_tasks([task], env=ENV, verbosity=4, callback="ansible.builtin.default", diff=True)
    out = res.stdout + res.stderr
    assert ("[1405]" in out) if path == "upload refused" else ("active" in res.stdout)
    assert "".join(key_body_lines(key)) not in out.replace("\\n", "").replace("\n", "")
    leaked = [line for line in key_body_lines(key) if line in out or line[8:-8] in out]
    assert not leaked, "parts of the private key in the output"


# ---------------------------------------------- an upload Cloudflare stored, then failed to confirm
@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 500},
        {"kind": "status", "status": 502},
        {"kind": "delay", "seconds": 4},  # beyond the module's timeout of 2s: a read timeout
        {"kind": "drop"},
    ],
    ids=["500", "502", "timeout", "dropped"],
)
@pytest.mark.parametrize("module", ["origin_tls_client_auth", "origin_tls_client_auth_hostname_certificate"])
def test_an_upload_stored_before_the_failure_is_found_again_by_content(emulator, zone_id, module, fault):
    fault = dict(fault)
    emulator.add_fault(fault.pop("kind"), method="POST", path="/origin_tls_client_auth(/hostnames/certificates)?$", times=1, after_change=True, **fault)
    tasks = [cert_task(emulator, module=module, name="upload", timeout=2), cert_task(emulator, module=module, name="again")]
    res = run_tasks(tasks, env=ENV)
    upload, again = res.task("upload"), res.task("again")  # the run went on after the upload
    assert not upload.get("failed"), upload.get("msg")
    kind = "zone_certs" if module == "origin_tls_client_auth" else "hostname_certs"
    stored = list(emulator.state.zones[zone_id][kind].values())
    assert len(stored) == 1, "one certificate on Cloudflare, no duplicate"
    assert upload["changed"] is True and upload["certificate"]["id"] == stored[0]["id"]
    assert upload["certificate"]["status"] == "active"
    assert again["changed"] is False and again["certificate"]["id"] == stored[0]["id"]
    posts = emulator.calls(method="POST")
    assert len(posts) == 1 and posts[0]["fault"].endswith("after the change")
