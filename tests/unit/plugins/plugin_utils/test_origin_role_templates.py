"""What each origin role writes per stage: its templates rendered with jinja2, no Docker, no server.

The origin role's defaults and vars/servers/<server>.yml, with what the action plugin webserver_stage derives from
the options (plugin_utils/_webserver_stage.context), are resolved the way Ansible resolves them
(a lone "{{ expr }}" keeps its type), the controller-side CA check is replaced by a real two-CA bundle,
and each template is rendered for every stage. A directive of the wrong strength (nginx ``optional``
rendered as ``on``, Apache ``require`` as ``optional``, HAProxy ``require`` as ``verify optional``)
fails here in seconds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re

import jinja2
import pytest
import yaml
from jinja2.nativetypes import NativeEnvironment

from ansible_collections.originpulls.aop.plugins.plugin_utils import _webserver_stage as plan

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles")
CA_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "files", "authenticated_origin_pull_ca.pem")
STAGES = ("off", "observe", "optional", "require")


def _combine(*dicts):
    out = {}
    for d in dicts:
        out.update(d)
    return out


FILTERS = {
    "ansible.builtin.combine": _combine,
    "ansible.builtin.to_nice_json": lambda v, indent=4: json.dumps(v, indent=indent, sort_keys=True),
    "ansible.builtin.hash": lambda v, kind="sha1": hashlib.new(kind, v.encode()).hexdigest(),
}


def _env(cls, **kw):
    env = cls(undefined=jinja2.StrictUndefined, **kw)
    env.filters.update(FILTERS)
    return env


def _load(path):
    if not os.path.exists(path):
        return {}
    with open(path) as fh:
        return yaml.safe_load(fh) or {}


def ca_bundle():
    """A bundle of two certificates, as during a CA rotation (the shipped CA twice is enough to count them)."""
    with open(CA_FILE) as fh:
        pem = fh.read()
    return pem + pem


def role_vars(server, stage):
    role = os.path.join(ROLES, "origin")
    defaults = _load(os.path.join(role, "defaults", "main.yml"))
    data = _load(os.path.join(role, "vars", "servers", "%s.yml" % server))
    raw = _combine(defaults, data)
    options = {k[len("origin_") :]: v for k, v in defaults.items()}
    options.update({"stage": stage, "server": server})
    ca = {"pem": ca_bundle(), "sha256_fingerprints": ["AA:BB"], "certificates": [{"subject": "CN=test"}]}
    # What the action plugin webserver_stage renders the server's data and templates with.
    raw.update(plan.context(options, data["__origin_srv"], "Debian", ca), ansible_managed="managed by test")
    native = _env(NativeEnvironment)

    def templated(value):
        if isinstance(value, dict):
            return any(templated(v) for v in value.values())
        if isinstance(value, list):
            return any(templated(v) for v in value)
        return isinstance(value, str) and ("{{" in value or "{%" in value)

    def resolve(value, context):
        if isinstance(value, dict):
            return {k: resolve(v, context) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, context) for v in value]
        if templated(value):
            return strict(native.from_string(value).render(context))
        return value

    def strict(value):
        """An undefined name inside a rendered dict or list fails like one at the top."""
        if isinstance(value, jinja2.Undefined):
            raise jinja2.UndefinedError("undefined inside a value")
        for v in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
            strict(v)
        return value

    # Resolve in passes: a variable whose template names one not resolved yet waits for the next pass.
    resolved = {k: v for k, v in raw.items() if not templated(v)}
    pending = [k for k in raw if k not in resolved]
    while pending:
        left = []
        for key in pending:
            try:
                resolved[key] = resolve(raw[key], resolved)
            except jinja2.UndefinedError:
                left.append(key)
        if len(left) == len(pending):
            # Names that need a running play (lookups, other hosts): a template that uses one fails on StrictUndefined.
            break
        pending = left
    return resolved


def render(server, template, stage):
    context = role_vars(server, stage)
    env = _env(jinja2.Environment, trim_blocks=True, keep_trailing_newline=True)
    with open(os.path.join(ROLES, "origin", "templates", server, template)) as fh:
        return env.from_string(fh.read()).render(context), context


def directives(text):
    """The lines that are not comments, stripped."""
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]


NGINX = {
    "off": [],
    "observe": ["ssl_verify_client optional_no_ca;"],
    "optional": ["ssl_verify_client optional;"],
    "require": ["ssl_verify_client on;"],
}
APACHE = {"off": [], "observe": ["SSLVerifyClient optional_no_ca"], "optional": ["SSLVerifyClient optional"], "require": ["SSLVerifyClient require"]}
HAPROXY = {
    "off": "",
    "observe": "ca-file /etc/haproxy/originpulls-aop/ca.pem verify optional ca-ignore-err all crt-ignore-err all",
    "optional": "ca-file /etc/haproxy/originpulls-aop/ca.pem verify optional",
    "require": "ca-file /etc/haproxy/originpulls-aop/ca.pem verify required",
}
CADDY = {"off": None, "optional": "verify_if_given", "require": "require_and_verify"}
TRAEFIK = {"off": "NoClientCert", "optional": "VerifyClientCertIfGiven", "require": "RequireAndVerifyClientCert"}


@pytest.mark.parametrize("stage", STAGES)
def test_nginx_client_auth_per_stage(stage):
    text, _ctx = render("nginx", "client-auth.conf.j2", stage)
    lines = directives(text)
    assert [ln for ln in lines if ln.startswith("ssl_verify_client")] == NGINX[stage]
    if stage == "off":
        assert lines == []
    else:
        assert "ssl_client_certificate /etc/nginx/originpulls-aop/ca.pem;" in lines
        assert "access_log /var/log/nginx/originpulls-aop.log originpulls_aop;" in lines
    assert "stage %s." % stage in text


@pytest.mark.parametrize("stage", STAGES)
def test_apache_client_auth_per_stage(stage):
    text, _ctx = render("apache", "client-auth.conf.j2", stage)
    lines = directives(text)
    assert [ln for ln in lines if ln.startswith("SSLVerifyClient")] == APACHE[stage]
    if stage != "off":
        assert "SSLCACertificateFile /etc/apache2/originpulls-aop/ca.pem" in lines
    else:
        assert lines == []


@pytest.mark.parametrize("stage", STAGES)
def test_haproxy_bind_options_per_stage(stage):
    text, ctx = render("haproxy", "stage.j2", stage)
    # What webserver_config appends to each 'bind ... ssl' line, and the record of it in the stage file.
    assert ctx["__origin_srv_include"]["bind_options"] == HAPROXY[stage]
    assert ("bind options: %s" % HAPROXY[stage]).strip() in text


@pytest.mark.parametrize("stage", ["off", "optional", "require"])
def test_caddy_client_auth_per_stage(stage):
    text, _ctx = render("caddy", "client-auth.caddy.j2", stage)
    lines = directives(text)
    modes = [ln.split()[1] for ln in lines if ln.startswith("mode ")]
    if CADDY[stage] is None:
        assert lines == []
        return
    assert modes == [CADDY[stage]]
    # Every certificate of the bundle inline (base64 DER), none left out.
    pems = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", ca_bundle(), re.S)
    inline = [ln.split()[1] for ln in lines if ln.startswith("trusted_ca_cert ")]
    assert inline == ["".join(p.split()) for p in pems] and len(inline) == 2
    base64.b64decode(inline[0], validate=True)


@pytest.mark.parametrize("stage", ["off", "optional", "require"])
def test_traefik_options_per_stage(stage):
    text, ctx = render("traefik", "options.yml.j2", stage)
    doc = json.loads("\n".join(ln for ln in text.splitlines() if not ln.startswith("#")))
    auth = doc["tls"]["options"]["default"]["clientAuth"]
    assert auth["clientAuthType"] == TRAEFIK[stage]
    if stage == "off":
        assert "caFiles" not in auth
    else:
        assert auth["caFiles"] == [ctx["__origin_ca_file"]]
        assert re.fullmatch(r"/etc/traefik/originpulls-aop/ca-[0-9a-f]{16}\.pem", auth["caFiles"][0])
