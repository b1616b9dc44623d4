"""The operator's configuration files that the origin editing tests start from, one per syntax: TLS and plain
virtual hosts side by side, comments, nested blocks, a brace in a string (tests/unit: _origin_config on the text,
webserver_config on files)."""

from __future__ import annotations

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

HAPROXY = """\
global
\tlog /dev/log local0

defaults
\tmode http

frontend fe_http
\tbind :80
\tdefault_backend be

# the TLS frontend
frontend fe_https
\tbind :443 ssl crt /etc/haproxy/site.pem alpn h2,http/1.1
\tbind :::443 v4v6 ssl crt /etc/haproxy/site.pem
\tdefault_backend be

backend be
\tserver s1 127.0.0.1:8080
"""

CADDY = """\
{
\temail ops@example.com
}

(common) {
\tencode gzip
}

www.example.com, example.com {
\ttls /etc/caddy/site.crt /etc/caddy/site.key
\tlog {
\t\toutput file /var/log/caddy/www.log
\t}
\treverse_proxy 127.0.0.1:8080
}

api.example.com {
\ttls /etc/caddy/api.crt /etc/caddy/api.key {
\t\tprotocols tls1.2 tls1.3
\t}
\trespond "api # not a comment"
}

auto.example.com {
\trespond "auto"
}

http://plain.example.com {
\trespond "plain"
}
"""
