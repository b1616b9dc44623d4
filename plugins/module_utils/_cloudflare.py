# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloudflare v4 API client shared by every module of the collection.

PRIVATE to the collection: may change without notice.

The only code in the collection that knows HTTP. It owns the session, the
authentication headers, timeouts, retries with bounded waits, the translation of
Cloudflare error envelopes into one readable message, pagination and zone lookup.
Nothing here imports Ansible, so it is unit-tested on its own.
"""

from __future__ import annotations

import errno
import os
import random
import time
from urllib.parse import urlsplit, urlunsplit

try:
    import requests
    from requests import exceptions as rexc

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only without requests
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

COLLECTION_NAME = "originpulls.aop"
COLLECTION_VERSION = "0.1.0"
DEFAULT_API_URL = "https://api.cloudflare.com/client/v4"

# Environment variables read when no credentials are given as options, in this order. CLOUDFLARE_TOKEN
# is the name community.general's Cloudflare modules read, so one variable serves both collections.
ENV_API_TOKEN = ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_TOKEN")

# Methods whose effect does not depend on how often they are sent. A PATCH of a
# zone setting and a PUT of an enablement flag set a value; a DELETE of one id
# either deletes it or finds it gone. POST (certificate upload) creates a new
# object every time and is therefore never retried once it may have been sent.
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "PUT", "PATCH", "DELETE"))
RETRY_STATUSES = frozenset((500, 502, 503, 504, 520, 521, 522, 523, 524))

# How often a host name that does not resolve is tried again (after one short backoff wait).
DNS_RETRIES = 1
CONNECTION_HINT = "check api_url (%s), that its host name resolves (DNS) and the proxy settings (HTTPS_PROXY, NO_PROXY)"
PROXY_HINT = "check the proxy settings (HTTPS_PROXY, NO_PROXY) and api_url (%s)"
TLS_HINT = "check api_url (%s), or give ca_path for a private endpoint or a TLS-inspecting proxy"

SSL_MODES_FOR_AOP = ("full", "strict", "origin_pull")

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


class CloudflareClient:
    """A small, strict Cloudflare v4 client.

    ``retries`` is the number of retries after the first attempt. Each wait is at
    most ``retry_max_delay`` seconds and all waits of one call together at most
    ``retry_max_total`` seconds; when the next wait would cross that budget the
    call fails with the last error instead of waiting.
    """

    def __init__(
        self,
        api_url=DEFAULT_API_URL,
        api_token=None,
        api_email=None,
        api_key=None,
        connect_timeout=10.0,
        timeout=30.0,
        retries=5,
        retry_max_delay=30.0,
        retry_max_total=120.0,
        retry_base_delay=1.0,
        validate_certs=True,
        ca_path=None,
        user_agent_extra=None,
        session=None,
        sleep=time.sleep,
        rng=None,
    ):
        if not HAS_REQUESTS:
            raise CloudflareError("the Python library 'requests' is required on the host that runs this module")
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self._safe_url, self._host, self._endpoint = _endpoint(self.api_url)
        self.auth_method, self._auth_headers = self._select_auth(api_token, api_email, api_key)
        self.connect_timeout = float(connect_timeout)
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.retry_max_delay = float(retry_max_delay)
        self.retry_max_total = float(retry_max_total)
        self.retry_base_delay = float(retry_base_delay)
        self.session = session or requests.Session()
        if ca_path:
            self.session.verify = ca_path
        elif not validate_certs:
            self.session.verify = False
        ua = "%s/%s python-requests/%s" % (COLLECTION_NAME, COLLECTION_VERSION, requests.__version__)
        if user_agent_extra:
            ua += " " + user_agent_extra
        self.session.headers.update({"User-Agent": ua, "Accept": "application/json"})
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.calls = []  # (method, path, status) of every HTTP exchange, for callers' reporting

    # ------------------------------------------------------------------ auth
    @staticmethod
    def _select_auth(api_token, api_email, api_key):
        """Explicit options win over the environment; a token wins over e-mail + key.

        From the environment: CLOUDFLARE_API_TOKEN, else CLOUDFLARE_TOKEN, else CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY.
        """
        if api_token and (api_email or api_key):
            raise CloudflareError("give either api_token or api_email + api_key, not both")
        if not api_token and not api_email and not api_key:
            api_token = next((os.environ[name] for name in ENV_API_TOKEN if os.environ.get(name, "").strip()), None)
            if not api_token:
                api_email = os.environ.get("CLOUDFLARE_EMAIL")
                api_key = os.environ.get("CLOUDFLARE_API_KEY")
        if api_token:
            token = api_token.strip()
            if token.lower().startswith("bearer "):
                raise CloudflareError("api_token must be the bare token, without the 'Bearer ' prefix")
            return "api_token", {"Authorization": "Bearer " + token}
        if api_email and api_key:
            return "api_key", {"X-Auth-Email": api_email.strip(), "X-Auth-Key": api_key.strip()}
        if api_email or api_key:
            raise CloudflareError("api_email and api_key go together: give both (or an api_token instead)")
        raise CloudflareError(
            "no Cloudflare credentials: set api_token (or the environment variable CLOUDFLARE_API_TOKEN or CLOUDFLARE_TOKEN), "
            "or api_email + api_key (CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY)"
        )

    # --------------------------------------------------------------- retries
    def _backoff(self, attempt):
        """Exponential backoff with equal jitter, capped per wait."""
        ceiling = min(self.retry_max_delay, self.retry_base_delay * (2**attempt))
        return ceiling / 2.0 + self._rng.uniform(0, ceiling / 2.0)

    @staticmethod
    def _retry_after(response):
        value = response.headers.get("Retry-After")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return None

    def _connection_error(self, method, path, reason, retryable, note=None, proxy=False):
        """A failure to talk to the API at all: one sentence, rendered again with the attempts when given up."""
        hint = (PROXY_HINT if proxy else CONNECTION_HINT) % self._safe_url

        def render(attempts, waited, stopped=None):
            return _connection_message(method, path, reason, attempts, waited, hint=hint, note=note, stopped=stopped)

        error = CloudflareError(render(1, 0.0), method=method, path=path, retryable=retryable)
        error.connection = True
        error.render = render
        return error

    # --------------------------------------------------------------- request
    def request(self, method, path, params=None, body=None, idempotent=None):
        """Send one API call and return the decoded success envelope.

        Raises CloudflareError with a readable message on any failure.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = self.api_url + path
        waited = 0.0
        attempt = 0
        retries = self.retries
        while True:
            wait = None
            error = None
            try:
                kwargs = {"params": params, "timeout": (self.connect_timeout, self.timeout), "headers": self._auth_headers}
                if body is not None:
                    kwargs["json"] = body
                response = self.session.request(method, url, **kwargs)
            except rexc.SSLError as exc:
                raise CloudflareError(
                    _connection_message(method, path, "TLS with %s failed (%s)" % (self._endpoint, _tls_reason(exc)), 1, 0.0, hint=TLS_HINT % self._safe_url),
                    method=method,
                    path=path,
                )
            except rexc.ConnectTimeout:
                error = self._connection_error(method, path, "connection to %s timed out after %ss" % (self._endpoint, _num(self.connect_timeout)), True)
            except rexc.ReadTimeout:
                error = CloudflareError(
                    format_api_error(method, path, None, None, "no response within %ss (read timeout)" % self.timeout)
                    + ("" if idempotent else ". The request may have been applied; not retried because it is not idempotent"),
                    method=method,
                    path=path,
                    retryable=idempotent,
                )
            except rexc.ConnectionError as exc:
                # Refused/unreachable before sending is safe to retry for any method;
                # a connection dropped after sending is safe only for idempotent calls.
                kind, reason = _connection_failure(exc, self._endpoint, self._host)
                before_send = kind in ("dns", "refused", "unreachable", "proxy") or _connection_failed_before_send(exc)
                error = self._connection_error(
                    method,
                    path,
                    reason,
                    idempotent or before_send,
                    note=None if (idempotent or before_send) else "The request may have been applied; not retried because it is not idempotent",
                    proxy=kind == "proxy",
                )
                if kind == "dns":
                    # A name that does not resolve rarely starts resolving seconds later: one short retry, not minutes.
                    retries = min(retries, DNS_RETRIES)
            except rexc.RequestException as exc:
                raise CloudflareError(format_api_error(method, path, None, None, _short(exc)), method=method, path=path)
            else:
                self.calls.append((method, path, response.status_code))
                envelope = _decode(response)
                if 200 <= response.status_code < 300 and envelope is not None and envelope.get("success", True):
                    return envelope
                errors = (envelope or {}).get("errors") or []
                reason = None if envelope is not None else "non-JSON response (%s)" % (response.text[:200].strip() or "empty body")
                status = response.status_code
                retryable = status == 429 or (status in RETRY_STATUSES and idempotent)
                error = CloudflareError(
                    format_api_error(method, path, status, errors, reason), status=status, errors=errors, method=method, path=path, retryable=retryable
                )
                if status == 429:
                    wait = self._retry_after(response)
            if not error.retryable or attempt >= retries:
                if error.connection:
                    error.message = error.render(attempt + 1, waited)
                elif error.retryable and attempt >= retries:
                    error.message += " (gave up after %d attempts, %.1fs of waiting)" % (attempt + 1, waited)
                raise error
            if wait is None:
                wait = self._backoff(attempt)
            elif wait > self.retry_max_delay:
                error.message += " (Cloudflare asked to retry after %.0fs, more than retry_max_delay=%.0fs)" % (wait, self.retry_max_delay)
                raise error
            if waited + wait > self.retry_max_total:
                if error.connection:
                    error.message = error.render(attempt + 1, waited, "the next wait would exceed retry_max_total=%ss" % _num(self.retry_max_total))
                else:
                    error.message += " (gave up after %d attempts: the next wait of %.1fs would exceed retry_max_total=%.0fs)" % (
                        attempt + 1,
                        wait,
                        self.retry_max_total,
                    )
                raise error
            self._sleep(wait)
            waited += wait
            attempt += 1

    def get(self, path, params=None):
        return self.request("GET", path, params=params)["result"]

    def paginate(self, path, params=None, per_page=50):
        """GET every page of a list endpoint and return all items."""
        items = []
        page = 1
        while True:
            query = dict(params or {})
            query.update({"page": page, "per_page": per_page})
            envelope = self.request("GET", path, params=query)
            result = envelope.get("result") or []
            items.extend(result)
            info = envelope.get("result_info") or {}
            total_pages = info.get("total_pages")
            if total_pages is None and info.get("total_count") is not None:
                size = info.get("per_page") or per_page
                total_pages = -(-int(info["total_count"]) // int(size)) if size else 1
            if total_pages is not None:
                if page >= int(total_pages):
                    return items
            elif len(result) < per_page:
                return items
            if not result:
                return items
            page += 1

    # ------------------------------------------------------------------ zones
    def zone_id(self, zone=None, zone_id=None, account_id=None):
        """Return the id of a zone, given directly (no call) or looked up by name (one call)."""
        if zone_id:
            zid = zone_id.strip().lower()
            if len(zid) != 32 or any(c not in "0123456789abcdef" for c in zid):
                raise CloudflareError("zone_id %r is not a Cloudflare zone id (32 hex characters); pass the zone name as 'zone' instead" % zone_id)
            return zid
        if not zone:
            raise CloudflareError("give the zone by name ('zone') or by id ('zone_id')")
        name = zone.strip().rstrip(".").lower()
        params = {"name": name, "per_page": 50}
        if account_id:
            params["account.id"] = account_id
        envelope = self.request("GET", "/zones", params=params)
        matches = [z for z in envelope.get("result") or [] if str(z.get("name", "")).lower() == name]
        if not matches:
            raise CloudflareError(
                "zone %r was not found%s. Hint: check the name, and that the credentials can read it (Zone Read permission)"
                % (name, " in account %s" % account_id if account_id else "")
            )
        if len(matches) > 1:
            accounts = ", ".join(sorted("%s (%s)" % (z.get("account", {}).get("id"), z.get("account", {}).get("name")) for z in matches))
            raise CloudflareError("zone name %r exists in several accounts: %s. Give account_id to choose one, or pass zone_id" % (name, accounts))
        return matches[0]["id"]

    # --------------------------------------------------------------- settings
    def get_setting(self, zone_id, setting):
        return self.get("/zones/%s/settings/%s" % (zone_id, setting))

    def set_setting(self, zone_id, setting, value):
        return self.request("PATCH", "/zones/%s/settings/%s" % (zone_id, setting), body={"value": value})["result"]


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
    if isinstance(exc, rexc.ProxyError) or "ProxyError" in names:
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


# ---------------------------------------------------------------------------
# Glue for modules: the shared options and a client built from them. The
# module object is passed in, so this file still imports nothing from Ansible.


def cloudflare_argument_spec():
    """Options of the 'originpulls.aop.cloudflare' doc fragment."""
    return dict(
        api_token=dict(type="str", no_log=True),
        api_email=dict(type="str"),
        api_key=dict(type="str", no_log=True),
        api_url=dict(type="str", default=DEFAULT_API_URL),
        zone=dict(type="str"),
        zone_id=dict(type="str"),
        account_id=dict(type="str"),
        connect_timeout=dict(type="float", default=10),
        timeout=dict(type="float", default=30),
        retries=dict(type="int", default=5),
        retry_max_delay=dict(type="float", default=30),
        retry_max_total=dict(type="float", default=120),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
    )


CLOUDFLARE_MUTUALLY_EXCLUSIVE = [("api_token", "api_email"), ("api_token", "api_key"), ("zone", "zone_id")]
CLOUDFLARE_REQUIRED_TOGETHER = [("api_email", "api_key")]
CLOUDFLARE_REQUIRED_ONE_OF = [("zone", "zone_id")]


def client_from_module(module):
    """Build a client from the module's options, failing the module with a clear message."""
    p = module.params
    if not HAS_REQUESTS:
        module.fail_json(msg="the Python library 'requests' is required on the host that runs this module (pip install requests)")
    for name in ("connect_timeout", "timeout", "retry_max_delay", "retry_max_total"):
        if p[name] is not None and p[name] <= 0:
            module.fail_json(msg="%s must be a positive number of seconds, not %s" % (name, p[name]))
    if p["retries"] is not None and p["retries"] < 0:
        module.fail_json(msg="retries must be 0 or more, not %s" % p["retries"])
    try:
        return CloudflareClient(
            api_url=p["api_url"],
            api_token=p["api_token"],
            api_email=p["api_email"],
            api_key=p["api_key"],
            connect_timeout=p["connect_timeout"],
            timeout=p["timeout"],
            retries=p["retries"],
            retry_max_delay=p["retry_max_delay"],
            retry_max_total=p["retry_max_total"],
            validate_certs=p["validate_certs"],
            ca_path=p["ca_path"],
        )
    except CloudflareError as exc:
        module.fail_json(msg=str(exc))


def resolve_zone(module, client):
    p = module.params
    return client.zone_id(zone=p["zone"], zone_id=p["zone_id"], account_id=p["account_id"])


def api_calls(client):
    """The HTTP exchanges of this run, for the module result (method, path, status)."""
    return [{"method": m, "path": path, "status": s} for m, path, s in client.calls]


def cloudflare_module(argument_spec=None, mutually_exclusive=(), required_one_of=(), required_if=()):
    """An AnsibleModule with the shared Cloudflare options and their rules, check mode supported."""
    from ansible.module_utils.basic import AnsibleModule

    spec = cloudflare_argument_spec()
    spec.update(argument_spec or {})
    return AnsibleModule(
        argument_spec=spec,
        mutually_exclusive=CLOUDFLARE_MUTUALLY_EXCLUSIVE + list(mutually_exclusive),
        required_together=CLOUDFLARE_REQUIRED_TOGETHER,
        required_one_of=CLOUDFLARE_REQUIRED_ONE_OF + list(required_one_of),
        required_if=list(required_if),
        supports_check_mode=True,
    )
