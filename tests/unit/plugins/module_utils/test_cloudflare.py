"""The API transport against the emulator: auth, retries and their bounds, errors (resources: test_cloudflare_api.py)."""

from __future__ import annotations

import re
import time

import pytest
from conftest import TOKEN

from ansible_collections.originpulls.aop.plugins.module_utils import _cloudflare as cf
from ansible_collections.originpulls.aop.plugins.module_utils import _cloudflare_errors as cf_errors
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_api import CloudflareApi
from helpers.local_server import free_port, serving


class Clock:
    """Records the waits the client asks for instead of sleeping."""

    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)


def client(emulator, clock=None, **kw):
    kw.setdefault("api_token", TOKEN)
    return cf.CloudflareClient(api_url=emulator.url, sleep=clock or Clock(), **kw)


# ------------------------------------------------------------------ auth
def test_token_is_sent_as_bearer_and_user_agent_names_collection(emulator, zone_id):
    c = client(emulator)
    CloudflareApi(c).setting(zone_id, "ssl")
    entry = emulator.log[-1]
    assert entry["auth"] == "api_token"
    assert entry["user_agent"].startswith("originpulls.aop/%s " % cf.COLLECTION_VERSION)


def test_email_and_key_auth(emulator, zone_id):
    emulator.state.keys["ops@example.com"] = "k" * 37
    c = cf.CloudflareClient(api_url=emulator.url, api_email="ops@example.com", api_key="k" * 37)
    assert c.auth_method == "api_key"
    assert CloudflareApi(c).setting(zone_id, "ssl")["value"] == "full"
    assert emulator.log[-1]["auth"] == "api_key"


CREDENTIAL_VARIABLES = ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_TOKEN", "CLOUDFLARE_EMAIL", "CLOUDFLARE_API_KEY")


@pytest.fixture
def no_env_credentials(monkeypatch):
    """None of the credential variables is set; the test sets the ones it needs."""
    for var in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


# CLOUDFLARE_TOKEN is what community.general.cloudflare_dns reads: accepted after CLOUDFLARE_API_TOKEN.
@pytest.mark.parametrize("variable", ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_TOKEN"])
def test_env_token_wins_over_env_email_and_key(no_env_credentials, emulator, zone_id, variable):
    no_env_credentials.setenv(variable, TOKEN)
    no_env_credentials.setenv("CLOUDFLARE_EMAIL", "ignored@example.com")
    no_env_credentials.setenv("CLOUDFLARE_API_KEY", "ignored")
    c = cf.CloudflareClient(api_url=emulator.url)
    assert c.auth_method == "api_token"
    assert CloudflareApi(c).setting(zone_id, "ssl")["id"] == "ssl"
    assert emulator.log[-1]["auth"] == "api_token"


def test_env_token_used_only_without_explicit_credentials(monkeypatch, emulator):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    emulator.state.keys["ops@example.com"] = "kk"
    explicit = cf.CloudflareClient(api_url=emulator.url, api_email="ops@example.com", api_key="kk")
    assert explicit.auth_method == "api_key"


def test_env_email_and_key(no_env_credentials):
    no_env_credentials.setenv("CLOUDFLARE_EMAIL", "ops@example.com")
    no_env_credentials.setenv("CLOUDFLARE_API_KEY", "abc")
    assert cf.CloudflareClient._select_auth(None, None, None)[0] == "api_key"


@pytest.mark.parametrize(
    "token,email,key,message",
    [
        (None, None, None, "no Cloudflare credentials"),
        ("t", "e@x", None, "either api_token or api_email"),
        (None, "e@x", None, "go together"),
        ("Bearer abc", None, None, "without the 'Bearer ' prefix"),
    ],
)
def test_auth_selection_errors(no_env_credentials, token, email, key, message):
    with pytest.raises(cf.CloudflareError, match=message):
        cf.CloudflareClient._select_auth(token, email, key)


def test_no_credentials_message_names_every_variable(no_env_credentials):
    with pytest.raises(cf.CloudflareError) as err:
        cf.CloudflareClient._select_auth(None, None, None)
    for var in CREDENTIAL_VARIABLES:
        assert var in str(err.value)


def test_env_cloudflare_api_token_wins_over_cloudflare_token(monkeypatch, emulator, zone_id):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_TOKEN", "not-a-token-the-emulator-knows")
    assert CloudflareApi(cf.CloudflareClient(api_url=emulator.url)).setting(zone_id, "ssl")["id"] == "ssl"
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "  ")  # blank: not a token, the next variable counts
    monkeypatch.setenv("CLOUDFLARE_TOKEN", TOKEN)
    assert CloudflareApi(cf.CloudflareClient(api_url=emulator.url)).setting(zone_id, "ssl")["id"] == "ssl"


