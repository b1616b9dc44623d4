"""tls_probe against real TLS servers on 127.0.0.1: one that serves, one that answers 400, one that refuses the handshake."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from ansible_collections.originpulls.aop.plugins.module_utils._direct_request import probe, verdict
from ansible_collections.originpulls.aop.plugins.modules.tls_probe import main
from helpers.module import run_module
from origin import pki


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    pki.main(str(d))
    return d


class Server:
    """A TLS server on 127.0.0.1 that asks for a client certificate per ``verify`` and answers like nginx.

    verify: ssl.CERT_NONE (no request), CERT_OPTIONAL (request; a request without one is answered
    ``no_cert_status``), CERT_REQUIRED (the handshake without a valid one is refused).
    """

    def __init__(self, certs, verify, no_cert_status=200):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(certs / "server.crt"), str(certs / "server.key"))
        self.ctx.verify_mode = verify
        if verify != ssl.CERT_NONE:
            self.ctx.load_verify_locations(str(certs / "cf-test-ca.crt"))
        self.no_cert_status = no_cert_status
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                continue
            try:
                with self.ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(2)
                    tls.recv(4096)
                    status = 200 if tls.getpeercert() else self.no_cert_status
                    reason = {200: "OK", 400: "Bad Request"}[status]
                    tls.sendall(("HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % (status, reason)).encode())
            except (OSError, ssl.SSLError):
                pass

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.listener.close()


@pytest.fixture
def server(certs):
    started = []

    def start(verify, no_cert_status=200):
        started.append(Server(certs, verify, no_cert_status))
        return started[-1]

    yield start
    for s in started:
        s.close()


def params(port, certs=None, client=None, expect="any", tls_version="any"):
    return {
        "host": "127.0.0.1",
        "port": port,
        "server_name": "origin.test",
        "path": "/",
        "certificate_path": str(certs / ("%s.crt" % client)) if client else None,
        "private_key_path": str(certs / ("%s.key" % client)) if client else None,
        "tls_version": tls_version,
        "timeout": 5,
        "expect": expect,
    }


def judged(p):
    return verdict(p, *probe(p))


def test_a_server_without_client_auth_serves_and_is_not_refused(server):
    s = server(ssl.CERT_NONE)
    result, failure = judged(params(s.port, expect="served"))
    assert result["outcome"] == "200" and result["refused"] is False and failure is None
    result, failure = judged(params(s.port, expect="refused"))
    assert result["refused"] is False and "was expected to refuse the request but answered: HTTP/1.1 200 OK" in failure


@pytest.mark.parametrize("tls_version", ["1.2", "1.3"])
def test_an_http_400_without_a_certificate_is_refused_and_a_valid_certificate_is_served(server, certs, tls_version):
    s = server(ssl.CERT_OPTIONAL, no_cert_status=400)
    result, failure = judged(params(s.port, expect="refused", tls_version=tls_version))
    assert result["outcome"] == "400" and result["refused"] is True and failure is None
    assert result["detail"] == "HTTP/1.1 400 Bad Request"
    result, failure = judged(params(s.port, certs, "client-good", expect="served", tls_version=tls_version))
    assert result["outcome"] == "200" and result["refused"] is False and failure is None


@pytest.mark.parametrize("tls_version", ["1.2", "1.3"])
def test_a_refused_handshake_is_tls_rejected_and_a_valid_certificate_gets_through(server, certs, tls_version):
    s = server(ssl.CERT_REQUIRED)
    result, failure = judged(params(s.port, expect="refused", tls_version=tls_version))
    assert result["outcome"] == "tls_rejected" and result["refused"] is True and failure is None
    result, failure = judged(params(s.port, expect="served", tls_version=tls_version))
    assert "was expected to serve the request but" in failure
    result, failure = judged(params(s.port, certs, "client-wrong", tls_version=tls_version))
    assert result["outcome"] == "tls_rejected"
    result, failure = judged(params(s.port, certs, "client-good", expect="served", tls_version=tls_version))
    assert result["outcome"] == "200" and result["refused"] is False and failure is None


def test_nothing_listening_is_unreachable_not_refused():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    result, failure = judged(params(port, expect="refused"))
    assert result["outcome"] == "unreachable" and result["refused"] is False
    assert "cannot connect to 127.0.0.1:%d" % port in failure


@pytest.mark.parametrize(("status", "refused"), [("400", True), ("403", True), ("495", True), ("496", True), ("200", False), ("421", False), ("502", False)])
def test_which_http_answers_count_as_refused(status, refused):
    result, _failure = verdict(params(443, expect="any"), status, "HTTP/1.1 %s X" % status)
    assert result["refused"] is refused


def run_main(capsys, args):
    """tls_probe's main() with ``args`` as a task would give them; returns its JSON result."""
    return run_module(capsys, main, args)


@pytest.mark.parametrize(("cert_option", "key_option"), [("certificate_path", "private_key_path"), ("client_cert", "client_key")])
def test_the_client_certificate_options_and_their_old_names_reach_the_handshake(capsys, server, certs, cert_option, key_option):
    s = server(ssl.CERT_REQUIRED)
    args = {"host": "127.0.0.1", "port": s.port, "server_name": "origin.test", "timeout": 5, "expect": "served"}
    r = run_main(capsys, dict(args, **{cert_option: str(certs / "client-good.crt"), key_option: str(certs / "client-good.key")}))
    assert not r.get("failed"), r.get("msg")
    assert r["outcome"] == "200" and r["refused"] is False
    r = run_main(capsys, dict(args, **{cert_option: str(certs / "client-good.crt")}))
    assert r["failed"] and "parameters are required together" in r["msg"]
