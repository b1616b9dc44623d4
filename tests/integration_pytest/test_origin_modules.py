"""origin_pull_ca and webserver_config through ansible-playbook on localhost (no server needed).

webserver_config is driven with stand-in test/reload commands that record their calls, so every
branch of the transaction (write, test, restore, reload, check mode, idempotence) is exercised
on real files. The servers themselves are covered by the Molecule scenario 'origins'.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess

import pytest

from helpers.ansible import run_tasks
from helpers.local_server import serving
from origin import pki

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


def test_on_the_controller_the_checks_run_in_the_worker_and_answer_as_the_modules_do(tmp_path):
    # delegate_to localhost / connection local: the action plugins run the module's code in the worker (no interpreter
    # per host); arguments are validated and worded as AnsibleModule does, and warnings reach the result.
    cert, key = pki.issue(pki.name("client", "originpulls.aop tests"))
    pki.save(str(tmp_path), "client", cert, key)
    res = run_tasks(
        [
            ca_task(expiry_warning_days=100000),
            {"name": "probe", "originpulls.aop.tls_probe": {"host": "127.0.0.1", "server_name": "x", "prot": 1}, "ignore_errors": True},
            {"name": "bad", "originpulls.aop.tls_probe": {"host": "127.0.0.1", "server_name": "x", "tls_version": "1.4", "port": "x"}, "ignore_errors": True},
            {
                "name": "alias",
                "originpulls.aop.tls_probe": {
                    "host": "127.0.0.1",
                    "port": 1,
                    "server_name": "x",
                    "certificate_path": str(tmp_path / "client.crt"),
                    "client_cert": str(tmp_path / "client.crt"),
                    "private_key_path": str(tmp_path / "client.key"),
                },
                "ignore_errors": True,
            },
        ]
    )
    assert any("expires in" in w for w in res.task("ca").get("warnings", [])), res.task("ca")
    assert res.task("probe")["msg"].startswith("Unsupported parameters for (originpulls.aop.tls_probe) module: prot. Supported parameters include")
    # The first error only, as AnsibleModule says it (the port's type here; the wrong tls_version is not added).
    assert res.task("bad")["msg"].startswith("argument 'port' is of type") and "tls_version" not in res.task("bad")["msg"]
    assert "Both option certificate_path and its alias client_cert are set." in res.task("alias").get("warnings", []), res.task("alias")


def test_in_the_worker_module_defaults_apply_as_to_the_module():
    # The play's module_defaults reach the code run in the worker (ansible-core 2.19+ applies them only when it builds
    # a module): source custom from the defaults, the CA from nowhere -> the module's own refusal.
    block = {"module_defaults": {"originpulls.aop.origin_pull_ca": {"source": "custom"}}, "block": [dict(ca_task(), ignore_errors=True)]}
    r = run_tasks([block]).task("ca")
    assert r["failed"] and "needs the CA certificate" in r["msg"], r


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
    return {"name": "cfg", "originpulls.aop.webserver_config": args}


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


def test_a_failed_reload_puts_every_file_back(site):
    """The test passed but the reload failed: the server still runs the old configuration, and so do the files."""
    run_tasks([config_task(site)])
    before = site["vhost"].read_text()
    task = config_task(site, snippet="ssl_verify_client on;\n", reload_command=["sh", "-c", "echo reload >> %s; echo 'Job failed' >&2; false" % site["calls"]])
    r = run_tasks([task]).task("cfg")
    assert r["failed"] and "reload" in r["msg"] and "Job failed" in r["msg"] and "put back" in r["msg"], r["msg"]
    assert (site["dir"] / "aop" / "client-auth.conf").read_text() == "ssl_verify_client optional;\n"
    assert site["vhost"].read_text() == before


def test_no_new_worker_puts_every_file_back_and_reloads_onto_them(site):
    """A master whose workers never change: the new files come off and the server is reloaded onto the old ones."""
    proc = subprocess.Popen(["sleep", "120"])
    try:
        pid_file = site["dir"] / "server.pid"
        pid_file.write_text("%d\n" % proc.pid)
        run_tasks([config_task(site)])
        site["calls"].unlink()
        r = run_tasks([config_task(site, snippet="ssl_verify_client on;\n", pid_file=str(pid_file), settle_timeout=1)]).task("cfg")
    finally:
        proc.kill()
        proc.wait()
    assert r["failed"] and "no worker on the new configuration appeared within 1s" in r["msg"], r["msg"]
    assert "put back" in r["msg"] and "reloaded onto them" in r["msg"]
    assert calls(site) == ["test", "reload", "reload"]
    assert (site["dir"] / "aop" / "client-auth.conf").read_text() == "ssl_verify_client optional;\n"


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
    task["originpulls.aop.webserver_config"]["includes"][0]["server_name"] = "other.example.com"
    r = run_tasks([task]).task("cfg")
    assert r["failed"] and "server name 'other.example.com'" in r["msg"]
    assert calls(site) == []


HAPROXY_CFG = """\
frontend fe_origin
    bind :443 ssl crt /etc/haproxy/site.pem
    default_backend be_app

backend be_app
    server app 127.0.0.1:8080
