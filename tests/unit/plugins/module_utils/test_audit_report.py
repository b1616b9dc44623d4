"""The exposure audit's report: judging each hostname x origin cell, the summary, JSON, JUnit XML and HTML."""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from ansible_collections.originpulls.aop.plugins.module_utils import _audit_report as r
from ansible_collections.originpulls.aop.plugins.module_utils._audit_report_render import LABELS, to_html, to_junit
from helpers import audit_findings as af

REFUSED = af.REFUSED_TLS
SERVED = af.SERVED
GONE = af.UNREACHABLE
CA_OK = {"trusted_ca": {"subject": "CN=ok", "days_to_expiry": 400}}


def cert(level, days, hostnames=()):
    return {"name": "c-%s" % level, "level": level, "hostnames": list(hostnames), "days_to_expiry": days}


@pytest.mark.parametrize(
    "no_cert, wrong_ca, origin, certs, level, state",
    [
        (REFUSED, REFUSED, CA_OK, [], "global", "protected"),
        (SERVED, REFUSED, CA_OK, [], "global", "exposed"),
        (REFUSED, SERVED, CA_OK, [], "global", "exposed"),
        (SERVED, GONE, CA_OK, [], "global", "exposed"),  # served beats unreachable
        (REFUSED, GONE, CA_OK, [], "global", "unknown"),
        (None, REFUSED, CA_OK, [], "global", "unknown"),
        (None, None, CA_OK, [], "global", "unknown"),
        (REFUSED, REFUSED, {"trusted_ca": {"days_to_expiry": 30}}, [], "global", "expiring"),  # the boundary counts
        (REFUSED, REFUSED, {"trusted_ca": {"days_to_expiry": 31}}, [], "global", "protected"),
        (REFUSED, REFUSED, {"trusted_ca": {"days_to_expiry": -3}}, [], "global", "expiring"),  # expired
        (REFUSED, REFUSED, {"trusted_ca": {"days_to_expiry": None}}, [], "global", "protected"),
        (REFUSED, REFUSED, CA_OK, [cert("global", 5)], "global", "expiring"),
        (REFUSED, REFUSED, CA_OK, [cert("zone", 5)], "global", "protected"),  # not presented at this level
        (REFUSED, REFUSED, CA_OK, [cert("zone", 5)], "zone", "expiring"),
        (REFUSED, REFUSED, CA_OK, [cert("hostname", 5, ["www.example.com"])], "hostname", "expiring"),
        (REFUSED, REFUSED, CA_OK, [cert("hostname", 5, ["other.example.com"])], "hostname", "protected"),
        (SERVED, SERVED, {"trusted_ca": {"days_to_expiry": 1}}, [], "none", "exposed"),  # exposure beats expiry
        (REFUSED, REFUSED, CA_OK, [], "none", "broken"),  # refused, but Cloudflare presents nothing: its pulls are refused too
        (REFUSED, REFUSED, {"trusted_ca": {"days_to_expiry": 1}}, [], "none", "broken"),  # broken beats expiring
        (REFUSED, REFUSED, dict(CA_OK, pulls_refused={"WWW.example.com.": "trusts another CA"}), [], "global", "broken"),
        (REFUSED, REFUSED, dict(CA_OK, pulls_refused={"api.example.com": "trusts another CA"}), [], "global", "protected"),  # another hostname
        (SERVED, REFUSED, dict(CA_OK, pulls_refused={"www.example.com": "trusts another CA"}), [], "global", "exposed"),
        (REFUSED, GONE, dict(CA_OK, pulls_refused={"www.example.com": "trusts another CA"}), [], "global", "unknown"),
    ],
)
def test_judge_cell(no_cert, wrong_ca, origin, certs, level, state):
    probe = {"no_certificate": no_cert, "wrong_ca": wrong_ca}
    got, reasons = r.judge_cell("www.example.com", level, origin, probe, certs, 30)
    assert got == state
    assert reasons and all(isinstance(x, str) and x for x in reasons)


