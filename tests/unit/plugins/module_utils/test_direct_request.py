"""The direct request (tls_probe, audit_probe) against a local TLS server: served, refused in the handshake, unreachable;
audit_probe's wrong-CA certificate is refused by a server that verifies, and presented at all."""

from __future__ import annotations

import contextlib
import os
import ssl
import sys

import pytest

from ansible_collections.originpulls.aop.plugins.module_utils._direct_request import is_refused, probe
from ansible_collections.originpulls.aop.plugins.modules.audit_probe import untrusted_client_certificate
from helpers.local_server import free_port, serving

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "origin"))
import pki  # noqa: E402


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    pki.main(str(d))
    return d


@contextlib.contextmanager
def serve(certs, verify):
    """A TLS server on 127.0.0.1 answering one HTTP 200 per connection; verify = ssl.CERT_NONE/OPTIONAL/REQUIRED."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(certs / "server.crt"), str(certs / "server.key"))
    ctx.verify_mode = verify
    if verify != ssl.CERT_NONE:
        ctx.load_verify_locations(str(certs / "cf-test-ca.crt"))

    def answer(conn):
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(65536)
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    with serving(answer) as port:
        yield port


def request(port, cert=None, key=None):
    p = dict(host="127.0.0.1", port=port, server_name="origin.test", path="/", certificate_path=cert, private_key_path=key, tls_version="any", timeout=5)
    return probe(p)


def test_served_refused_unreachable(certs):
    with serve(certs, ssl.CERT_NONE) as port:
        outcome, detail = request(port)
        assert (outcome, is_refused(outcome)) == ("200", False) and detail.startswith("HTTP/1.1 200")
    with serve(certs, ssl.CERT_REQUIRED) as port:
        outcome, _detail = request(port)
        assert outcome == "tls_rejected" and is_refused(outcome)
        outcome, _detail = request(port, str(certs / "client-good.crt"), str(certs / "client-good.key"))
        assert outcome == "200"
    outcome, _detail = request(free_port())
    assert outcome == "unreachable" and not is_refused(outcome)


def test_the_wrong_ca_certificate_is_presented_and_refused(certs, tmp_path):
    cert, key = untrusted_client_certificate(str(tmp_path))
    assert oct(os.stat(key).st_mode & 0o777) == "0o600"
    with serve(certs, ssl.CERT_OPTIONAL) as port:  # verifies a certificate when one is given
        assert request(port)[0] == "200"  # none given: served
        outcome, detail = request(port, cert, key)
        assert outcome == "tls_rejected", detail  # given, from a CA nobody trusts: refused