def test_explicit_options_win_over_cloudflare_token(monkeypatch):
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    monkeypatch.setenv("CLOUDFLARE_TOKEN", "from-the-environment")
    method, headers = cf.CloudflareClient._select_auth("from-the-option", None, None)
    assert headers == {"Authorization": "Bearer from-the-option"}
    method, headers = cf.CloudflareClient._select_auth(None, "ops@example.com", "k")
    assert method == "api_key" and "Authorization" not in headers
    method, headers = cf.CloudflareClient._select_auth(None, None, None)
    assert headers == {"Authorization": "Bearer from-the-environment"}


# ---------------------------------------------------------------- errors
def test_invalid_token_message_has_status_code_path_and_hint_not_the_token(emulator, zone_id):
    secret = "not-a-valid-token-123456"
    c = client(emulator, api_token=secret)
    with pytest.raises(cf.CloudflareError) as info:
        CloudflareApi(c).setting(zone_id, "tls_client_auth")
    text = str(info.value)
    assert "GET /zones/%s/settings/tls_client_auth" % zone_id in text
    assert "HTTP 403" in text and "[9109] Invalid access token" in text and "Hint:" in text
    assert secret not in text
    assert info.value.codes == [9109]


def test_missing_permission_hint(emulator, zone_id):
    emulator.state.add_token("read-only", permissions=("zone:read", "zone_settings:read"))
    c = client(emulator, api_token="read-only")
    assert CloudflareApi(c).setting(zone_id, "ssl")["value"] == "full"
    with pytest.raises(cf.CloudflareError) as info:
        CloudflareApi(c).set_setting(zone_id, "tls_client_auth", "on")
    assert info.value.status == 403 and info.value.codes == [10000]
    assert "Zone Settings Edit" in str(info.value)
    assert emulator.state.zones[zone_id]["settings"]["tls_client_auth"]["value"] == "off"


def test_unknown_zone_id(emulator):
    c = client(emulator)
    with pytest.raises(cf.CloudflareError) as info:
        CloudflareApi(c).setting("0" * 32, "ssl")
    assert info.value.codes == [7003]
    assert "does not exist or is not visible" in str(info.value)


def test_not_editable_setting_is_refused_by_api(emulator, zone_id):
    emulator.state.zones[zone_id]["settings"]["tls_client_auth"]["editable"] = False
    with pytest.raises(cf.CloudflareError) as info:
        CloudflareApi(client(emulator)).set_setting(zone_id, "tls_client_auth", "on")
    assert info.value.codes == [1057] and "cannot be modified" in str(info.value)