"""


def test_haproxy_bind_options_change_with_the_stage(site):
    cfg = site["dir"] / "haproxy.cfg"
    cfg.write_text(HAPROXY_CFG)

    def task(options):
        t = config_task(site)
        t["originpulls.aop.webserver_config"]["includes"] = [
            {"path": str(cfg), "dialect": "haproxy", "server_name": "fe_origin", "bind_options": options, "lines": ["log global"]}
        ]
        return t

    r = run_tasks([task("ca-file /x/ca.pem verify optional")], diff=True).task("cfg")
    assert r["changed"] and r["reloaded"]
    assert "bind :443 ssl crt /etc/haproxy/site.pem ca-file /x/ca.pem verify optional  # originpulls.aop: bind options" in cfg.read_text()
    assert run_tasks([task("ca-file /x/ca.pem verify optional")]).task("cfg")["changed"] is False
    r = run_tasks([task("ca-file /x/ca.pem verify required")]).task("cfg")
    assert r["changed"] and "verify required" in cfg.read_text() and "verify optional" not in cfg.read_text()
    assert calls(site) == ["test", "reload", "test", "reload"]


def traefik_task(site, ca_file, kind="VerifyClientCertIfGiven", **extra):
    options = {"tls": {"options": {"default": {"clientAuth": {"caFiles": [str(ca_file)], "clientAuthType": kind}}}}}
    args = {
        "files": [{"path": str(site["dir"] / "dynamic" / "originpulls-aop.yml"), "content": "# stage\n" + json.dumps(options) + "\n"}],
        "builtin_test": "traefik_dynamic",
    }
    args.update(extra)
    return {"name": "cfg", "originpulls.aop.webserver_config": args}


def test_traefik_options_naming_a_missing_ca_are_put_back(site):
    ca = os.path.abspath(os.path.join(FILES, "authenticated_origin_pull_ca.pem"))
    r = run_tasks([traefik_task(site, ca)]).task("cfg")
    assert r["changed"] and "1 Traefik dynamic configuration file(s) checked" in r["test_output"] and r["reloaded"] is False
    good = (site["dir"] / "dynamic" / "originpulls-aop.yml").read_text()
    r = run_tasks([traefik_task(site, site["dir"] / "gone.pem", kind="RequireAndVerifyClientCert")]).task("cfg")
    assert r["failed"] and "gone.pem cannot be read" in r["msg"] and "put back" in r["msg"]
    assert (site["dir"] / "dynamic" / "originpulls-aop.yml").read_text() == good


def test_a_server_without_pid_file_must_be_running(site):
    r = run_tasks([traefik_task(site, site["dir"] / "ca.pem", process_name="no-such-server-here")]).task("cfg")
    assert r["failed"] and "no process named 'no-such-server-here'" in r["msg"] and "Nothing was changed" in r["msg"]
    assert not (site["dir"] / "dynamic").exists()


@pytest.fixture
def tls_server(tmp_path):
    """A TLS server on 127.0.0.1 that requests no client certificate (a stand-in for 'off')."""
    cert, key = pki.issue(pki.name("origin.test", "originpulls.aop tests"), sans=("origin.test",))
    pki.save(str(tmp_path), "server", cert, key)
    pem = tmp_path / "server.pem"
    pem.write_bytes((tmp_path / "server.crt").read_bytes() + (tmp_path / "server.key").read_bytes())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pem))

    def handshake(conn):
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.settimeout(2)
            tls.recv(1)

    with serving(handshake) as port:
        yield port


def test_live_check_waits_for_the_handshake_and_restores_when_it_never_comes(site, tls_server):
    ca = os.path.abspath(os.path.join(FILES, "authenticated_origin_pull_ca.pem"))
    check = {"port": tls_server, "server_name": "origin.test", "expect": "off"}
    r = run_tasks([traefik_task(site, ca, kind="NoClientCert", live_checks=[check])]).task("cfg")
    assert r["changed"] and r["live"] == ["origin.test:%d off" % tls_server]
    before = (site["dir"] / "dynamic" / "originpulls-aop.yml").read_text()
    check["expect"] = "optional"
    r = run_tasks([traefik_task(site, ca, live_checks=[check], settle_timeout=2)]).task("cfg")
    assert r["failed"] and "did not apply the new configuration within 2s" in r["msg"] and "shows off" in r["msg"]
    assert (site["dir"] / "dynamic" / "originpulls-aop.yml").read_text() == before


def test_a_change_that_never_goes_live_quotes_the_servers_own_error(site, tls_server):
    ca = os.path.abspath(os.path.join(FILES, "authenticated_origin_pull_ca.pem"))
    log = site["dir"] / "traefik.log"
    log.write_text("2026-11-28T15:00:00Z ERR an error from before the change\n")
    error = 'ERR Error occurred during watcher callback error="collecting file configs: /etc/traefik/dynamic/op.yml: yaml: line 1" providerName=file'
    # The server logs while the change is on disk (here: during the test command, after the log was marked).
    logs_during_change = ["sh", "-c", "echo '2026-11-28T15:05:27Z INF starting' >> %s; echo '2026-11-28T15:05:27Z %s' >> %s" % (log, error, log)]
    check = {"port": tls_server, "server_name": "origin.test", "expect": "optional"}
    task = traefik_task(site, ca, live_checks=[check], settle_timeout=1, server_log_path=str(log), test_command=logs_during_change)
    r = run_tasks([task]).task("cfg")
    assert r["failed"] and "did not apply the new configuration within 1s" in r["msg"]
    assert "the server logged: 2026-11-28T15:05:27Z " + error in r["msg"]
    assert "from before the change" not in r["msg"] and "INF starting" not in r["msg"]
    assert not (site["dir"] / "dynamic" / "originpulls-aop.yml").exists()  # a new file: removed again
    # Nothing logged since the change: the error says where to look instead.
    r = run_tasks([traefik_task(site, ca, live_checks=[check], settle_timeout=1, server_log_path=str(log))]).task("cfg")
    assert r["failed"] and "see the server's own log" in r["msg"] and "the server logged" not in r["msg"]
