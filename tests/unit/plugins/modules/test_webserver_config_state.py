"""webserver_config run in this process on real files: state absent (the whole footprint off, the operator's files
byte-identical to before the first run), the record on the origin, and nginx's inherited access_log lines.

The test and reload commands are stand-ins that append to a calls file, so each case sees whether the server
would have been tested and reloaded.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from ansible_collections.originpulls.aop.plugins.modules import webserver_config
from helpers.module import run_module
from helpers.operator_configs import APACHE, CADDY, HAPROXY, NGINX

NGINX_MAIN = """\
user www-data;
worker_processes auto;
events { worker_connections 768; }
http {
    log_format main '$remote_addr - $remote_user [$time_local] "$request" $status';
    access_log /var/log/nginx/access.log main buffer=32k;   # the operator's format
    include conf.d/*.conf;
    include sites-enabled/*;
}
"""
NGINX_CONF_D = 'log_format json escape=json \'{"t":"$time_iso8601"}\';\naccess_log /var/log/nginx/access.json json;\n'


CAPTURE = []  # the capsys of the running test (set by the origin fixture)


def run(args, check_mode=False, diff=False):
    """webserver_config's main() with ``args``, as Ansible runs it; its JSON result."""
    return run_module(CAPTURE[-1], webserver_config.main, args, check_mode, diff)


class Origin:
    """A tree of the operator's files in ``tmp_path``, the module's arguments for it, and the calls it made."""

    def __init__(self, tmp_path):
        self.root = tmp_path
        self.calls = tmp_path / "calls.log"
        self.record = tmp_path / "facts.d" / "originpulls_aop.fact"

    def path(self, rel):
        return str(self.root / rel)

    def put(self, rel, text, mode=0o644):
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        os.chmod(p, mode)
        return str(p)

    def args(self, test_ok=True, **extra):
        args = dict(
            test_command=["sh", "-c", "echo test >> %s; %s" % (self.calls, "true" if test_ok else "echo 'emerg: bogus' >&2; false")],
            reload_command=["sh", "-c", "echo reload >> %s" % self.calls],
            record_path=str(self.record),
        )
        args.update(extra)
        return args

    def called(self):
        calls = self.calls.read_text().split() if self.calls.exists() else []
        if self.calls.exists():
            self.calls.unlink()
        return calls

    def snapshot(self):
        """Every file and link under the tree (but the calls file): path -> content, ('link', target) or 'dir'."""
        out = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                rel = os.path.relpath(p, self.root)
                if rel == "calls.log":
                    continue
                if os.path.islink(p):
                    out[rel] = ("link", os.readlink(p))
                elif os.path.isdir(p):
                    out[rel] = "dir"
                else:
                    with open(p) as fh:
                        out[rel] = (fh.read(), oct(os.stat(p).st_mode & 0o7777))
        return out


@pytest.fixture
def origin(tmp_path, capsys):
    CAPTURE.append(capsys)
    yield Origin(tmp_path)
    CAPTURE.pop()


def nginx_case(o):
    o.put("nginx/nginx.conf", NGINX_MAIN)
    o.put("nginx/conf.d/json.conf", NGINX_CONF_D)
    o.put("nginx/sites-available/www.conf", NGINX)
    os.makedirs(o.path("nginx/sites-enabled"))
    os.symlink("../sites-available/www.conf", o.path("nginx/sites-enabled/www.conf"))
    snippet = o.path("nginx/originpulls-aop/client-auth.conf")
    return dict(
        files=[{"path": snippet, "content": "ssl_verify_client optional;\naccess_log /var/log/nginx/aop.log aop;\n"}],
        includes=[
            dict(
                path=o.path("nginx/sites-enabled/www.conf"),
                dialect="nginx",
                server_name="www.example.com",
                lines=["include %s;" % snippet],
                keep_inherited="access_log /var/log/nginx/access.log;",
                keep_inherited_when_missing="access_log",
                keep_inherited_from=o.path("nginx/nginx.conf"),
            ),
            dict(path=o.path("nginx/sites-enabled/www.conf"), dialect="nginx", server_name="api.example.com", lines=["include %s;" % snippet]),
        ],
    )


def apache_case(o):
    o.put("apache2/sites-available/www.conf", APACHE)
    os.makedirs(o.path("apache2/conf-enabled"))
    return dict(
        files=[{"path": o.path("apache2/conf-available/originpulls-aop.conf"), "content": "SSLVerifyClient optional\n"}],
        links=[{"path": o.path("apache2/conf-enabled/originpulls-aop.conf"), "src": "../conf-available/originpulls-aop.conf"}],
        includes=[
            dict(
                path=o.path("apache2/sites-available/www.conf"),
                dialect="apache",
                server_name="www.example.com",
                lines=["Include /etc/apache2/originpulls-aop/client-auth.conf"],
            )
        ],
    )


def haproxy_case(o):
    o.put("haproxy/haproxy.cfg", HAPROXY, mode=0o640)
    return dict(
        files=[{"path": o.path("haproxy/originpulls-aop/ca.pem"), "content": "-----BEGIN CERTIFICATE-----\n", "mode": "0600"}],
        includes=[
            dict(
                path=o.path("haproxy/haproxy.cfg"),
                dialect="haproxy",
                server_name="fe_https",
                bind_options="ca-file /etc/haproxy/originpulls-aop/ca.pem verify optional",
                lines=["log-format originpulls-aop %ci %[ssl_c_verify]"],
            )
        ],
    )


def caddy_case(o):
    o.put("caddy/Caddyfile", CADDY)
    return dict(
        files=[{"path": o.path("caddy/originpulls-aop/client-auth.caddy"), "content": "client_auth {\n\tmode request\n}\n"}],
        includes=[
            dict(
                path=o.path("caddy/Caddyfile"),
                dialect="caddy",
                lines=["import /etc/caddy/originpulls-aop/client-auth.caddy"],
                keep_inherited="import /etc/caddy/originpulls-aop/log.caddy",
                keep_inherited_when_missing="log",
            )
        ],
    )


def traefik_case(o):
    o.put("traefik/dynamic/site.yml", "http: {}\n")
    return dict(files=[{"path": o.path("traefik/dynamic/originpulls-aop.yml"), "content": '{"tls": {}}\n'}])


CASES = {"nginx": nginx_case, "apache": apache_case, "haproxy": haproxy_case, "caddy": caddy_case, "traefik": traefik_case}


def absent(args):
    """The same arguments for state absent: the files' content left out (optional there)."""
    files = [{"path": f["path"]} for f in args.get("files", [])]
    return dict(args, state="absent", files=files)


@pytest.mark.parametrize("server", sorted(CASES))
def test_present_then_absent_gives_every_operator_file_back_byte_for_byte(origin, server):
    case = CASES[server](origin)
    before = origin.snapshot()
    r = run(origin.args(record={"server": server, "stage": "optional"}, **case))
    assert r["changed"] and r["reloaded"], r
    assert origin.called() == ["test", "reload"]
    assert origin.snapshot() != before and origin.record.exists()

    r = run(origin.args(**absent(case)), diff=True)
    assert r["changed"] and r["reloaded"], r
    assert origin.called() == ["test", "reload"]
    after = origin.snapshot()
    # the collection's directories may stay (empty); every file of its own is gone, every operator file is as it was
    assert {k: v for k, v in after.items() if v != "dir"} == {k: v for k, v in before.items() if v != "dir"}
    assert not origin.record.exists()
    assert r["diff"] and all(d["after"] == "" for d in r["diff"] if d["before_header"].endswith((".pem", ".caddy", ".fact")))

    r = run(origin.args(**absent(case)))
    assert r["changed"] is False and r["reloaded"] is False
    assert origin.called() == []


def test_a_symlinked_vhost_file_is_edited_where_it_lives_and_stays_a_link(origin):
    case = nginx_case(origin)
    run(origin.args(**case))
    link = origin.path("nginx/sites-enabled/www.conf")
    assert os.path.islink(link) and os.readlink(link) == "../sites-available/www.conf"
    with open(origin.path("nginx/sites-available/www.conf")) as fh:
        assert "# originpulls.aop" in fh.read()


def test_absent_in_check_mode_changes_nothing_and_shows_the_diff(origin):
    case = apache_case(origin)
    run(origin.args(record={"stage": "optional"}, **case))
    origin.called()
    present = origin.snapshot()
    r = run(origin.args(**absent(case)), check_mode=True, diff=True)
    assert r["changed"] and not r["reloaded"]
    assert origin.snapshot() == present and origin.called() == []
    headers = [d["before_header"] for d in r["diff"]]
    assert case["links"][0]["path"] in headers and str(origin.record) in headers and case["files"][0]["path"] in headers


def test_a_failed_test_after_removal_puts_everything_back(origin):
    case = apache_case(origin)
    run(origin.args(record={"stage": "optional"}, **case))
    origin.called()
    present = origin.snapshot()
    r = run(origin.args(test_ok=False, **absent(case)))
    assert r["failed"] and "emerg: bogus" in r["msg"] and "put back" in r["msg"], r
    assert origin.called() == ["test", "test"]  # the removal, then the restored tree; no reload
    assert origin.snapshot() == present  # files (with their modes), the link, the vhost lines and the record


def test_a_restored_file_keeps_its_mode(origin):
    case = haproxy_case(origin)
    run(origin.args(**case))
    present = origin.snapshot()
    assert present["haproxy/originpulls-aop/ca.pem"][1] == "0o600" and present["haproxy/haproxy.cfg"][1] == "0o640"
    run(origin.args(test_ok=False, **absent(case)))
    assert origin.snapshot() == present


def test_state_present_still_needs_content_and_lines(origin):
    case = traefik_case(origin)
    r = run(origin.args(files=[{"path": case["files"][0]["path"]}]))
    assert r["failed"] and "content is required" in r["msg"]
    case = nginx_case(origin)
    del case["includes"][0]["lines"]
    r = run(origin.args(**case))
    assert r["failed"] and "lines is required" in r["msg"]
    assert origin.called() == [] and not os.path.exists(case["files"][0]["path"])


def test_the_record_holds_what_is_live(origin):
    case = nginx_case(origin)
    snippet = case["files"][0]
    r = run(origin.args(record={"server": "nginx", "stage": "optional"}, **case))
    doc = json.loads(origin.record.read_text())
    assert doc == r["record"]
    assert doc["server"] == "nginx" and doc["stage"] == "optional"
    assert doc["files"] == {snippet["path"]: hashlib.sha256(snippet["content"].encode()).hexdigest()}
    vhost = case["includes"][0]["path"]
    assert doc["includes"][vhost] == [
        "access_log /var/log/nginx/access.log main buffer=32k;",
        "access_log /var/log/nginx/access.json json;",
        "include %s;" % snippet["path"],
        "include %s;" % snippet["path"],
    ]
    assert oct(os.stat(origin.record).st_mode & 0o777) == "0o644"
    origin.called()

    # the same record: no change, no test, no reload
    r = run(origin.args(record={"server": "nginx", "stage": "optional"}, **case))
    assert r["changed"] is False and origin.called() == []
    # a new record alone: a change, but nothing to test or reload
    r = run(origin.args(record={"server": "nginx", "stage": "require"}, **case), diff=True)
    assert r["changed"] and not r["reloaded"] and origin.called() == []
    assert json.loads(origin.record.read_text())["stage"] == "require"
    assert [d["before_header"] for d in r["diff"]] == [str(origin.record)]


def test_the_record_is_written_only_once_the_change_is_live(origin):
    case = nginx_case(origin)
    r = run(origin.args(test_ok=False, record={"stage": "optional"}, **case))
    assert r["failed"] and not origin.record.exists()
    r = run(origin.args(record={"stage": "optional"}, **case), check_mode=True)
    assert r["changed"] and not origin.record.exists()
    origin.called()
    r = run(origin.args(record={"stage": "optional", "files": {}}, **case))
    assert r["failed"] and "must not set files" in r["msg"] and origin.called() == []


def vhost_block(origin, name):
    from ansible_collections.originpulls.aop.plugins.module_utils import _origin_config as oc

    text = open(origin.path("nginx/sites-available/www.conf")).read()
    return oc.tls_blocks(text, "nginx", name)[0].body(text)


def test_nginx_vhost_keeps_the_http_level_access_logs_with_their_formats(origin):
    case = nginx_case(origin)
    run(origin.args(**case))
    www = vhost_block(origin, "www.example.com")
    assert "access_log /var/log/nginx/access.log main buffer=32k;  # originpulls.aop" in www
    assert "access_log /var/log/nginx/access.json json;  # originpulls.aop" in www
    assert "access_log /var/log/nginx/access.log;" not in www  # the default-format line is not added
    assert "access.log" not in vhost_block(origin, "api.example.com")  # a vhost with its own access_log gets none


def test_nginx_carried_access_logs_follow_the_operators_change(origin):
    case = nginx_case(origin)
    run(origin.args(**case))
    origin.called()
    origin.put("nginx/conf.d/json.conf", "# no more json log\n")
    r = run(origin.args(**case))
    assert r["changed"] and origin.called() == ["test", "reload"]
    www = vhost_block(origin, "www.example.com")
    assert "access.json" not in www and www.count("access_log /var/log/nginx/access.log main buffer=32k;") == 1
    assert run(origin.args(**case))["changed"] is False


@pytest.mark.parametrize(
    "http_logging,carried",
    [
        ("access_log off;", []),  # the vhost logged nothing: it gets only the AOP log of the snippet
        ("", ["access_log /var/log/nginx/access.log;"]),  # none declared: nginx's built-in default, as keep_inherited
    ],
)
def test_nginx_access_log_off_or_none_at_http_level(origin, http_logging, carried):
    case = nginx_case(origin)
    origin.put("nginx/nginx.conf", NGINX_MAIN.replace("access_log /var/log/nginx/access.log main buffer=32k;", http_logging))
    origin.put("nginx/conf.d/json.conf", "# nothing\n")
    run(origin.args(**case))
    www = vhost_block(origin, "www.example.com")
    assert [ln.split("  #")[0].strip() for ln in www.splitlines() if ln.strip().startswith("access_log")] == carried


def test_nginx_unreadable_main_config_is_a_clear_error_before_any_change(origin):
    case = nginx_case(origin)
    case["includes"][0]["keep_inherited_from"] = origin.path("nginx/missing.conf")
    before = origin.snapshot()
    r = run(origin.args(**case))
    assert r["failed"] and "cannot read the nginx configuration" in r["msg"] and "missing.conf" in r["msg"]
    assert origin.snapshot() == before and origin.called() == []


def test_traefik_builtin_test_skips_the_file_absent_deletes(origin):
    # The origin role's stage absent on Traefik: its options file goes, and the built-in test must not read it.
    case = traefik_case(origin)
    assert run(origin.args(builtin_test="traefik_dynamic", **case))["changed"]
    r = run(origin.args(builtin_test="traefik_dynamic", **absent(case)))
    assert r["changed"] and not r.get("failed"), r
    assert not os.path.exists(case["files"][0]["path"])


def test_files_a_killed_run_left_unconfirmed_are_tested_and_reloaded(origin):
    """A run wrote the files and died before its reload: the re-run finds them as planned, but the record still
    lists the files of the stage before. They may not be live, so they are tested and reloaded, then recorded."""
    case = nginx_case(origin)
    run(origin.args(record={"server": "nginx", "stage": "optional"}, **case))
    origin.called()
    require = dict(case, files=[{"path": case["files"][0]["path"], "content": "ssl_verify_client on;\n"}])
    with open(require["files"][0]["path"], "w") as fh:  # what the killed run wrote
        fh.write("ssl_verify_client on;\n")
    r = run(origin.args(record={"server": "nginx", "stage": "require"}, **require))
    assert r["changed"] and r["changed_files"] == [] and r["reloaded"]
    assert origin.called() == ["test", "reload"]
    assert json.loads(origin.record.read_text())["stage"] == "require"
    r = run(origin.args(record={"server": "nginx", "stage": "require"}, **require))
    assert r["changed"] is False and origin.called() == []


def test_absent_killed_before_its_reload_reloads_on_the_re_run_before_the_record_goes(origin):
    """Stage absent deleted the files and died before its reload: the server still runs them. The re-run finds nothing
    to delete, but the record says they were live - so it tests and reloads before it removes the record."""
    case = nginx_case(origin)
    run(origin.args(record={"server": "nginx", "stage": "require"}, **case))
    origin.called()
    for f in case["files"]:
        os.unlink(f["path"])
    for inc in case["includes"]:
        path = os.path.realpath(inc["path"])
        with open(path) as fh:
            text = fh.read()
        with open(path, "w") as fh:
            fh.write("".join(ln for ln in text.splitlines(True) if "originpulls.aop" not in ln))
    r = run(origin.args(**absent(case)))
    assert r["changed"] and r["reloaded"] and origin.called() == ["test", "reload"] and not origin.record.exists()
    r = run(origin.args(**absent(case)))
    assert r["changed"] is False and origin.called() == []
