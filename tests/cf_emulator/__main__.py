"""Run the emulator as a process: ``python -m cf_emulator --zone example.com --token T``.

Writes its base URL to --url-file (and stdout) once it listens, then serves until
SIGTERM/SIGINT. Control endpoints: see server.py (``/__emulator__/...``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from .server import Emulator


def main(argv=None):
    ap = argparse.ArgumentParser(prog="cf_emulator", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1", help="listen address (loopback only by default)")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--zone", action="append", default=[], help="zone name to create (repeatable)")
    ap.add_argument("--ssl-mode", default="full", help="initial 'ssl' setting of the zones")
    ap.add_argument("--tls-client-auth", default="off", choices=("on", "off"))
    ap.add_argument("--token", action="append", default=[], help="API token to accept with every permission (repeatable)")
    ap.add_argument("--token-env", default=None, help="read one more accepted token from this environment variable")
    ap.add_argument("--activation-delay", type=float, default=0.0, help="seconds before an uploaded certificate is active")
    ap.add_argument("--certfile", help="serve HTTPS with this certificate")
    ap.add_argument("--keyfile")
    ap.add_argument("--url-file", help="write the base URL here once listening")
    ap.add_argument("--lifetime", type=float, default=3600, help="stop by itself after this many seconds")
    args = ap.parse_args(argv)

    emu = Emulator(args.host, args.port, certfile=args.certfile, keyfile=args.keyfile, activation_delay=args.activation_delay)
    for name in args.zone:
        emu.state.add_zone(name, settings={"ssl": args.ssl_mode, "tls_client_auth": args.tls_client_auth})
    tokens = list(args.token)
    if args.token_env and os.environ.get(args.token_env):
        tokens.append(os.environ[args.token_env])
    for token in tokens:
        emu.state.add_token(token)
    emu.start()
    if args.url_file:
        tmp = args.url_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(emu.url + "\n")
        os.replace(tmp, args.url_file)
    print(emu.url, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait(args.lifetime)
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