def test_reasons_carry_the_evidence():
    state, reasons = r.judge_cell("www.example.com", "global", CA_OK, {"no_certificate": SERVED, "wrong_ca": REFUSED}, [], 30)
    assert state == "exposed"
    assert reasons == ["served without a client certificate: served (HTTP 200, <b>welcome</b> & hello)"]
    old_ca = {"trusted_ca": {"subject": "CN=old", "days_to_expiry": 3}}
    state, reasons = r.judge_cell("x", "global", old_ca, {"no_certificate": REFUSED, "wrong_ca": REFUSED}, [], 30)
    assert reasons == ["origin's trusted CA CN=old expires in 3 days"]
    wrong = dict(old_ca, pulls_refused={"x": "at require it trusts CN=old, not the CA of Cloudflare's global certificate presented for this hostname"})
    state, reasons = r.judge_cell("x", "global", wrong, {"no_certificate": REFUSED, "wrong_ca": REFUSED}, [], 30)
    assert state == "broken"
    assert reasons == [
        "Cloudflare's pulls are refused: at require it trusts CN=old, not the CA of Cloudflare's global certificate presented for this hostname",
        "refused without a client certificate and with a wrong-CA certificate",
        "origin's trusted CA CN=old expires in 3 days",
    ]


def cells(report):
    return {(z["name"], h["name"], c["origin"]): c["state"] for z in report["zones"] for h in z["hostnames"] for c in h["cells"]}


def test_report_states_summary_and_notices():
    report = r.build_report(af.findings())
    assert cells(report) == af.EXPECTED
    s = report["summary"]
    assert (s["protected"], s["exposed"], s["broken"], s["unknown"], s["expiring"], s["cells"]) == (2, 3, 2, 2, 2, 11)
    assert s["failed"] is True
    assert s["reasons"] == [
        "3 hostname/origin pair(s) exposed",
        "2 hostname/origin pair(s) broken: the origin refuses Cloudflare's own pulls",
        "a certificate expires within 30 days",
        "2 proxied hostname(s) without AOP in force: legacy.example.com, pay.example.com",
        "1 origin(s) with problems: 192.0.2.13",
    ]
    assert any(n.startswith("hostname legacy.example.com (zone example.com): no AOP in force") for n in report["notices"])
    assert "origin 198.51.100.7 is in DNS but not in the operator's inventory" in report["notices"]
    assert any("192.0.2.12 (web3) drifted" in n for n in report["notices"])
    assert any("192.0.2.11 (web2): trusted CA expires in 10 days" in n for n in report["notices"])


def test_a_clean_fleet_does_not_fail_and_the_warning_window_is_an_option():
    report = r.build_report(af.clean_findings())
    assert set(cells(report).values()) == {"protected"}
    assert report["summary"]["failed"] is False and report["summary"]["reasons"] == [] and report["notices"] == []
    wide = r.build_report(af.clean_findings(), warning_days=2000)
    assert set(cells(wide).values()) == {"expiring"}
    assert wide["summary"]["reasons"] == ["a certificate expires within 2000 days"]


def test_a_hostname_without_aop_fails_the_audit_even_when_its_origin_refuses():
    f = af.clean_findings()
    f["zones"][1]["hostnames"]["api.example.com"]["level"] = "none"  # its per-hostname binding disabled
    report = r.build_report(f)
    cell = next(c for z in report["zones"] for h in z["hostnames"] if h["name"] == "api.example.com" for c in h["cells"])
    assert cell["state"] == "broken" and cell["reasons"][0] == r.NO_AOP
    assert report["summary"]["failed"] is True
    assert report["summary"]["reasons"] == [
        "1 hostname/origin pair(s) broken: the origin refuses Cloudflare's own pulls",
        "1 proxied hostname(s) without AOP in force: api.example.com",
    ]


def test_a_hostname_without_aop_is_not_broken_on_an_origin_that_does_not_require_a_certificate():
    # Refused directly by other means (an address allowlist): Cloudflare's certificate-less pulls are served there.
    f = af.clean_findings()
    f["zones"][1]["hostnames"]["api.example.com"]["level"] = "none"
    for origin in f["origins"]:
        origin["stage"] = "optional"
    report = r.build_report(f)
    cell = next(c for z in report["zones"] for h in z["hostnames"] if h["name"] == "api.example.com" for c in h["cells"])
    assert cell["state"] == "protected" and cell["reasons"][-1] == r.NO_AOP_SERVED % "optional"
    assert report["summary"]["failed"] is True
    assert report["summary"]["reasons"] == ["1 proxied hostname(s) without AOP in force: api.example.com"]


