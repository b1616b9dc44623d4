"""Real TLS handshakes against an origin, per stage, checked against the stage table.

    python tests/origin/probe.py matrix --server nginx --stage optional --port 44301 \
        --pki DIR --container NAME --log /var/log/nginx/originpulls-aop.log
    python tests/origin/probe.py openssl-no-pha --port 44302 --pki DIR      (TLS 1.3, no PHA, valid cert)

Each request goes to 127.0.0.1 (a port published by the test's own container) with SNI and Host
``origin.test``, over TLS 1.2 and TLS 1.3, with: no certificate, a valid certificate from the
test stand-in for Cloudflare's CA, a certificate from another CA, and a self-signed one. The
outcome (HTTP status or TLS rejection) and the AOP log line's verify field (read with docker exec)
must match EXPECTED, which is the stage table in README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import uuid

# The plain HTTP/1.1 helpers the edge stand-in uses too live with it (the edge container mounts tests/fleet).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fleet"))

import wire  # noqa: E402

CASES = ("none", "good", "wrong", "self")
CERTS = {"good": "client-good", "wrong": "client-wrong", "self": "client-self"}
VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}

# (outcome, verify-field prefix in the AOP log); outcome is an HTTP status or "tls" (handshake
# rejected: no status, no log line); verify None means no AOP log line is written.
_OBSERVE_BAD_APACHE = {"1.2": "GENEROUS", "1.3": "FAILED"}
EXPECTED = {
    "nginx": {
        "off": {"none": (200, None), "good": (200, None), "wrong": (200, None), "self": (200, None)},
        "observe": {"none": (200, "NONE"), "good": (200, "SUCCESS"), "wrong": (200, "FAILED"), "self": (200, "FAILED")},
        "optional": {"none": (200, "NONE"), "good": (200, "SUCCESS"), "wrong": (400, "FAILED"), "self": (400, "FAILED")},
        "require": {"none": (400, "NONE"), "good": (200, "SUCCESS"), "wrong": (400, "FAILED"), "self": (400, "FAILED")},
    },
    "apache": {
        "off": {"none": (200, "NONE"), "good": (200, "NONE"), "wrong": (200, "NONE"), "self": (200, "NONE")},
        "observe": {"none": (200, "NONE"), "good": (200, "SUCCESS"), "wrong": (200, _OBSERVE_BAD_APACHE), "self": (200, _OBSERVE_BAD_APACHE)},
        "optional": {"none": (200, "NONE"), "good": (200, "SUCCESS"), "wrong": ("tls", None), "self": ("tls", None)},
        "require": {"none": ("tls", None), "good": (200, "SUCCESS"), "wrong": ("tls", None), "self": ("tls", None)},
    },
    # HAProxy logs ssl_c_verify + ssl_c_used, normalised by the collection's log parser.
    "haproxy": {
        "off": {"none": (200, "NONE"), "good": (200, "NONE"), "wrong": (200, "NONE"), "self": (200, "NONE")},
        "observe": {"none": (200, "NONE"), "good": (200, "SUCCESS"), "wrong": (200, "FAILED"), "self": (200, "FAILED")},
        "optional": {"none": (200, "NONE"), "good": (200, "SUCCESS"), "wrong": ("tls", None), "self": ("tls", None)},
        "require": {"none": ("tls", None), "good": (200, "SUCCESS"), "wrong": ("tls", None), "self": ("tls", None)},
    },
    # Caddy and Traefik: no observe stage (the roles refuse it); JSON access logs, a logged client
    # certificate is a verified one.
    "caddy": {
        "off": {"none": (200, "NONE"), "good": (200, "NONE"), "wrong": (200, "NONE"), "self": (200, "NONE")},
        "optional": {"none": (200, "NONE"), "good": (200, "SUCCESS"), "wrong": ("tls", None), "self": ("tls", None)},
        "require": {"none": ("tls", None), "good": (200, "SUCCESS"), "wrong": ("tls", None), "self": ("tls", None)},
    },
}
EXPECTED["traefik"] = EXPECTED["caddy"]


def request(port, pki, case, version, sni="origin.test", path=None, timeout=5.0, pair=None):
    """One HTTPS request; returns (status or 'tls', detail). ``pair`` (crt, key) overrides ``case``."""
    if not pair and case != "none":
        stem = os.path.join(pki, CERTS[case])
        pair = (stem + ".crt", stem + ".key")
    ctx = wire.client_context(pair)
    ctx.minimum_version = ctx.maximum_version = VERSIONS[version]
    ctx.post_handshake_auth = False
    path = path or "/aop-probe/%s" % uuid.uuid4().hex
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=sni) as tls:
                data = wire.get(tls, path, sni)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as exc:
        return "tls", str(exc)
    except OSError as exc:  # timeouts, refused: not a TLS verdict
        return "error", str(exc)
    if not data.startswith(b"HTTP/"):
        return "tls", "connection closed without an HTTP response"
    return wire.status(data), data.split(b"\r\n", 1)[0].decode()


def _load_log_parser():
    """The collection's own AOP log parser (it imports nothing from Ansible)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "plugins", "module_utils", "_aop_log.py")
    spec = importlib.util.spec_from_file_location("aop_log", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


AOP_LOG = _load_log_parser()


def log_line(container, log_path, marker, wait=False):
    """The last AOP log line for ``marker``; ``journal:<unit>`` reads the unit's standard output in the journal."""
    if log_path.startswith("journal:"):
        cmd = ["sh", "-c", "journalctl --no-pager -q -o cat -u %s _TRANSPORT=stdout | grep -F -- %s" % (log_path.split(":", 1)[1], marker)]
    else:
        cmd = ["grep", "-F", "--", marker, log_path]
    # A loaded machine delays the journal (and a server's log writes) by seconds: wait up to 30 s for a line that must come.
    deadline = time.monotonic() + (30 if wait else 0)
    while True:
        proc = subprocess.run(["docker", "exec", container] + cmd, capture_output=True, text=True, check=False)
        lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
        if lines:
            return lines[-1]
        if time.monotonic() > deadline:
            return None
        time.sleep(0.3)


def verify_field(line):
    return AOP_LOG.parse_line(line).get("verify")


def matrix(args):
    expected = EXPECTED[args.server][args.stage]
    rows, failures = [], 0
    for version in ("1.2", "1.3"):
        for case in CASES:
            marker = "/aop-probe/%s-%s-%s-%s" % (args.stage, case, version.replace(".", ""), uuid.uuid4().hex[:12])
            outcome, detail = request(args.port, args.pki, case, version, path=marker)
            want_outcome, want_verify = expected[case]
            if isinstance(want_verify, dict):
                want_verify = want_verify[version]
            line = log_line(args.container, args.log, marker, wait=want_verify is not None) if args.container else None
            got_verify = verify_field(line) if line else None
            ok = outcome == want_outcome
            if args.container:
                if want_verify is None:
                    ok = ok and line is None
                else:
                    ok = ok and got_verify is not None and got_verify.startswith(want_verify)
            failures += 0 if ok else 1
            rows.append(
                {
                    "tls": version,
                    "case": case,
                    "outcome": outcome,
                    "expected": want_outcome,
                    "verify": got_verify,
                    "expected_verify": want_verify,
                    "ok": ok,
                    "detail": detail if not ok else "",
                }
            )
    print("%s stage %s on 127.0.0.1:%d" % (args.server, args.stage, args.port))
    for r in rows:
        print(
            "  TLS %-4s %-6s -> %-6s (want %-6s) verify=%-40s (want %s) %s %s"
            % (r["tls"], r["case"], r["outcome"], r["expected"], r["verify"], r["expected_verify"], "ok" if r["ok"] else "MISMATCH", r["detail"])
        )
    print(json.dumps({"failures": failures}))
    return 1 if failures else 0


def openssl_no_pha(args):
    """TLS 1.3 without post-handshake auth (openssl s_client -tls1_3, no -enable_pha), valid cert: must get 200."""
    stem = os.path.join(args.pki, CERTS["good"])
    cmd = [
        "openssl",
        "s_client",
        "-tls1_3",
        "-connect",
        "127.0.0.1:%d" % args.port,
        "-servername",
        "origin.test",
        "-cert",
        stem + ".crt",
        "-key",
        stem + ".key",
        "-quiet",
        "-ign_eof",
    ]
    req = "GET /aop-probe/no-pha HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n"
    proc = subprocess.run(cmd, input=req, capture_output=True, text=True, timeout=20, check=False)
    first = (proc.stdout.splitlines() or [""])[0]
    print("openssl s_client -tls1_3 (no -enable_pha), valid certificate: %s" % (first or proc.stderr.strip()[-300:]))
    return 0 if first.startswith("HTTP/1.1 200") else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("matrix")
    m.add_argument("--server", choices=sorted(EXPECTED), required=True)
    m.add_argument("--stage", choices=("off", "observe", "optional", "require"), required=True)
    m.add_argument("--port", type=int, required=True)
    m.add_argument("--pki", required=True)
    m.add_argument("--container", help="read the AOP log in this container with docker exec")
    m.add_argument("--log", help="path of the AOP log in the container, or journal:<unit>")
    o = sub.add_parser("openssl-no-pha")
    o.add_argument("--port", type=int, required=True)
    o.add_argument("--pki", required=True)
    args = ap.parse_args(argv)
    return matrix(args) if args.cmd == "matrix" else openssl_no_pha(args)


if __name__ == "__main__":
    sys.exit(main())
