"""Finding TLS virtual hosts in the operator's files and inserting marked lines."""

from __future__ import annotations

import pytest

from ansible_collections.originpulls.aop.plugins.module_utils import _origin_config as oc

NGINX = """\
# an operator's file
server {
    listen 80;
    server_name www.example.com;
    return 301 https://$host$request_uri;
}

server {
    listen 443 ssl;   # TLS
    server_name www.example.com example.com;
    ssl_certificate /etc/ssl/site.pem;
    location / {
        add_header X-Test "a } brace in a string";
        root /var/www/html;
    }
}
server {
    listen 8443 ssl http2;
    server_name api.example.com;
    access_log /var/log/nginx/api.log;
}
"""

APACHE = """\
<VirtualHost *:80>
    ServerName www.example.com
</VirtualHost>
# <VirtualHost *:443> in a comment
<IfModule mod_ssl.c>
<VirtualHost _default_:443>
    ServerName www.example.com
    ServerAlias example.com
    SSLEngine on
    <Location />
        Require all granted
    </Location>
</VirtualHost>
</IfModule>
"""

INC = "include /etc/nginx/originpulls-aop/www.conf;"


def test_nginx_finds_tls_blocks_only():
    blocks = oc.tls_blocks(NGINX, "nginx")
    assert [oc.nginx_server_names(b.body(NGINX)) for b in blocks] == [["www.example.com", "example.com"], ["api.example.com"]]


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
        oc.nginx_blocks("server { listen 443 ssl;")


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