def test_origin_problems_are_notices_and_fail_the_audit():
    f = af.clean_findings()
    f["origins"][1]["problems"] = ["at require, trusts CN=Some Other CA but Cloudflare presents a certificate from CN=Origin Pull CA"]
    report = r.build_report(f)
    assert "origin 192.0.2.11 (web2): at require, trusts CN=Some Other CA but Cloudflare presents a certificate from CN=Origin Pull CA" in report["notices"]
    assert report["summary"]["reasons"] == ["1 origin(s) with problems: 192.0.2.11"]
    f["origins"][1]["problems"] = "not a list"
    with pytest.raises(r.FindingsError, match="problems must be a list"):
        r.build_report(f)


def test_an_expiring_certificate_alone_fails_the_audit():
    f = af.clean_findings()
    f["zones"][0]["certificates"].append({"name": "spare", "level": "hostname", "hostnames": [], "days_to_expiry": 2})
    report = r.build_report(f)
    assert report["summary"]["exposed"] == report["summary"]["expiring"] == 0
    assert report["summary"]["failed"] is True
    assert any("hostname certificate spare expires in 2 days" in n for n in report["notices"])


def test_same_findings_give_the_same_bytes_whatever_their_order():
    first = r.to_json(r.build_report(af.findings()))
    shuffled = af.findings()
    rnd = random.Random(7)
    for key in ("zones", "origins", "probes"):
        rnd.shuffle(shuffled[key])
    for z in shuffled["zones"]:
        z["hostnames"] = dict(reversed(list(z["hostnames"].items())))
    report = r.build_report(shuffled)
    assert r.to_json(report) == first
    assert to_junit(report) == to_junit(r.build_report(af.findings()))
    assert to_html(report) == to_html(r.build_report(af.findings()))
    assert b"generated" not in to_html(report) and b"timestamp" not in to_junit(report)
    stamped = r.build_report(af.findings(), generated_at="2026-11-28T12:00:00Z")
    assert b"2026-11-28T12:00:00Z" in r.to_json(stamped) and b"2026-11-28T12:00:00Z" in to_html(stamped)
    assert b'timestamp="2026-11-28T12:00:00Z"' in to_junit(stamped)


def test_json_report_shape():
    data = json.loads(r.to_json(r.build_report(af.findings())).decode("utf-8"))
    assert data["schema_version"] == 1 and data["expiry_warning_days"] == 30 and data["generated_at"] is None
    assert set(data["summary"]) == {"protected", "exposed", "broken", "unknown", "expiring", "cells", "failed", "reasons"}
    assert [z["name"] for z in data["zones"]] == ["example.com", "example.org"]
    for z in data["zones"]:
        assert set(z) == {"name", "id", "ssl_mode", "certificates", "origins", "hostnames"}
        assert all(isinstance(c["expiring"], bool) and "days_to_expiry" in c for c in z["certificates"])
        for h in z["hostnames"]:
            assert h["level"] in ("global", "zone", "hostname", "none")
            for c in h["cells"]:
                assert c["state"] in r.STATES and c["origin"] in z["origins"]
                assert set(c["evidence"]) == {"no_certificate", "wrong_ca"} and c["reasons"]
    assert "lb1.example.net" in data["zones"][0]["origins"]  # the DNS target's trailing dot is dropped
    assert {o["address"] for o in data["origins"]} == {"192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13", "lb1.example.net", "198.51.100.7"}
    assert all(isinstance(o["ca_expiring"], bool) for o in data["origins"])


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.update(zones={}), "findings.zones must be a list"),
        (lambda f: f["zones"][0].pop("name"), "zones[0]: a zone needs a name"),
        (lambda f: f["zones"][0]["hostnames"].update({"x.example.org": {"origins": "192.0.2.1"}}), "hostnames[x.example.org] needs origins"),
        (lambda f: f["origins"][0].pop("address"), "origins[0]: an origin needs an address"),
        (lambda f: f["origins"][0]["trusted_ca"].update(days_to_expiry="soon"), "origins[0].trusted_ca: days_to_expiry must be an integer"),
        (lambda f: f["probes"][0]["no_certificate"].update(result="maybe"), "probes[0].no_certificate.result must be one of served, refused"),
        (lambda f: f["probes"][1].pop("origin"), "probes[1]: needs hostname and origin"),
    ],
)
def test_findings_that_break_the_model_are_named(change, message):
    f = af.findings()
    change(f)
    with pytest.raises(r.FindingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        r.build_report(f)


def test_summary_table():
    lines = r.summary_table(r.build_report(af.findings()))
    assert lines[0].split() == ["zone", "hostname", "origin", "level", "stage", "no", "client", "cert", "wrong-CA", "cert", "CA", "expiry", "state"]
    assert set(lines[1]) <= {"-", " "}
    rows = lines[2:13]
    assert len(rows) == 11
    assert any("198.51.100.7 (not in inventory)" in x and x.endswith("EXPOSED") for x in rows)
    assert any(x.startswith("example.com  legacy.example.com") and "served 200" in x and x.endswith("EXPOSED") for x in rows)
    assert any(x.startswith("example.com  pay.example.com") and x.endswith("BROKEN") for x in rows)
    assert any(x.startswith("example.org  static.example.org  192.0.2.13") and x.endswith("BROKEN") for x in rows)
    assert lines[13] == "2 protected, 3 exposed, 2 broken, 2 unknown, 2 expiring"
    assert lines[14:] and all(x.startswith("note: ") for x in lines[14:])


def test_junit_one_suite_per_zone_one_case_per_cell():
    root = ET.fromstring(to_junit(r.build_report(af.findings())))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("11", "7", "0", "2")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"example.com", "example.org"}
    seen = {}
    for zone, suite in suites.items():
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(len([c for c in cases if c.find("failure") is not None]))
        assert suite.get("skipped") == str(len([c for c in cases if c.find("skipped") is not None]))
        props = {p.get("name"): p.get("value") for p in suite.find("properties")}
        assert props["ssl_mode"] in ("strict", "full") and props["zone_id"]
        for case in cases:
            assert case.get("classname") == zone.replace(".", "_")
            hostname, origin = case.get("name").split(" via ")
            failure, skipped = case.find("failure"), case.find("skipped")
            if failure is not None:
                state = failure.get("type")
                assert failure.get("message").startswith(case.get("name") + ": ")
            elif skipped is not None:
                state = "unknown"
                assert skipped.get("message").startswith("unknown: ")
            else:
                state = "protected"
            assert "without a client certificate: " in case.find("system-out").text
            seen[(zone, hostname, origin)] = state
    assert seen == af.EXPECTED
    exposed = [c for c in root.iter("testcase") if c.get("name") == "legacy.example.com via 192.0.2.12"][0]
    assert "HTTP 200, <b>welcome</b> & hello" in exposed.find("failure").get("message")
    broken = [c for c in root.iter("testcase") if c.get("name") == "pay.example.com via 192.0.2.10"][0]
    assert broken.find("failure").get("type") == "broken" and "no AOP in force for this hostname" in broken.find("failure").get("message")