def test_format_api_error_with_error_chain():
    text = cf_errors.format_api_error(
        "GET",
        "/zones",
        400,
        [{"code": 6003, "message": "Invalid request headers", "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}]}],
    )
    assert "[6003] Invalid request headers ([6111] Invalid format for Authorization header)" in text
    assert "without 'Bearer '" in text


# --------------------------------------------------------------- retries
def test_429_honours_retry_after(emulator, zone_id):
    clock = Clock()
    emulator.add_fault("status", status=429, retry_after=3, times=2)
    assert CloudflareApi(client(emulator, clock)).setting(zone_id, "ssl")["value"] == "full"
    assert clock.waits == [3.0, 3.0]
    assert [e["status"] for e in emulator.log] == [429, 429, 200]


def test_429_retry_after_beyond_max_delay_fails_without_waiting(emulator, zone_id):
    clock = Clock()
    emulator.add_fault("status", status=429, retry_after=300)
    with pytest.raises(cf.CloudflareError, match="retry after 300s, more than retry_max_delay=30s"):
        CloudflareApi(client(emulator, clock)).setting(zone_id, "ssl")
    assert clock.waits == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_backoff_is_exponential_jittered_and_bounded(emulator, zone_id, status):
    clock = Clock()
    emulator.add_fault("status", status=status)
    c = client(emulator, clock, retries=6, retry_base_delay=1.0, retry_max_delay=8.0, retry_max_total=1000.0)
    with pytest.raises(cf.CloudflareError, match="gave up after 7 attempts"):
        CloudflareApi(c).setting(zone_id, "ssl")
    assert len(clock.waits) == 6
    ceilings = [min(8.0, 2.0**n) for n in range(6)]
    for wait, ceiling in zip(clock.waits, ceilings):
        assert ceiling / 2 <= wait <= ceiling
    assert len(emulator.log) == 7


def test_total_wait_budget_stops_retrying(emulator, zone_id):
    clock = Clock()
    emulator.add_fault("status", status=503)
    c = client(emulator, clock, retries=50, retry_base_delay=1.0, retry_max_delay=4.0, retry_max_total=10.0)
    with pytest.raises(cf.CloudflareError, match="would exceed retry_max_total=10s"):
        CloudflareApi(c).setting(zone_id, "ssl")
    assert sum(clock.waits) <= 10.0


def test_5xx_then_success(emulator, zone_id):
    emulator.add_fault("status", status=502, times=2)
    assert CloudflareApi(client(emulator)).set_setting(zone_id, "tls_client_auth", "on")["value"] == "on"
    assert [e["status"] for e in emulator.log] == [502, 502, 200]


def test_post_is_not_retried_on_5xx_or_dropped_connection(emulator, zone_id):
    path = "/zones/%s/origin_tls_client_auth" % zone_id
    emulator.add_fault("status", status=502, times=1)
    with pytest.raises(cf.CloudflareError):
        client(emulator).request("POST", path, body={"certificate": "x", "private_key": "y"})
    assert len(emulator.log) == 1
    emulator.clear()
    emulator.add_fault("drop", times=1)
    with pytest.raises(cf.CloudflareError, match="may have been applied; not retried"):
        client(emulator).request("POST", path, body={"certificate": "x", "private_key": "y"})
    assert len(emulator.log) == 1


def test_dropped_connection_is_retried_for_get(emulator, zone_id):
    emulator.add_fault("drop", times=2)
    assert CloudflareApi(client(emulator)).setting(zone_id, "ssl")["value"] == "full"
    assert [e["status"] for e in emulator.log] == ["dropped", "dropped", 200]


def test_read_timeout_retried_for_get_not_for_post(emulator, zone_id):
    emulator.add_fault("delay", seconds=1.0, times=1)
    c = client(emulator, timeout=0.3)
    assert CloudflareApi(c).setting(zone_id, "ssl")["value"] == "full"
    emulator.clear()
    emulator.add_fault("delay", seconds=1.0, times=1)
    with pytest.raises(cf.CloudflareError, match="read timeout.*not retried"):
        c.request("POST", "/zones/%s/origin_tls_client_auth" % zone_id, body={"certificate": "x", "private_key": "y"})
    assert len(emulator.calls(method="POST")) == 1
    emulator.expected_violations = 0


SECRET = "s3cr3t-t0ken-never-shown"
URLLIB3_NOISE = ("Max retries exceeded", "ConnectionPool", "NewConnectionError", "NameResolutionError", "Caused by", "Errno", "object at 0x")


def assert_one_clean_sentence(message, *secrets):
    assert not any(noise in message for noise in URLLIB3_NOISE), message
    assert not any(secret in message for secret in secrets), message
    assert message.count("Hint: ") == 1 and not message.endswith("..."), message
    head, _hint = message.split(". Hint: ")
    assert head.startswith("Cloudflare API ") and not re.search(r"\.\s", head), "not one sentence: %s" % message


def test_connection_refused_is_retried_then_reported():
    clock = Clock()
    c = cf.CloudflareClient(api_url="http://127.0.0.1:%d/client/v4" % free_port(), api_token="x", retries=2, sleep=clock)
    with pytest.raises(cf.CloudflareError, match="refused"):
        c.request("POST", "/zones/%s/origin_tls_client_auth" % ("a" * 32), body={})
    assert len(clock.waits) == 2  # refused before sending: safe to retry even a POST


def test_unreachable_api_is_one_clean_sentence_with_a_hint():
    port = free_port()
    clock = Clock()
    c = cf.CloudflareClient(api_url="http://127.0.0.1:%d/client/v4" % port, api_token=SECRET, retries=5, sleep=clock)
    with pytest.raises(cf.CloudflareError) as err:
        c.get("/zones")
    message = str(err.value)
    assert message == (
        "Cloudflare API GET /zones failed after 6 attempts (%ss of waiting): connection to 127.0.0.1:%d refused (nothing listens there). "
        "Hint: check api_url (http://127.0.0.1:%d/client/v4), that its host name resolves (DNS) and the proxy settings (HTTPS_PROXY, NO_PROXY)"
        % (cf_errors._num(sum(clock.waits)), port, port)
    )
    assert_one_clean_sentence(message, SECRET)
    assert len(clock.waits) == 5


def test_unreachable_api_within_the_wait_budget_says_why_it_stopped():
    c = cf.CloudflareClient(api_url="http://127.0.0.1:%d/client/v4" % free_port(), api_token=SECRET, retries=50, retry_max_total=3, sleep=Clock())
    with pytest.raises(cf.CloudflareError) as err:
        c.get("/zones")
    assert "refused (nothing listens there); the next wait would exceed retry_max_total=3s. Hint: check api_url" in str(err.value)
    assert_one_clean_sentence(str(err.value), SECRET)


def test_credentials_in_api_url_are_not_shown():
    port = free_port()
    c = cf.CloudflareClient(api_url="http://ops:pa55word@127.0.0.1:%d/client/v4" % port, api_token=SECRET, retries=0, sleep=Clock())
    with pytest.raises(cf.CloudflareError) as err:
        c.get("/zones")
    assert "pa55word" not in str(err.value) and "ops:" not in str(err.value)
    assert "api_url (http://127.0.0.1:%d/client/v4)" % port in str(err.value)


def test_dns_failure_fails_fast_with_a_hint():
    """A name that does not resolve is tried at most once more, after one short wait, not for half a minute."""
    clock = Clock()
    c = cf.CloudflareClient(api_url="https://api.originpulls-aop.invalid/client/v4", api_token=SECRET, sleep=clock)  # default retries=5
    with pytest.raises(cf.CloudflareError) as err:
        c.get("/zones")
    message = str(err.value)
    assert len(clock.waits) <= cf.DNS_RETRIES == 1
    assert sum(clock.waits) <= c.retry_base_delay
    assert "the host name 'api.originpulls-aop.invalid' does not resolve" in message
    assert "Hint: check api_url (https://api.originpulls-aop.invalid/client/v4), that its host name resolves (DNS) and the proxy settings" in message
    assert_one_clean_sentence(message, SECRET)


def test_dns_failure_does_not_sleep_for_long_in_real_time():
    c = cf.CloudflareClient(api_url="https://api.originpulls-aop.invalid/client/v4", api_token=SECRET)  # real sleep
    started = time.monotonic()
    with pytest.raises(cf.CloudflareError, match="does not resolve"):
        c.get("/zones")
    assert time.monotonic() - started < 5


def test_tls_failure_is_one_sentence_with_its_reason():
    """Something on 127.0.0.1 that does not speak TLS: the reason, not urllib3's chain."""

    def answer_in_plain_http(conn):
        conn.recv(4096)
        conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

    with serving(answer_in_plain_http) as port:
        c = cf.CloudflareClient(api_url="https://127.0.0.1:%d/client/v4" % port, api_token=SECRET, sleep=Clock())
        with pytest.raises(cf.CloudflareError) as err:
            c.get("/zones")
    message = str(err.value)
    assert message.startswith("Cloudflare API GET /zones failed: TLS with 127.0.0.1:%d failed (" % port), message
    assert "Hint: check api_url (https://127.0.0.1:%d/client/v4), or give api_ca_path" % port in message
    assert not any(noise in message for noise in URLLIB3_NOISE) and SECRET not in message, message


# ------------------------------------------------------- the token on every error path
ENV_SECRET = "s3cr3t-env-t0ken-" + "b7c1d9e2f4a6"

ERROR_PATHS = {
    "5xx until it gives up": ({"kind": "status", "status": 503}, "gave up after 3 attempts"),
    "429 until it gives up": ({"kind": "status", "status": 429, "retry_after": 0}, "gave up after 3 attempts"),
    "refused by Cloudflare": ({"kind": "status", "status": 403, "code": 10000, "message": "Authentication error"}, "Hint: authentication failed"),
    "connection dropped": ({"kind": "drop"}, "failed after 3 attempts"),
    "read timeout": ({"kind": "delay", "seconds": 1.5}, "no response within 0.5s (read timeout) (gave up after 3 attempts"),
}


@pytest.mark.parametrize("path", sorted(ERROR_PATHS))
def test_the_token_from_the_environment_is_in_no_error_message(monkeypatch, emulator, zone_id, path):
    """The token taken from CLOUDFLARE_API_TOKEN is no module option: Ansible would not mask it."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", ENV_SECRET)
    emulator.state.add_token(ENV_SECRET)
    fault, expected = ERROR_PATHS[path]
    fault = dict(fault)
    emulator.add_fault(fault.pop("kind"), path="/settings/ssl$", **fault)
    c = cf.CloudflareClient(api_url=emulator.url, retries=2, timeout=0.5, sleep=Clock())
    with pytest.raises(cf.CloudflareError) as info:
        CloudflareApi(c).setting(zone_id, "ssl")
    text = " ".join([str(info.value), repr(info.value.errors), repr(vars(info.value))])
    assert expected in str(info.value), str(info.value)
    assert ENV_SECRET not in text


def test_a_token_cloudflare_rejects_is_not_repeated_in_the_message(monkeypatch, emulator, zone_id):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", ENV_SECRET)  # not a token the emulator knows
    with pytest.raises(cf.CloudflareError) as info:
        CloudflareApi(cf.CloudflareClient(api_url=emulator.url, sleep=Clock())).setting(zone_id, "ssl")
    assert "[9109]" in str(info.value) and ENV_SECRET not in str(info.value)


def test_an_unreachable_api_with_the_token_from_the_environment(monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", ENV_SECRET)
    c = cf.CloudflareClient(api_url="http://127.0.0.1:%d/client/v4" % free_port(), retries=2, sleep=Clock())
    with pytest.raises(cf.CloudflareError) as info:
        c.get("/zones")
    assert "failed after 3 attempts" in str(info.value)
    assert_one_clean_sentence(str(info.value), ENV_SECRET)
