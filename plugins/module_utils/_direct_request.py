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


# tls_probe's options (the module, and its action plugin when the task runs on the controller).
TLS_PROBE_SPEC = dict(
    host=dict(type="str", required=True),
    port=dict(type="int", default=443),
    server_name=dict(type="str", required=True),
    path=dict(type="str", default="/"),
    certificate_path=dict(type="path", aliases=["client_cert"]),
    private_key_path=dict(type="path", no_log=False, aliases=["client_key"]),
    tls_version=dict(type="str", default="any", choices=["any", "1.2", "1.3"]),
    timeout=dict(type="float", default=10),
    expect=dict(type="str", default="any", choices=["any", "refused", "served"]),
)
TLS_PROBE_KW = dict(required_together=[("certificate_path", "private_key_path")])


def verdict(p, outcome, detail):
    """(result, failure message or None) for an outcome of ``probe`` judged against ``p["expect"]``."""
    refused = is_refused(outcome)
    result = dict(changed=False, outcome=outcome, refused=refused, detail=detail)
    target = "%s:%s (%s)" % (p["host"], p["port"], p["server_name"])
    if p["expect"] == "refused" and not refused:
        return result, "%s was expected to refuse the request but answered: %s" % (target, detail)
    if p["expect"] == "served" and not (outcome.isdigit() and 200 <= int(outcome) < 400):
        return result, "%s was expected to serve the request but: %s" % (target, detail)
    return result, None


def tls_probe(p):
    """The module tls_probe's result for validated parameters (``failed`` and ``msg`` when not as expected)."""
    result, failure = verdict(p, *probe(p))
    return dict(result, failed=True, msg=failure) if failure else result