class Cells(HTMLParser):
    """Collects the matrix cells (td.cell), what else the page refers to, and the text of each cell."""

    def __init__(self):
        super().__init__()
        self.cells = []
        self.refs = []
        self.tags = set()
        self.zone = None
        self._in = None
        self._h2 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        self.refs.extend(v for k, v in attrs if k in ("src", "href") and v)
        if tag == "section":
            self.zone = a["id"][len("zone-") :]
        if tag == "td" and "cell" in a.get("class", "").split():
            self._in = dict(a, zone=self.zone, text="")
            self.cells.append(self._in)

    def handle_endtag(self, tag):
        if tag == "td":
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._in["text"] += data


def test_html_every_cell_with_its_state_label_and_evidence():
    report = r.build_report(af.findings())
    page = to_html(report).decode("utf-8")
    parser = Cells()
    parser.feed(page)
    assert not parser.refs and "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert "<style>" in page
    states = {}
    for c in parser.cells:
        if c["data-state"] == "na":
            assert "na" in c["class"].split()
            continue
        assert "s-" + c["data-state"] in c["class"].split()
        assert LABELS[c["data-state"]] in c["text"]  # the state in words, not only in colour
        assert "without a client certificate: " in c["title"] and "without a client certificate: " in c["text"]
        states[(c["zone"], c["data-hostname"], c["data-origin"])] = c["data-state"]
    assert states == af.EXPECTED
    # every hostname x origin of a zone has a cell, filled or not applicable
    for z in report["zones"]:
        assert len([c for c in parser.cells if c["zone"] == z["name"]]) == len(z["hostnames"]) * len(z["origins"])
    assert "<b>welcome</b>" not in page and "&lt;b&gt;welcome&lt;/b&gt; &amp; hello" in page
    assert "SSL/TLS mode: strict" in page and "zone id: 023e105f4ecef8ad9ca31a8372d0c353" in page
    assert "not in inventory" in page and "expires in 399 days" in page
