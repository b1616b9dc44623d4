# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloudflare API failures, each rendered as one readable message.

PRIVATE to the collection: may change without notice.

The error type, the rendering of Cloudflare error envelopes (with hints by error code) and the
classification of connection failures (DNS, refused, proxy, TLS, dropped) from exception types and
OS error numbers. Credentials never reach a message: they travel in headers, and only the method and
the path are shown. Nothing here imports Ansible or requests.
"""

from __future__ import annotations

import errno
from urllib.parse import urlsplit, urlunsplit

# Hints for the errors operators hit most often, by Cloudflare error code.
ERROR_HINTS = {
    6003: "the request headers are malformed: check that the API token or e-mail/key has no stray spaces or quotes",
    6111: "the Authorization header is malformed: pass the bare API token, without 'Bearer '",
    9106: "no credentials were sent: set api_token (or CLOUDFLARE_API_TOKEN / CLOUDFLARE_TOKEN), or api_email + api_key",
    9109: "the API token is invalid, expired or not allowed from this address: create a new token and check its IP filter",
    10000: "authentication failed or the token lacks a permission: the token needs Zone Read, "
    "Zone Settings Edit and, for certificates, SSL and Certificates Edit on this zone",
    1000: "the API token is invalid",
    7003: "the zone id (or another id in the path) does not exist or is not visible to these credentials",
    7000: "no such API route: check api_url and the ids in the path",
    1006: "Cloudflare does not know this setting name",
    1007: "the value is not valid for this setting",
    1057: "this setting cannot be modified for this zone (plan or account restriction)",
    1024: "this setting is not available on the zone's plan",
    1025: "this setting is not available on the zone's plan",
    1415: "the certificate id is not a hostname certificate of this zone, or it has been deleted",
}


class CloudflareError(Exception):
    """One failed API call, rendered as a single readable message."""

    def __init__(self, message, status=None, errors=None, method=None, path=None, retryable=False):
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = errors or []
        self.method = method
        self.path = path
        self.retryable = retryable
        self.connection = False  # the API was not reached (connection, DNS, proxy): rendered by the client
        self.render = None

    @property
    def codes(self):
        return [e.get("code") for e in self.errors if isinstance(e, dict)]

    def __str__(self):
        return self.message


def format_api_error(method, path, status, errors, reason=None):
    """Build the message for a failed call: what was called, what came back, what to do.

    Credentials never appear: they travel in headers, and only the method and the
    path (which holds the zone id, not a secret) are shown.
    """
    parts = []
    hints = []
    for err in errors or []:
        if not isinstance(err, dict):
            continue
        code = err.get("code")
        text = "[%s] %s" % (code, err.get("message", "")) if code is not None else str(err.get("message", ""))
        chain = err.get("error_chain") or []
        if chain:
            text += " (%s)" % "; ".join("[%s] %s" % (c.get("code"), c.get("message", "")) for c in chain if isinstance(c, dict))
        parts.append(text)
        for c in [code] + [c.get("code") for c in chain if isinstance(c, dict)]:
            if c in ERROR_HINTS and ERROR_HINTS[c] not in hints:
                hints.append(ERROR_HINTS[c])
    if not parts and reason:
        parts.append(reason)
    if status == 404 and not hints:
        hints.append("the zone or object was not found: check the zone id/name and the token's zone access")
    if status == 429 and not hints:
        hints.append("rate limited: Cloudflare allows 1,200 requests per 5 minutes per user; raise retry_max_total or retry later")
    msg = "Cloudflare API %s %s failed" % (method, path)
    if status is not None:
        msg += ": HTTP %s" % status
    if parts:
        msg += ": " + "; ".join(parts)
    if hints:
        msg += ". Hint: " + "; ".join(hints)
    return msg


def _decode(response):
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _short(exc):
    text = str(exc)
    return text if len(text) <= 300 else text[:300] + "..."


def _num(value):
    """10.0 -> '10', 0.5 -> '0.5' (seconds in messages)."""
    return ("%.1f" % value).rstrip("0").rstrip(".")


def _endpoint(api_url):
    """(api_url without any user:password@, host, 'host:port') for messages; never credentials."""
    try:
        parts = urlsplit(api_url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        netloc = ("[%s]" % host if ":" in host else host) + (":%d" % parts.port if parts.port else "")
        safe = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return "the configured URL", "", "the API"
    return safe, host, "%s:%d" % ("[%s]" % host if ":" in host else host, port)


def _causes(exc):
    """The exception and everything it was caused by or carries (urllib3 nests its reasons)."""
    seen = set()
    stack = [exc]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen or not isinstance(cur, BaseException):
            continue
        seen.add(id(cur))
        yield cur
        stack.extend([getattr(cur, "reason", None), cur.__cause__, cur.__context__] + [a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)])


def _connection_failure(exc, endpoint, host):
    """Classify a requests ConnectionError: (kind, one clause for the message). Built from the exception
    types and OS error numbers only, never from urllib3's text (which repeats the URL and pool state)."""
    causes = list(_causes(exc))
    names = {type(c).__name__ for c in causes}
    if "ProxyError" in names:  # requests.exceptions.ProxyError or a cause of that name
        return "proxy", "the proxy refused or failed the connection to %s" % endpoint
    if names & {"NameResolutionError", "gaierror"}:
        return "dns", "the host name %r does not resolve" % host
    errnos = {getattr(c, "errno", None) for c in causes if isinstance(c, OSError)}
    if "ConnectionRefusedError" in names or errno.ECONNREFUSED in errnos:
        return "refused", "connection to %s refused (nothing listens there)" % endpoint
    if errnos & {errno.ENETUNREACH, errno.EHOSTUNREACH}:
        return "unreachable", "%s is unreachable from this host (no route)" % endpoint
    if names & {"ConnectionResetError", "RemoteDisconnected", "ProtocolError", "IncompleteRead", "BrokenPipeError"}:
        return "dropped", "the connection to %s was dropped before a response" % endpoint
    for cause in causes:
        if isinstance(cause, OSError) and cause.strerror:
            return "other", "connection to %s failed (%s)" % (endpoint, cause.strerror)
    return "other", "connection to %s failed (%s)" % (endpoint, type(causes[-1]).__name__)


def _tls_reason(exc):
    for cause in _causes(exc):
        message = getattr(cause, "verify_message", None) or getattr(cause, "reason", None)
        if isinstance(message, str) and message:
            return message.replace("_", " ").lower() if message.isupper() else message
    return "handshake failed"


def _connection_message(method, path, reason, attempts, waited, hint, note=None, stopped=None):
    """'Cloudflare API GET /zones failed after 6 attempts (18.5s of waiting): <reason>. Hint: <hint>'."""
    msg = "Cloudflare API %s %s failed" % (method, path)
    if attempts > 1:
        msg += " after %d attempts (%ss of waiting)" % (attempts, _num(waited))
    msg += ": " + reason
    if stopped:
        msg += "; " + stopped
    if note:
        msg += ". " + note
    return msg + ". Hint: " + hint


def _connection_failed_before_send(exc):
    """Best effort: was the connection never established (so nothing was sent)?"""
    seen = set()
    stack = [exc]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        name = type(cur).__name__
        if name in ("NewConnectionError", "ConnectionRefusedError", "NameResolutionError", "gaierror"):
            return True
        stack.extend([getattr(cur, "reason", None), cur.__cause__, cur.__context__] + [a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)])
    return False
