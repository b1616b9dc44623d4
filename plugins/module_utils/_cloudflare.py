# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloudflare v4 API transport shared by every Cloudflare module and the inventory plugin.

PRIVATE to the collection: may change without notice.

The only code in the collection that knows HTTP. It owns the session, the
authentication headers, timeouts and retries with bounded waits; failures become one
readable CloudflareError (_cloudflare_errors). Which paths exist, pagination and zone
lookup are the resource client's (_cloudflare_api). Nothing here imports Ansible, so
it is unit-tested on its own.
"""

from __future__ import annotations

import os
import random
import time

try:
    import requests
    from requests import exceptions as rexc

    HAS_REQUESTS = True
except ImportError:  # pragma: no cover - exercised only without requests
    HAS_REQUESTS = False

from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_errors import (
    CloudflareError,
    _connection_failed_before_send,
    _connection_failure,
    _connection_message,
    _decode,
    _endpoint,
    _num,
    _short,
    _tls_reason,
    format_api_error,
)

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
TLS_HINT = "check api_url (%s), or give api_ca_path for a private endpoint or a TLS-inspecting proxy"


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
        api_ca_path=None,
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
        if api_ca_path:
            self.session.verify = api_ca_path
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


SECONDS_OPTIONS = ("connect_timeout", "timeout", "retry_max_delay", "retry_max_total")


def connection_problems(get):
    """What is wrong with the connection options, before any call; ``get(name)`` reads one option."""
    problems = ["%s must be a positive number of seconds, not %s" % (n, get(n)) for n in SECONDS_OPTIONS if get(n) is not None and get(n) <= 0]
    if get("retries") is not None and get("retries") < 0:
        problems.append("retries must be 0 or more, not %s" % get("retries"))
    return problems
