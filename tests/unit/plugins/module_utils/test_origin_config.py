"""Finding TLS virtual hosts in the operator's files and inserting marked lines."""

from __future__ import annotations

import json

import pytest

from ansible_collections.originpulls.aop.plugins.module_utils import _origin_config as oc
from ansible_collections.originpulls.aop.plugins.module_utils import _origin_liveness as liveness
from ansible_collections.originpulls.aop.plugins.module_utils import _origin_nginx as nginx
from ansible_collections.originpulls.aop.plugins.module_utils import _origin_traefik as traefik
from helpers.operator_configs import APACHE, CADDY, HAPROXY, NGINX

INC = "include /etc/nginx/originpulls-aop/www.conf;"


def test_nginx_finds_tls_blocks_only():
    blocks = oc.tls_blocks(NGINX, "nginx")
    assert [nginx.nginx_server_names(b.body(NGINX)) for b in blocks] == [["www.example.com", "example.com"], ["api.example.com"]]


def test_nginx_insert_by_server_name_is_idempotent():
    out = oc.ensure_lines(NGINX, "nginx", [INC], server_name="example.com")
    assert out.count(INC) == 1
    www = oc.tls_blocks(out, "nginx", "www.example.com")[0].body(out)
    assert INC + "  # originpulls.aop" in www
    assert oc.ensure_lines(out, "nginx", [INC], server_name="example.com") == out
    assert oc.remove_marked(out) == NGINX


def test_nginx_keeps_inherited_access_log_only_where_missing():
    keep = "access_log /var/log/nginx/access.log;"
    out = oc.ensure_lines(NGINX, "nginx", [INC], unless_directive="access_log", extra_line=keep)
    www = oc.tls_blocks(out, "nginx", "www.example.com")[0].body(out)
    api = oc.tls_blocks(out, "nginx", "api.example.com")[0].body(out)
    assert keep in www and keep not in api
    assert INC in www and INC in api
    assert oc.ensure_lines(out, "nginx", [INC], unless_directive="access_log", extra_line=keep) == out


def test_nginx_no_match_is_a_clear_error():
    with pytest.raises(oc.ConfigEditError, match="no TLS server .* server name 'nope.example'"):
        oc.ensure_lines(NGINX, "nginx", [INC], server_name="nope.example", path="/etc/nginx/sites-available/x")
    with pytest.raises(oc.ConfigEditError, match="unbalanced"):
        nginx.nginx_blocks("server { listen 443 ssl;")


def test_apache_vhost_with_sslengine_and_alias():
    line = "Include /etc/apache2/originpulls-aop/www.conf"
    out = oc.ensure_lines(APACHE, "apache", [line], server_name="example.com")
    assert out.count(line) == 1
    body = oc.tls_blocks(out, "apache")[0].body(out)
    # Last in the vhost (wins over earlier settings); Apache has no trailing comments, so the marker is above.
    assert body.rstrip().endswith("# originpulls.aop: the next line is managed\n    " + line)
    assert oc.ensure_lines(out, "apache", [line], server_name="example.com") == out
    assert oc.remove_marked(out) == APACHE


def test_apache_plain_vhost_is_not_tls():
    with pytest.raises(oc.ConfigEditError, match="SSLEngine on"):
        oc.ensure_lines("<VirtualHost *:80>\nServerName a\n</VirtualHost>\n", "apache", ["Include x"])


HAPROXY_LINES = ["log global", "log stdout format raw local0"]


