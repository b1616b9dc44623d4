# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One direct HTTPS request to an origin, classified (served / HTTP-refused / TLS-rejected / unreachable).

Shared by the modules tls_probe (one request) and audit_probe (many at once). PRIVATE to the collection.
"""

from __future__ import annotations

import socket
import ssl

REFUSAL_STATUSES = (400, 403, 495, 496)


def probe(p):
    """(outcome, detail): outcome is the HTTP status as a string, tls_rejected or unreachable."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if p["tls_version"] == "1.2":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif p["tls_version"] == "1.3":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    if p["certificate_path"]:
        ctx.load_cert_chain(p["certificate_path"], p["private_key_path"])
    try:
        raw = socket.create_connection((p["host"], p["port"]), timeout=p["timeout"])
    except OSError as exc:
        return "unreachable", "cannot connect to %s:%s: %s" % (p["host"], p["port"], exc)
    try:
        with ctx.wrap_socket(raw, server_hostname=p["server_name"]) as tls:
            tls.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (p["path"], p["server_name"])).encode())
            data = b""
            while len(data) < 65536:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as exc:
        return "tls_rejected", str(exc)
    except OSError as exc:
        return "unreachable", str(exc)
    finally:
        raw.close()
    if not data.startswith(b"HTTP/"):
        return "tls_rejected", "connection closed without an HTTP response"
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    return line.split(" ")[1], line


def is_refused(outcome):
    return outcome == "tls_rejected" or (outcome.isdigit() and int(outcome) in REFUSAL_STATUSES)
