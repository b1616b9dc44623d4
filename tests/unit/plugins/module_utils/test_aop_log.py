"""The AOP log contract: every server's line, normalised to one verify result."""

from __future__ import annotations

import json

from ansible_collections.originpulls.aop.plugins.module_utils import _aop_log as log

SINCE = log.parse_time("2026-11-28T05:00:00Z")


def haproxy(verify, used, i_dn="/C=US/O=Test Origin Pull CA/CN=origin-pull.test"):
    return 'time=2026-11-28T05:43:59+0000 server=fe_origin host=origin.test addr=1.2.3.4 status=200 verify=%s used=%s s_dn="/CN=x" i_dn="%s"' % (
        verify,
        used,
        i_dn,
    )


def test_haproxy_verify_and_used_are_normalised():
    assert log.parse_line(haproxy(0, 0))["verify"] == "NONE"  # ssl_c_verify is 0 without a certificate too
    assert log.parse_line(haproxy(0, 1))["verify"] == "SUCCESS"
    assert log.parse_line(haproxy(21, 1))["verify"] == "FAILED:21"
    c = log.count([haproxy(0, 0), haproxy(0, 1), haproxy(18, 1)], since=SINCE, server_names=["fe_origin"])
    assert (c["verified"], c["unverified"], c["failed"], c["total"]) == (1, 1, 1, 3)


def test_caddy_json_access_log():
    base = {"level": "info", "ts": 1795844625.44, "logger": "http.log.access.log1", "status": 200}
    with_cert = dict(base, request={"host": "origin.test:443", "tls": {"server_name": "origin.test", "client_common_name": "cf", "client_serial": "47"}})
    without = dict(base, request={"host": "origin.test", "tls": {"server_name": "origin.test"}})
    plain_http = dict(base, request={"host": "origin.test"})
    rec = log.parse_line(json.dumps(with_cert))
    assert rec["verify"] == "SUCCESS" and rec["host"] == "origin.test" and rec["time"] == "2026-11-28T05:43:45+0000"
    assert log.parse_line(json.dumps(without))["verify"] == "NONE"
    assert log.parse_line(json.dumps(plain_http)) == {}
    # Caddy logs no issuer: an issuer check cannot be applied, the configured CA is the only one trusted
    c = log.count([json.dumps(with_cert), json.dumps(without)], since=SINCE, issuer_contains="Some CA")
    assert (c["verified"], c["unverified"]) == (1, 1)


def test_traefik_json_access_log():
    rec = {"RequestHost": "origin.test", "TLSVersion": "1.3", "DownstreamStatus": 200, "StartUTC": "2026-11-28T05:43:07.000447388Z"}
    assert log.parse_line(json.dumps(rec))["verify"] == "NONE"
    rec["TLSClientSubject"] = "CN=origin-pull.test-client,O=Cloudflare\\, Inc.,C=US"
    parsed = log.parse_line(json.dumps(rec))
    assert parsed["verify"] == "SUCCESS" and parsed["time"] == "2026-11-28T05:43:07+0000"
    assert log.count([json.dumps(rec)], since=log.parse_time("2026-11-28T05:44:00Z"))["total"] == 0


def test_issuer_is_checked_where_the_server_logs_it():
    c = log.count([haproxy(0, 1, i_dn="/CN=Another CA")], since=SINCE, issuer_contains="origin-pull.test")
    assert (c["verified"], c["unverified"]) == (0, 1)


def test_not_json_and_foreign_lines_are_ignored():
    assert log.count(["{not json", "GET / HTTP/1.1 200", json.dumps([1, 2])], since=SINCE)["total"] == 0


def test_issuer_cn_in_both_dn_notations():
    assert log.issuer_cn("CN=client CA gen2,O=example") == "client CA gen2"
    assert log.issuer_cn("/C=US/O=example/CN=client CA gen2") == "client CA gen2"
    assert log.issuer_cn("O=no common name") is None


def test_issuer_cn_counts_the_previous_ca_apart_and_does_not_match_a_prefix():
    lines = [
        haproxy(0, 1, i_dn="/O=example/CN=client CA gen1"),  # previous CA: expected during a rotation
        haproxy(0, 1, i_dn="/O=example/CN=client CA gen10"),  # another CA whose CN starts with the new one's
        haproxy(0, 1, i_dn="/O=example/CN=client CA gen1 "),
        haproxy(0, 0),
        haproxy(21, 1, i_dn="/O=example/CN=client CA gen1"),
    ]
    c = log.count(lines, since=SINCE, issuer_cn_is="client CA gen1")
    assert (c["verified"], c["other_issuer"], c["unverified"], c["failed"]) == (2, 1, 1, 1)


def test_tail_lines_keeps_only_complete_lines_of_the_tail(tmp_path):
    path = tmp_path / "aop.log"
    path.write_text("first line\nsecond line\nthird line\n")
    assert log.tail_lines(str(path)) == ["first line", "second line", "third line"]
    assert log.tail_lines(str(path), limit=15) == ["third line"]  # the last 15 bytes start inside "second line": that cut line is dropped
    assert log.tail_lines(str(tmp_path / "missing.log")) == []