def test_haproxy_bind_options_follow_the_stage_and_come_off_cleanly():
    optional = oc.ensure_lines(HAPROXY, "haproxy", HAPROXY_LINES, server_name="fe_https", bind_options="ca-file /x/ca.pem verify optional")
    binds = [ln.strip() for ln in optional.splitlines() if ln.strip().startswith("bind")]
    assert binds == [
        "bind :80",
        "bind :443 ssl crt /etc/haproxy/site.pem alpn h2,http/1.1 ca-file /x/ca.pem verify optional  # originpulls.aop: bind options",
        "bind :::443 v4v6 ssl crt /etc/haproxy/site.pem ca-file /x/ca.pem verify optional  # originpulls.aop: bind options",
    ]
    # the section's own lines go at its end, before the blank line that precedes the backend
    assert "\tdefault_backend be\n\tlog global  # originpulls.aop\n\tlog stdout format raw local0  # originpulls.aop\n\nbackend be" in optional
    require = oc.ensure_lines(optional, "haproxy", HAPROXY_LINES, server_name="fe_https", bind_options="ca-file /x/ca.pem verify required")
    assert "verify optional" not in require and require.count("verify required") == 2
    assert oc.ensure_lines(require, "haproxy", HAPROXY_LINES, server_name="fe_https", bind_options="ca-file /x/ca.pem verify required") == require
    off = oc.ensure_lines(require, "haproxy", HAPROXY_LINES, server_name="fe_https", bind_options="")
    assert "ca-file" not in off and "bind :443 ssl crt /etc/haproxy/site.pem alpn h2,http/1.1\n" in off
    assert oc.remove_marked(require) == HAPROXY


def test_haproxy_refuses_a_bind_line_with_its_own_client_certificate_options():
    text = HAPROXY.replace("alpn h2,http/1.1", "verify none alpn h2,http/1.1")
    with pytest.raises(oc.ConfigEditError, match="already sets verify"):
        oc.ensure_lines(text, "haproxy", [], bind_options="verify optional")


def test_haproxy_frontend_by_name_and_no_match():
    assert len(oc.tls_blocks(HAPROXY, "haproxy")) == 1
    with pytest.raises(oc.ConfigEditError, match="frontend/listen section"):
        oc.ensure_lines(HAPROXY, "haproxy", [], server_name="fe_http", bind_options="verify optional")


CADDY_IMPORT = ["import /etc/caddy/originpulls-aop/client-auth.caddy"]
CADDY_LOG = "import /etc/caddy/originpulls-aop/log.caddy"


def caddy(text, **kw):
    return oc.ensure_lines(text, "caddy", CADDY_IMPORT, extra_line=CADDY_LOG, unless_directive="log", **kw)


def test_caddy_puts_client_auth_inside_each_sites_tls_block():
    out = caddy(CADDY)
    # a tls line without a block gets one, marked so that the line comes back as it was
    assert (
        "\ttls /etc/caddy/site.crt /etc/caddy/site.key {  # originpulls.aop: opened\n"
        "\t\timport /etc/caddy/originpulls-aop/client-auth.caddy  # originpulls.aop\n"
        "\t}  # originpulls.aop\n"
    ) in out
    # an existing tls block gets the import inside
    assert "\ttls /etc/caddy/api.crt /etc/caddy/api.key {\n\t\timport /etc/caddy/originpulls-aop/client-auth.caddy  # originpulls.aop\n" in out
    # a site without tls gets a marked tls block
    assert "auto.example.com {\n\ttls {  # originpulls.aop\n" in out
    # the AOP log only where the site has no log of its own; http:// sites, snippets, global options untouched
    assert out.count(CADDY_LOG) == 2
    assert 'http://plain.example.com {\n\trespond "plain"\n}' in out and "(common) {\n\tencode gzip\n}" in out
    assert caddy(out) == out
    assert oc.remove_marked(out) == CADDY


def test_caddy_site_by_address():
    out = caddy(CADDY, server_name="example.com")
    assert out.count("client-auth.caddy") == 1 and "api.example.com {\n\ttls /etc/caddy/api.crt /etc/caddy/api.key {\n\t\tprotocols" in out
    with pytest.raises(oc.ConfigEditError, match="site block"):
        caddy(CADDY, server_name="plain.example.com")


