# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What webserver_status knows of each supported server (its pid files or process, full test, AOP log, stage
file) and which of them runs here.

PRIVATE to the collection. Imports nothing from Ansible.
"""

from __future__ import annotations

import os

from ansible_collections.originpulls.aop.plugins.module_utils._origin_liveness import master_pid, processes
from ansible_collections.originpulls.aop.plugins.module_utils._origin_record import read_record

SERVERS = {
    "haproxy": {
        "pid_files": ["/run/haproxy.pid", "/var/run/haproxy.pid"],
        "test": [["/usr/sbin/haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"]],
        "journal_unit": "haproxy.service",
        "logs": [],
        "stage_files": ["/etc/haproxy/originpulls-aop/stage"],
    },
    "caddy": {
        "process": "caddy",
        "test": [["/usr/bin/caddy", "validate", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]],
        "logs": ["/var/log/caddy/originpulls-aop.log"],
        "stage_files": ["/etc/caddy/originpulls-aop/client-auth.caddy"],
    },
    "traefik": {
        "process": "traefik",
        "test": [],
        "logs": ["/var/log/traefik/access.log"],
        "stage_files": ["/etc/traefik/dynamic/originpulls-aop.yml"],
    },
    "nginx": {
        "pid_files": ["/run/nginx.pid", "/var/run/nginx.pid"],
        "test": [["/usr/sbin/nginx", "-t"]],
        "logs": ["/var/log/nginx/originpulls-aop.log"],
        "stage_files": ["/etc/nginx/originpulls-aop/client-auth.conf"],
    },
    "apache": {
        "pid_files": ["/run/apache2/apache2.pid", "/run/httpd/httpd.pid"],
        "test": [["/usr/sbin/apache2ctl", "configtest"], ["/usr/sbin/apachectl", "configtest"]],
        "logs": ["/var/log/apache2/originpulls-aop.log", "/var/log/httpd/originpulls-aop.log"],
        "stage_files": ["/etc/apache2/originpulls-aop/client-auth.conf", "/etc/httpd/originpulls-aop/client-auth.conf"],
    },
}


def running(spec):
    if spec.get("process"):
        return bool(processes(spec["process"]))
    return live_master(spec["pid_files"]) is not None


def detect(found, record_path):
    """(server, None) for ``server: auto`` from the supported servers running here, or (None, why not).

    With several running (HAProxy in front of nginx, say), the one the record on the origin names - the server the
    origin role manages here - when it is one of them."""
    if not found:
        return None, "no supported web server (%s) is running on this host; start it, or set the server type explicitly" % ", ".join(sorted(SERVERS))
    if len(found) == 1:
        return found[0], None
    recorded = (read_record(record_path) or {}).get("server")
    if recorded in found:
        return recorded, None
    return None, "several web servers run here (%s): set the server type for this host (origin_server)" % ", ".join(found)


def live_master(pid_files):
    return next((pid for pid in map(master_pid, pid_files) if pid is not None), None)


def first_existing(paths):
    for p in paths:
        if os.path.exists(p):
            return p
    return paths[0]
