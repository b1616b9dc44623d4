"""The origin role's decisions in the action plugin webserver_stage: options and their aliases, refusals, the CA check
once per run across worker processes (no Docker, no Ansible run)."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from ansible_collections.originpulls.aop.plugins.plugin_utils import _webserver_stage as plan

CA_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "files", "authenticated_origin_pull_ca.pem")
SPEC = ["origin_stage", "origin_server", "origin_vhosts", "origin_tls_port", "origin_log_path", "origin_server_log_path"]
TRAEFIK = {"aliases": {"tls_port": "port", "server_log_path": "log_path", "log_path": ""}}


def reader(values):
    return values.get


def test_options_take_the_server_roles_names_where_they_stand_for_origin_ones():
    values = {"origin_stage": "optional", "origin_tls_port": 443, "origin_log_path": "", "origin_server_log_path": ""}
    values.update(traefik_origin_stage="require", traefik_origin_port=8443, traefik_origin_log_path="/var/log/traefik.log")
    # Called as traefik_origin: every alias stands for its origin_* option; log_path has none (an empty alias).
    o = plan.options(SPEC, TRAEFIK, "traefik", "traefik_origin", reader(values))
    assert (o["stage"], o["tls_port"], o["server_log_path"], o["log_path"], o["server"]) == ("require", 8443, "/var/log/traefik.log", "", "traefik")
    # Called as origin: the shared options are origin_*'s own; server-only ones still take the server's name.
    o = plan.options(SPEC, TRAEFIK, "traefik", "", reader(values))
    assert (o["stage"], o["tls_port"], o["server_log_path"]) == ("optional", 443, "/var/log/traefik.log")


def test_a_misspelt_variable_is_refused_and_the_options_are_listed():
    known = {"origin": ["origin_stage", "origin_vhosts"], "nginx_origin": ["nginx_origin_stage"]}
    plan.refuse_unknown(["origin_stage", "origin_result", "origin_server_detected", "nginx_origin_result", "rollout_stage"], "nginx", known)
    with pytest.raises(plan.Refusal) as exc:
        plan.refuse_unknown(["origin_stage", "origin_vhost"], "nginx", known)
    assert str(exc.value) == (
        "unknown option(s) origin_vhost for originpulls.aop.origin. Nothing was changed. The options are: origin_result, origin_stage, origin_vhosts"
    )
    with pytest.raises(plan.Refusal, match=r"nginx_origin_stag for originpulls.aop.nginx_origin\. .* nginx_origin_result, nginx_origin_stage$"):
        plan.refuse_unknown(["nginx_origin_stag"], "nginx", known)


@pytest.mark.parametrize(
    "o, s, vhosts, says",
    [
        ({"stage": "observe"}, {"no_observe": "Caddy has no such mode"}, [{}], "Caddy has no such mode, so stage 'observe' cannot be expressed"),
        ({"stage": "optional"}, {"vhosts_hint": "name a server block"}, [], "nginx_origin_vhosts is empty: name a server block. Nothing was changed."),
        ({"stage": "optional", "tls_options_extra": {"clientAuth": {}}}, {}, [{}], "nginx_origin_tls_options_extra must not set clientAuth"),
        ({"stage": "absent", "server": "traefik", "tls_options_name": "aop"}, {}, [{}], "Take 'aop@file' out of your routers first"),
    ],
)
def test_refusals_before_any_change(o, s, vhosts, says):
    o = dict({"server": "nginx", "tls_options_name": "default", "tls_options_extra": {}}, **o)
    with pytest.raises(plan.Refusal) as exc:
        plan.refuse(o, s, vhosts, "nginx_origin")
    assert says in str(exc.value)
    # The same options on a server that can do it, with a vhost, pass.
    plan.refuse(dict(o, stage="optional", server="nginx", tls_options_extra={}), {}, [{}], "nginx_origin")


def _ca_in_process(folder, queue):
    o = {"ca_source": "cloudflare_global", "ca_content": "", "ca_path": CA_FILE, "ca_pin_sha256": [], "ca_expiry_warning_days": 30}
    calls = []
    real = plan.checked_ca

    def counting(*args):
        calls.append(args)
        return real(*args)

    plan.checked_ca = counting
    checked = plan.ca_check(o, folder)
    queue.put((len(calls), checked["ca"]["sha256_fingerprints"]))


def test_the_ca_is_checked_once_per_run_however_many_workers_ask(tmp_path):
    queue = multiprocessing.get_context("fork").Queue()
    workers = [multiprocessing.get_context("fork").Process(target=_ca_in_process, args=(str(tmp_path), queue)) for _worker in range(6)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=60) for _worker in workers]
    for w in workers:
        w.join()
    assert sum(n for n, _fp in results) == 1  # one worker checked; the five others read its result
    assert {tuple(fp) for _n, fp in results} == {("9A:1A:C2:B4:BE:15:F9:F2:7E:EE:20:A7:34:CB:A4:E9:89:8F:61:00:1B:3B:D7:C8:4B:69:B5:6A:3E:25:A2:B9",)}


def test_a_bad_ca_fails_every_host_with_the_same_message_and_a_changed_file_is_checked_again(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    o = {"ca_source": "custom", "ca_content": "", "ca_path": str(bad), "ca_pin_sha256": [], "ca_expiry_warning_days": 30}
    first, second = plan.ca_check(o, str(tmp_path / "cache")), plan.ca_check(o, str(tmp_path / "cache"))
    assert first["failed"] and first["msg"] == second["msg"] and "PEM" in first["msg"]
    with open(CA_FILE) as fh:
        bad.write_text(fh.read())
    assert plan.ca_check(o, str(tmp_path / "cache"))["ca"]["certificates"][0]["is_ca"]


def test_traefik_names_its_ca_file_by_content_and_proves_each_change_by_handshake():
    ca = {"pem": "PEM", "certificates": [{"subject": "CN=origin-pull.cloudflare.net,OU=Origin Pull"}], "sha256_fingerprints": []}
    o = {"stage": "require", "dir": "", "log_path": "", "vhosts": [{"server_name": "a.test"}, {"server_name": "b.test", "port": 8443}], "tls_port": 443}
    ctx = plan.context(o, {"dir": "/etc/traefik/originpulls-aop", "ca_named_by_content": True, "os": {}}, None, ca)
    assert ctx["__origin_ca_file"] == "/etc/traefik/originpulls-aop/ca-384fb9a44fabe158.pem"
    assert plan.live_checks(o, ctx["__origin_vhosts"], ca) == [
        {"server_name": "a.test", "port": 443, "expect": "require", "ca_names_contains": "CN = origin-pull.cloudflare.net"},
        {"server_name": "b.test", "port": 8443, "expect": "require", "ca_names_contains": "CN = origin-pull.cloudflare.net"},
    ]
    assert plan.live_checks(dict(o, stage="absent"), ctx["__origin_vhosts"], ca)[0] == {"server_name": "a.test", "port": 443, "expect": "off"}


def test_the_ca_options_are_validated_as_origin_pull_ca_validates_them(tmp_path):
    # A pin given as one string is a list of one (as the module's list option makes it), not a list of characters.
    pin = "9A:1A:C2:B4:BE:15:F9:F2:7E:EE:20:A7:34:CB:A4:E9:89:8F:61:00:1B:3B:D7:C8:4B:69:B5:6A:3E:25:A2:B9"
    o = {"ca_source": "cloudflare_global", "ca_content": "", "ca_path": CA_FILE, "ca_pin_sha256": pin, "ca_expiry_warning_days": "30"}
    params, problem = plan.ca_options(o)
    assert problem is None and params["pin_sha256"] == [pin] and params["expiry_warning_days"] == 30
    assert plan.ca_check(o, str(tmp_path))["ca"]["sha256_fingerprints"] == [pin]
    # Content and path together: refused, as the module refuses them, before any change.
    checked = plan.ca_check(dict(o, ca_content="-----BEGIN CERTIFICATE-----"), str(tmp_path))
    assert checked["failed"] and checked["msg"] == "the CA options (origin_ca_*): parameters are mutually exclusive: content|path. Nothing was changed."
