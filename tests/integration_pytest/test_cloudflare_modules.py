"""The Cloudflare modules run through ansible-playbook against the emulator."""

from __future__ import annotations

import re

import pytest
from conftest import TOKEN

from helpers.ansible import run_tasks

ENV = {"CLOUDFLARE_API_TOKEN": TOKEN}


def aop(emulator, name="aop", **args):
    args.setdefault("zone", "example.com")
    args.setdefault("api_url", emulator.url)
    args.setdefault("retry_max_delay", 1)
    args = {k: v for k, v in args.items() if v is not None}
    return {"name": name, "originpulls.aop.tls_client_auth": args, "register": "r"}


def setting(emulator, zone_id, sid):
    return emulator.state.zones[zone_id]["settings"][sid]["value"]


def counts(emulator):
    gets = [e for e in emulator.log if e["method"] == "GET"]
    return len(gets), len(emulator.writes())


def test_enable_then_idempotent_then_disable(emulator, zone_id):
    res = run_tasks([aop(emulator, state="enabled")], env=ENV)
    assert res.rc == 0, res.stdout
    r = res.task("aop")
    assert r["changed"] is True
    assert r["tls_client_auth"] == {"before": "off", "after": "on", "editable": True}
    assert r["ssl_mode"] == {"before": "full", "after": "full"}
    assert setting(emulator, zone_id, "tls_client_auth") == "on"
    # Budget: enabling from off by name = 1 lookup GET + 2 GETs + 1 PATCH.
    assert counts(emulator) == (3, 1)
    assert [e["path"] for e in emulator.writes()] == ["/zones/%s/settings/tls_client_auth" % zone_id]

    emulator.clear()
    res = run_tasks([aop(emulator, state="enabled", zone=None, zone_id=zone_id)], env=ENV)
    r = res.task("aop")
    assert res.rc == 0 and r["changed"] is False
    # Budget: idempotent run on a compliant zone = at most 2 GETs, 0 writes.
    assert counts(emulator) == (2, 0)

    emulator.clear()
    res = run_tasks([aop(emulator, state="disabled")], env=ENV)
    assert res.task("aop")["changed"] is True
    assert setting(emulator, zone_id, "tls_client_auth") == "off"


def test_check_mode_makes_no_write_and_diff_shows_change(emulator, zone_id):
    res = run_tasks([aop(emulator, state="enabled")], env=ENV, check=True, diff=True)
    r = res.task("aop")
    assert res.rc == 0 and r["changed"] is True
    assert r["diff"]["before"] == {"tls_client_auth": "off", "ssl": "full"}
    assert r["diff"]["after"] == {"tls_client_auth": "on", "ssl": "full"}
    assert emulator.writes() == []
    assert setting(emulator, zone_id, "tls_client_auth") == "off"


@pytest.mark.parametrize("mode", ["off", "flexible"])
def test_ssl_mode_below_full_is_refused_without_change(emulator, zone_id, mode):
    emulator.state.zones[zone_id]["settings"]["ssl"]["value"] = mode
    res = run_tasks([aop(emulator, state="enabled")], env=ENV)
    r = res.task("aop")
    assert res.rc != 0 and r["failed"]
    assert "SSL/TLS encryption mode %r" % mode in r["msg"] and "Full or higher" in r["msg"] and "raise_ssl_mode" in r["msg"]
    assert emulator.writes() == []


@pytest.mark.parametrize("mode", ["full", "strict", "origin_pull"])
def test_full_or_higher_is_accepted(emulator, zone_id, mode):
    emulator.state.zones[zone_id]["settings"]["ssl"]["value"] = mode
    res = run_tasks([aop(emulator, state="enabled")], env=ENV)
    assert res.rc == 0 and res.task("aop")["ssl_mode"]["after"] == mode
    assert setting(emulator, zone_id, "ssl") == mode


def test_raise_ssl_mode_opt_in(emulator, zone_id):
    emulator.state.zones[zone_id]["settings"]["ssl"]["value"] = "flexible"
    res = run_tasks([aop(emulator, state="enabled", raise_ssl_mode="strict")], env=ENV, diff=True)
    r = res.task("aop")
    assert res.rc == 0 and r["ssl_mode"] == {"before": "flexible", "after": "strict"}
    assert [(e["method"], e["path"].rsplit("/", 1)[1], e["body"]) for e in emulator.writes()] == [
        ("PATCH", "ssl", {"value": "strict"}),
        ("PATCH", "tls_client_auth", {"value": "on"}),
    ]


def test_not_editable_is_refused_before_any_write(emulator, zone_id):
    emulator.state.zones[zone_id]["settings"]["tls_client_auth"]["editable"] = False
    r = run_tasks([aop(emulator, state="enabled")], env=ENV).task("aop")
    assert r["failed"] and "not editable" in r["msg"]
    assert emulator.writes() == []


