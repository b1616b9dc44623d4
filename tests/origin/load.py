"""A bounded, steady stream of requests; counts failures.

    python tests/origin/load.py start --out FILE --pki DIR --target 127.0.0.1:PORT[:SNI] ...
    python tests/origin/load.py start --out FILE --pki DIR --edge 127.0.0.1:PORT/o1 --edge ...

--target: HTTPS straight to an origin with a valid client certificate.
--edge: plain HTTP to the edge stand-in, which forwards to origin o1 (and presents Cloudflare's
certificate only while AOP is on, as Cloudflare does).
    python tests/origin/load.py stop --out FILE           (prints the summary; exit 1 on failures)

Targets are ports on 127.0.0.1 published by the test's own containers (or an edge container the
test created). The loop stops by itself after --max-seconds or --max-requests, or when 'stop'
removes its run file. TLS 1.2 and 1.3 alternate. A request fails when it gets no HTTP 2xx answer.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "fleet")]  # probe; wire (beside the edge stand-in)

import wire  # noqa: E402
from probe import request  # noqa: E402


def edge_request(address, path, timeout=10.0):
    host, port = address.split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            data = wire.get(sock, path, "edge.test")
    except OSError as exc:
        return "error", str(exc)
    if not data.startswith(b"HTTP/"):
        return "error", "no HTTP answer"
    return wire.status(data), data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()


def run(args):
    targets = []
    for t in args.target or []:
        parts = t.split(":")
        targets.append(("tls", int(parts[1]), parts[2] if len(parts) > 2 else "origin.test"))
    for e in args.edge or []:
        address, _sep, path = e.partition("/")
        targets.append(("edge", address, "/" + path + "/aop-load"))
    deadline = time.time() + args.max_seconds
    summary = {"requests": 0, "failures": 0, "by_target": {}, "errors": []}
    running = args.out + ".running"
    n = 0
    while os.path.exists(running) and time.time() < deadline and summary["requests"] < args.max_requests:
        kind, where, what = targets[n % len(targets)]
        version = "1.3" if (n // len(targets)) % 2 else "1.2"
        if kind == "tls":
            outcome, detail = request(where, args.pki, "good", version, sni=what)
            key = "%s:%d" % (what, where)
        else:
            outcome, detail = edge_request(where, what)
            key = "edge %s%s" % (where, what)
        stats = summary["by_target"].setdefault(key, {"requests": 0, "failures": 0})
        stats["requests"] += 1
        summary["requests"] += 1
        if not (isinstance(outcome, int) and 200 <= outcome < 300):
            stats["failures"] += 1
            summary["failures"] += 1
            if len(summary["errors"]) < 20:
                summary["errors"].append({"target": key, "tls": version, "outcome": outcome, "detail": detail, "t": round(time.time(), 3)})
        n += 1
        time.sleep(args.interval)
    with open(args.out + ".tmp", "w") as fh:
        json.dump(summary, fh)
    os.replace(args.out + ".tmp", args.out)
    return 0


def start(args):
    for path in (args.out, args.out + ".running"):
        if os.path.exists(path):
            os.unlink(path)
    open(args.out + ".running", "w").close()
    cmd = [sys.executable, os.path.abspath(__file__), "run", "--out", args.out, "--pki", args.pki, "--interval", str(args.interval)]
    cmd += ["--max-seconds", str(args.max_seconds), "--max-requests", str(args.max_requests)]
    for t in args.target or []:
        cmd += ["--target", t]
    for e in args.edge or []:
        cmd += ["--edge", e]
    subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return 0


def stop(args):
    running = args.out + ".running"
    if os.path.exists(running):
        os.unlink(running)
    for _attempt in range(100):
        if os.path.exists(args.out):
            break
        time.sleep(0.2)
    with open(args.out) as fh:
        summary = json.load(fh)
    print(json.dumps(summary, indent=1))
    if summary["requests"] < args.min_requests:
        print("only %d requests were sent (want at least %d)" % (summary["requests"], args.min_requests))
        return 1
    return 1 if summary["failures"] else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("start", "run"):
        p = sub.add_parser(name)
        p.add_argument("--out", required=True)
        p.add_argument("--pki", required=True)
        p.add_argument("--target", action="append")
        p.add_argument("--edge", action="append")
        p.add_argument("--interval", type=float, default=0.05)
        p.add_argument("--max-seconds", type=float, default=600)
        p.add_argument("--max-requests", type=int, default=50000)
    s = sub.add_parser("stop")
    s.add_argument("--out", required=True)
    s.add_argument("--min-requests", type=int, default=20)
    args = ap.parse_args(argv)
    return {"start": start, "run": run, "stop": stop}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
