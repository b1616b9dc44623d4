"""Something real on 127.0.0.1 for a test to connect to, and a port where nothing listens (tests/unit, tests/fleet)."""

from __future__ import annotations

import contextlib
import socket
import threading


@contextlib.contextmanager
def serving(handle):
    """A listener on a free port of 127.0.0.1 that hands each connection to ``handle(conn)``, one after the other, in
    a thread of its own; an OSError of one connection (a refused TLS handshake, a client gone) ends only that one.
    Yields the port; the listener stops and closes on exit."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)  # looks at ``stop`` this often
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _addr = listener.accept()
            except OSError:  # the timeout
                continue
            conn.settimeout(5)
            try:
                with conn:
                    handle(conn)
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def free_port():
    """A port on 127.0.0.1 where nothing listens: one to listen on, or one that refuses connections."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