def test_invalid_token_fault(emulator):
    r = run_tasks([aop(emulator, api_token="wrong-token-value")]).task("aop")
    assert r["failed"] and "[9109]" in r["msg"] and "Hint:" in r["msg"]
    assert "wrong-token-value" not in str(r)


def test_insufficient_permission_fault(emulator, zone_id):
    emulator.state.add_token("ro-token", permissions=("zone:read", "zone_settings:read"))
    r = run_tasks([aop(emulator, api_token="ro-token")]).task("aop")
    assert r["failed"] and "[10000]" in r["msg"] and "Zone Settings Edit" in r["msg"]
    assert setting(emulator, zone_id, "tls_client_auth") == "off"


def test_429_storm_is_retried_with_retry_after(emulator, zone_id):
    emulator.add_fault("status", method="PATCH", status=429, retry_after=1, times=2)
    r = run_tasks([aop(emulator)], env=ENV).task("aop")
    assert r["changed"] is True
    assert [e["status"] for e in emulator.calls(method="PATCH")] == [429, 429, 200]


def test_429_storm_beyond_budget_stops_cleanly(emulator, zone_id):
    emulator.add_fault("status", method="PATCH", status=429, retry_after=1)
    r = run_tasks([aop(emulator, retries=2)], env=ENV).task("aop")
    assert r["failed"] and "HTTP 429" in r["msg"] and "gave up after 3 attempts" in r["msg"]
    assert setting(emulator, zone_id, "tls_client_auth") == "off"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retried(emulator, zone_id, status):
    emulator.add_fault("status", status=status, times=2)
    r = run_tasks([aop(emulator)], env=ENV).task("aop")
    assert r["changed"] is True and setting(emulator, zone_id, "tls_client_auth") == "on"


def test_slow_response_times_out_and_retries(emulator, zone_id):
    emulator.add_fault("delay", method="GET", seconds=3, times=1)
    r = run_tasks([aop(emulator, timeout=1)], env=ENV).task("aop")
    assert r["changed"] is True
    assert emulator.log[0]["fault"] == "delay"


def test_dropped_connection_is_retried(emulator, zone_id):
    emulator.add_fault("drop", times=1)
    r = run_tasks([aop(emulator)], env=ENV).task("aop")
    assert r["changed"] is True


def test_zone_setting_module_read_set_idempotent(emulator, zone_id):
    task = {"name": "s", "originpulls.aop.zone_setting": {"zone_id": zone_id, "api_url": emulator.url, "setting": "min_tls_version", "value": "1.3"}}
    r = run_tasks([task], env=ENV, diff=True).task("s")
    assert r["changed"] and r["previous_value"] == "1.2" and r["setting"]["value"] == "1.3"
    assert r["diff"] == {
        "before": {"min_tls_version": "1.2"},
        "after": {"min_tls_version": "1.3"},
        "before_header": "zone %s" % zone_id,
        "after_header": "zone %s" % zone_id,
    }
    emulator.clear()
    r = run_tasks([task], env=ENV).task("s")
    assert r["changed"] is False and counts(emulator) == (1, 0)
    read = {"name": "s", "originpulls.aop.zone_setting": {"zone_id": zone_id, "api_url": emulator.url, "setting": "ssl"}}
    r = run_tasks([read], env=ENV).task("s")
    assert r["changed"] is False and r["setting"]["value"] == "full"


def test_zone_setting_check_mode_and_not_editable(emulator, zone_id):
    task = {"name": "s", "originpulls.aop.zone_setting": {"zone": "example.com", "api_url": emulator.url, "setting": "ssl", "value": "strict"}}
    r = run_tasks([task], env=ENV, check=True).task("s")
    assert r["changed"] and r["setting"]["value"] == "strict" and emulator.writes() == []
    emulator.state.zones[zone_id]["settings"]["ssl"]["editable"] = False
    r = run_tasks([task], env=ENV).task("s")
    assert r["failed"] and "not editable" in r["msg"] and emulator.writes() == []


def test_info_module_reports_the_picture(emulator, zone_id):
    emulator.state.zones[zone_id]["settings"]["tls_client_auth"]["value"] = "on"
    task = {"name": "i", "originpulls.aop.origin_tls_client_auth_info": {"zone": "example.com", "api_url": emulator.url, "hostnames": ["www.example.com"]}}
    r = run_tasks([task], env=ENV, check=True).task("i")
    assert r["changed"] is False
    assert r["ssl_mode"] == {"value": "full", "aop_applies": True, "editable": True}
    assert r["tls_client_auth"]["value"] == "on"
    assert r["zone_level"] == {"enabled": False, "certificates": []}
    assert r["hostnames"] == [{"hostname": "www.example.com", "associated": False}]
    assert r["effective"] == {"default": "global", "hostnames": {"www.example.com": "global"}}
    assert emulator.writes() == []


