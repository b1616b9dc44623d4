"""A stand-in for Cloudflare's edge: proxies HTTP requests to origins over TLS.

    python3 edge.py CONFIG.json

Runs in the edge container the tests create (host network, so it reaches the emulator and the
origins' ports published on 127.0.0.1, and nothing else). Like Cloudflare, it presents the
zone's origin-pull client certificate only while the Cloudflare API emulator says global AOP
(tls_client_auth) is on for the zone, or the zone's uploaded certificate by Cloudflare's
precedence (per-hostname > zone-level > global). ``GET /<origin>/<path>`` goes to that origin with SNI and
Host set to the origin's server name. Answers as Cloudflare does when the origin fails:
525 (TLS handshake with the origin failed), 523 (origin unreachable), 520 (anything else).
Standard library only (the image has no extra Python packages). Stops after ``lifetime`` seconds.

CONFIG: {"listen_port": 18443, "emulator": "http://127.0.0.1:PORT", "zone": "example.com",
         "client_cert": "...crt", "client_key": "...key", "lifetime": 3600,
         "origins": {"o1": {"port": 32777, "server_name": "origin.test"}}}
The origins map is re-read whenever the file changes.
"""

import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import wire  # tests/fleet/wire.py, beside this file (the edge container mounts that folder)

CONFIG_PATH = sys.argv[1] if len(sys.argv) > 1 else "/fleet/edge.json"
CERT_DIR = "/tmp/edge-certificates"
_cache = {"mtime": None, "config": None, "aop": None, "aop_at": 0.0}
_lock = threading.Lock()


def config():
    mtime = os.stat(CONFIG_PATH).st_mtime
    with _lock:
        if _cache["mtime"] != mtime:
            with open(CONFIG_PATH) as fh:
                _cache["config"] = json.load(fh)
            _cache["mtime"] = mtime
        return _cache["config"]


def zone_view(cfg):
    """The zone's AOP state from the emulator; refreshed at most every 0.2 s."""
    with _lock:
        if time.time() - _cache["aop_at"] < 0.2 and _cache["aop"] is not None:
            return _cache["aop"]
    url = "%s/__emulator__/edge/%s" % (cfg["emulator"].rstrip("/"), cfg["zone"])
    with urllib.request.urlopen(url, timeout=5) as resp:  # 127.0.0.1 only
        view = json.load(resp)
    with _lock:
        _cache["aop"], _cache["aop_at"] = view, time.time()
    return view


def uploaded_pair(cfg, cert_id):
    """Files for an uploaded zone-level or hostname certificate (fetched once from the emulator)."""
    base = os.path.join(CERT_DIR, cert_id)
    if not os.path.exists(base + ".key"):
        url = "%s/__emulator__/edge/%s/certificates/%s" % (cfg["emulator"].rstrip("/"), cfg["zone"], cert_id)
        with urllib.request.urlopen(url, timeout=5) as resp:
            pair = json.load(resp)
        os.makedirs(CERT_DIR, mode=0o700, exist_ok=True)
        with open(base + ".crt", "w") as fh:
            fh.write(pair["certificate"])
        fd = os.open(base + ".key.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(pair["private_key"])
        os.rename(base + ".key.tmp", base + ".key")
    return base + ".crt", base + ".key"


def client_certificate(cfg, server_name):
    """Which certificate Cloudflare presents, by its precedence: per-hostname > zone-level > global."""
    view = zone_view(cfg)
    hostnames = view.get("hostnames") or {}
    if server_name in hostnames:
        cert_id = hostnames[server_name]
        return ("hostname", uploaded_pair(cfg, cert_id)) if cert_id else ("none", None)
    zone_level = view.get("zone_level") or {}
    if zone_level.get("enabled") and zone_level.get("certificate_id"):
        return "zone", uploaded_pair(cfg, zone_level["certificate_id"])
    if view.get("tls_client_auth") == "on":
        return "global", (cfg["client_cert"], cfg["client_key"])
    return "none", None


class Edge(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        cfg = config()
        parts = self.path.split("/", 2)
        origin = cfg["origins"].get(parts[1]) if len(parts) > 1 else None
        if origin is None:
            return self.reply(404, "unknown origin\n")
        path = "/" + (parts[2] if len(parts) > 2 else "")
        name = origin.get("server_name", "origin.test")
        try:
            level, pair = client_certificate(cfg, name)
        except OSError as exc:
            return self.reply(530, "edge cannot read the zone's AOP state: %s\n" % exc)
        ctx = wire.client_context(pair)
        try:
            raw = socket.create_connection(("127.0.0.1", int(origin["port"])), timeout=10)
        except OSError as exc:
            return self.reply(523, "origin unreachable: %s\n" % exc)
        try:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                data = wire.get(tls, path, name, "CF-Connecting-IP: 127.0.0.1\r\n")
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as exc:
            return self.reply(525, "SSL handshake with the origin failed: %s\n" % exc)
        except OSError as exc:
            return self.reply(520, "origin error: %s\n" % exc)
        finally:
            raw.close()
        if not data.startswith(b"HTTP/"):
            return self.reply(525, "origin closed the connection without an answer\n")
        status = wire.status(data)
        note = "via edge (client certificate: %s)\n" % level
        return self.reply(status, note, {"X-Edge-AOP": level})


def main():
    deadline = time.time() + 3600
    while not os.path.exists(CONFIG_PATH):  # the test writes it once the origins' ports are known
        if time.time() > deadline:
            return 1
        time.sleep(0.5)
    cfg = config()
    server = ThreadingHTTPServer(("127.0.0.1", int(cfg["listen_port"])), Edge)
    server.daemon_threads = True
    threading.Timer(float(cfg.get("lifetime", 3600)), server.shutdown).start()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
