"""The origin roles refuse bad input before any task touches anything."""

from __future__ import annotations

import pytest

from helpers.ansible import run_tasks


def role(name, **vars_):
    return {"name": "role", "ansible.builtin.include_role": {"name": "originpulls.aop.%s" % name}, "vars": vars_}


def failure(res):
    for play in res.data["plays"]:
        for task in play["tasks"]:
            host = task["hosts"].get("localhost", {})
            if host.get("failed"):
                return task["task"]["name"], host
    raise AssertionError("nothing failed:\n" + res.stdout[-2000:])


def refused_on_the_controller(host):
    """The role's one step refused on the controller, before any module ran on the origin (webserver_config's result
    always has changed_files) - so before any change."""
    assert host.get("changed") is False and "changed_files" not in host and "Nothing was changed" in host["msg"], host


SERVER_ROLES = ["nginx_origin", "apache_origin", "haproxy_origin", "caddy_origin", "traefik_origin"]


@pytest.mark.parametrize("prefix", SERVER_ROLES)
def test_typo_in_stage_is_refused_by_the_argument_spec(prefix):
    res = run_tasks([role(prefix, **{prefix + "_stage": "requier"})])
    name, host = failure(res)
    assert "argument" in name.lower() or "validating" in name.lower()
    assert "requier" in host["msg"] and "require" in host["msg"]
    assert not any("Put the stage" in t for p in res.data["plays"] for t in [x["task"]["name"] for x in p["tasks"]])


@pytest.mark.parametrize("prefix", SERVER_ROLES)
def test_unknown_option_is_refused_before_any_change(prefix):
    res = run_tasks([role(prefix, **{prefix + "_stag": "require"})])
    _name, host = failure(res)
    assert "unknown option(s) %s_stag" % prefix in host["msg"] and "%s_stage" % prefix in host["msg"]
    refused_on_the_controller(host)


def test_origin_role_rejects_unknown_server():
    res = run_tasks([role("origin", origin_server="lighttpd")])
    _name, host = failure(res)
    assert "lighttpd" in host["msg"]


@pytest.mark.parametrize("prefix", ["caddy_origin", "traefik_origin"])
def test_observe_is_refused_where_the_server_cannot_express_it(prefix):
    res = run_tasks([role(prefix, **{prefix + "_stage": "observe", prefix + "_vhosts": [{"path": "/etc/caddy/Caddyfile", "server_name": "www.example.com"}]})])
    _name, host = failure(res)
    assert "stage 'observe' cannot be expressed" in host["msg"] and "Nothing was changed" in host["msg"]
    refused_on_the_controller(host)


def test_traefik_needs_a_host_name_to_prove_each_change():
    res = run_tasks([role("traefik_origin", traefik_origin_stage="require")])
    _name, host = failure(res)
    assert "traefik_origin_vhosts is empty" in host["msg"]
    refused_on_the_controller(host)


@pytest.mark.parametrize("prefix", ["nginx_origin", "apache_origin"])
def test_nginx_and_apache_refuse_an_empty_vhost_list(prefix):
    # Documented as required; with none, the role would write a snippet that nothing includes and report success.
    res = run_tasks([role(prefix, **{prefix + "_stage": "require", prefix + "_vhosts": []})])
    _name, host = failure(res)
    assert "%s_vhosts is empty" % prefix in host["msg"] and "Nothing was changed" in host["msg"]
    refused_on_the_controller(host)


def test_origin_role_refuses_unknown_options_of_its_own_and_of_the_server():
    res = run_tasks([role("origin", origin_server="nginx", origin_stag="require", nginx_origin_dri="/tmp")])
    _name, host = failure(res)
    assert "origin_stag" in host["msg"] and "nginx_origin_dri" in host["msg"] and "Nothing was changed" in host["msg"]
    refused_on_the_controller(host)


@pytest.mark.parametrize("server", ["nginx", "apache", "traefik"])
def test_origin_role_refuses_an_empty_vhost_list_where_the_server_needs_one(server):
    res = run_tasks([role("origin", origin_server=server, origin_stage="absent")])
    _name, host = failure(res)
    assert "origin_vhosts is empty" in host["msg"] and "Nothing was changed" in host["msg"]
    refused_on_the_controller(host)


def test_traefik_absent_refuses_to_delete_tls_options_that_routers_name():
    # Routers name TLS options other than 'default' as '<name>@file'; Traefik refuses a router whose options are gone.
    vhosts = [{"path": "/etc/traefik/dynamic/origin-test.yml", "server_name": "www.example.com"}]
    res = run_tasks([role("origin", origin_server="traefik", origin_stage="absent", origin_vhosts=vhosts, origin_tls_options_name="aop")])
    _name, host = failure(res)
    refused_on_the_controller(host)
    assert "'aop@file'" in host["msg"] and "Nothing was changed" in host["msg"] and "origin_tls_options_name" in host["msg"]
    refused_on_the_controller(host)


def test_tls_options_name_is_traefiks_alone_and_holds_no_other_server_back():
    # Shared group_vars may set it for every origin: stage absent on nginx goes past the refusals (to the transaction,
    # which then fails here: no nginx runs on the test host).
    vhosts = [{"path": "/etc/nginx/sites-available/www", "server_name": "www.example.com"}]
    res = run_tasks([role("origin", origin_server="nginx", origin_stage="absent", origin_vhosts=vhosts, origin_tls_options_name="aop")])
    _name, host = failure(res)
    assert "changed_files" in host and "@file" not in host["msg"], host.get("msg")