def test_traefik_dynamic_test(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    good = tmp_path / "aop.yml"
    good.write_text('# header\n{"tls": {"options": {"default": {"clientAuth": {"caFiles": ["%s"], "clientAuthType": "VerifyClientCertIfGiven"}}}}}\n' % ca)
    assert traefik.traefik_dynamic_test([str(good), str(ca)]) == (0, "1 Traefik dynamic configuration file(s) checked")
    missing = tmp_path / "missing.yml"
    options = {"default": {"clientAuth": {"caFiles": [str(tmp_path / "nope.pem")], "clientAuthType": "RequireAndVerifyClientCrt"}}}
    missing.write_text(json.dumps({"tls": {"options": options}}))
    rc, msg = traefik.traefik_dynamic_test([str(missing)])
    assert rc == 1 and "cannot be read" in msg and "'RequireAndVerifyClientCrt' is not one of" in msg
    nofile = tmp_path / "noca.yml"
    nofile.write_text('{"tls": {"options": {"x": {"clientAuth": {"clientAuthType": "RequireAndVerifyClientCert"}}}}}')
    assert "names no caFiles" in traefik.traefik_dynamic_test([str(nofile)])[1]
    broken = tmp_path / "broken.yml"
    broken.write_text("tls: [")
    assert "not readable" in traefik.traefik_dynamic_test([str(broken)])[1]


# What `openssl s_client -tls1_2` without a client certificate prints, trimmed to the lines that matter:
# OpenSSL 3.0 (Debian 12) and OpenSSL 3.5 (Debian 13) print the CA names and alerts differently.
S_CLIENT_REQUIRE = """\
{alert}
CONNECTED(00000003)
---
Acceptable client certificate CA names
{ca_names}
Client Certificate Types: RSA sign, DSA sign, ECDSA sign
---
New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384
"""
S_CLIENT_REQUIRE_30 = S_CLIENT_REQUIRE.format(
    alert="40974EC5D27F0000:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../ssl/record/rec_layer_s3.c:1602:SSL alert number 40",
    ca_names="C = US, O = Test Origin Pull CA, CN = origin-pull.test",
)
S_CLIENT_REQUIRE_35 = S_CLIENT_REQUIRE.format(
    alert="40D719346B7F0000:error:0A000410:SSL routines:ssl3_read_bytes:ssl/tls alert handshake failure:../ssl/record/rec_layer_s3.c:918:SSL alert number 40",
    ca_names="C=US, O=Test Origin Pull CA, CN=origin-pull.test",
)
S_CLIENT_OFF = """\
CONNECTED(00000003)
---
No client certificate CA names sent
---
New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384
"""


@pytest.mark.parametrize("output", [S_CLIENT_REQUIRE_30, S_CLIENT_REQUIRE_35], ids=["openssl-3.0", "openssl-3.5"])
@pytest.mark.parametrize("wanted", ["CN = origin-pull.test", "CN=origin-pull.test"])
def test_client_certificate_request_reads_ca_names_in_either_dn_spacing(output, wanted):
    assert liveness.classify_handshake(output, wanted) == "require"
    optional = "\n".join(ln for ln in output.splitlines() if "alert" not in ln)
    assert liveness.classify_handshake(optional, wanted) == "optional"


@pytest.mark.parametrize("output", [S_CLIENT_REQUIRE_30, S_CLIENT_REQUIRE_35], ids=["openssl-3.0", "openssl-3.5"])
def test_client_certificate_request_names_other_cas(output):
    seen = liveness.classify_handshake(output, "CN = another CA")
    assert seen.startswith("requested from other CAs (")
    assert "origin-pull.test" in seen
    # a CN is not matched by a longer one that starts with it
    assert liveness.classify_handshake(output, "CN=origin-pull.test.example").startswith("requested from other CAs")


def test_client_certificate_request_off_and_no_handshake():
    assert liveness.classify_handshake(S_CLIENT_OFF, "CN=origin-pull.test") == "off"
    assert liveness.classify_handshake("connect: Connection refused\nconnect:errno=111\n") is None