def test_bad_arguments_fail_before_any_call(emulator):
    r = run_tasks([aop(emulator, state="on")], env=ENV).task("aop")
    assert r["failed"] and "state" in r["msg"] and "enabled" in r["msg"]
    r = run_tasks([aop(emulator, zone=None, zone_id="0123")], env=ENV).task("aop")
    assert r["failed"] and "'0123' is not a Cloudflare zone id (32 hex characters)" in r["msg"]
    r = run_tasks([aop(emulator, zone=None, zone_id="example.com")], env=ENV).task("aop")
    assert r["failed"] and "32 hex characters" in r["msg"]
    r = run_tasks([aop(emulator, timeout=0)], env=ENV).task("aop")
    assert r["failed"] and "positive number" in r["msg"]
    assert emulator.log == []


def test_no_credentials_is_a_clear_error(emulator):
    r = run_tasks([aop(emulator)]).task("aop")
    assert r["failed"] and "CLOUDFLARE_API_TOKEN" in r["msg"]
    assert emulator.log == []


@pytest.mark.parametrize("how", ["option", "env"])
def test_token_never_appears_in_vvvv_output(emulator, how):
    secret = "s3cr3t-tok-" + "9f8e7d6c5b4a"
    emulator.state.add_token(secret)
    stormy = emulator.state.add_zone("stormy.example")["id"]
    emulator.add_fault("status", path="^/zones/%s/" % stormy, status=503)  # every call to this zone: 503
    args = {"api_token": secret} if how == "option" else {}
    env = {} if how == "option" else {"CLOUDFLARE_API_TOKEN": secret}
    tasks = [
        aop(emulator, name="ok", **args),
        aop(emulator, name="fail", state="enabled", zone="missing.example", **args),
        aop(emulator, name="gave_up", zone="stormy.example", retries=1, **args),
    ]
    for task in tasks[1:]:
        task["ignore_errors"] = True
    res = run_tasks(tasks, env=env, verbosity=4, callback="ansible.builtin.default", diff=True)
    out = res.stdout + res.stderr
    assert "zone 'missing.example' was not found" in out  # the run did reach the API
    assert "HTTP 503" in out and "gave up after 2 attempts" in out
    assert secret not in out


def test_info_in_the_worker_answers_as_the_module_does(emulator, zone_id):
    """On the controller the info module's code runs in the worker (no interpreter); a task with ``environment`` runs
    the module. Both give the same result and the same error, mask a no_log value alike, and never show the token."""
    secret = "s3cr3t-tok-" + "0a1b2c3d4e5f"
    emulator.state.add_token(secret)
    emulator.state.zones[zone_id]["settings"]["tls_client_auth"]["value"] = "on"
    args = {"zone": "example.com", "api_url": emulator.url, "api_token": secret, "hostnames": ["www.example.com"]}
    module = {"environment": {"AOP_TEST_RUN_THE_MODULE": "1"}}
    tasks = [
        {"name": "worker", "originpulls.aop.origin_tls_client_auth_info": args},
        dict({"name": "module", "originpulls.aop.origin_tls_client_auth_info": args}, **module),
        {"name": "worker_fail", "originpulls.aop.origin_tls_client_auth_info": dict(args, zone="missing.example"), "ignore_errors": True},
        dict({"name": "module_fail", "originpulls.aop.origin_tls_client_auth_info": dict(args, zone="missing.example"), "ignore_errors": True}, **module),
    ]
    masked = dict(args, hostnames=["www.example.com", secret])
    res = run_tasks(
        tasks
        + [
            {"name": "worker_masked", "originpulls.aop.origin_tls_client_auth_info": masked},
            dict({"name": "module_masked", "originpulls.aop.origin_tls_client_auth_info": masked}, **module),
        ]
    )
    worker, mod = res.task("worker"), res.task("module")
    mod.pop("invocation", None)  # ansible-core 2.17 and 2.18 keep the module's invocation in the result
    assert worker == mod and worker["effective"] == {"default": "global", "hostnames": {"www.example.com": "global"}}
    assert res.task("worker_fail")["failed"] and res.task("worker_fail")["msg"] == res.task("module_fail")["msg"]
    assert "missing.example" in res.task("worker_fail")["msg"]
    assert res.task("worker_masked")["hostnames"] == res.task("module_masked")["hostnames"]
    assert res.task("worker_masked")["hostnames"][1]["hostname"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    out = run_tasks(tasks, verbosity=4, callback="ansible.builtin.default")
    text = out.stdout + out.stderr
    # The module ran for the two tasks with environment only; the token is nowhere, even at -vvvv.
    assert len(re.findall(r"AOP_TEST_RUN_THE_MODULE=1 \S+ \S+/AnsiballZ_origin_tls_client_auth_info\.py", text)) == 2, text[-3000:]
    assert len(re.findall(r"EXEC /bin/sh -c '(?:\S+=\S+ )*\S*python\S* \S+/AnsiballZ_origin_tls_client_auth_info\.py", text)) == 2, text[-3000:]
    assert secret not in text and "www.example.com" in text
