"""originpulls.aop.audit_report through ansible-playbook: files, idempotence, check and diff mode, the verdict."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from helpers import audit_findings as af
from helpers.ansible import run_tasks


def task(tmp_path, findings=None, name="report", **extra):
    args = {
        "findings": af.findings() if findings is None else findings,
        "json_path": str(tmp_path / "out" / "aop-audit.json"),
        "junit_path": str(tmp_path / "out" / "aop-audit.junit.xml"),
        "html_path": str(tmp_path / "out" / "aop-audit.html"),
    }
    args.update(extra)
    return {"name": name, "originpulls.aop.audit_report": args}


def files(tmp_path):
    out = tmp_path / "out"
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())} if out.exists() else {}


def test_writes_the_three_reports_then_fails_on_the_findings_and_is_idempotent(tmp_path):
    res = run_tasks([task(tmp_path)], diff=True)
    r = res.task("report")
    assert r["failed"] and r["changed"]
    assert r["msg"] == (
        "exposure audit: 3 hostname/origin pair(s) exposed; 2 hostname/origin pair(s) broken: the origin refuses Cloudflare's own pulls; "
        "a certificate expires within 30 days; 2 proxied hostname(s) without AOP in force: legacy.example.com, pay.example.com; "
        "1 origin(s) with problems: 192.0.2.13"
    )
    assert r["summary"]["exposed"] == 3 and r["summary"]["broken"] == 2 and r["findings"] is True
    assert sorted(r["written"]) == sorted(r["paths"].values()) and set(r["paths"]) == {"json", "junit", "html"}
    assert r["diff"]["before"] == "" and json.loads(r["diff"]["after"])["summary"]["cells"] == 11
    assert any(line.endswith("EXPOSED") for line in r["table"]) and any(line.endswith("BROKEN") for line in r["table"])
    written = files(tmp_path)
    assert set(written) == {"aop-audit.json", "aop-audit.junit.xml", "aop-audit.html"}
    assert json.loads(written["aop-audit.json"])["summary"] == r["summary"]
    assert ET.fromstring(written["aop-audit.junit.xml"]).get("failures") == "7"
    assert written["aop-audit.html"].startswith(b"<!DOCTYPE html>")

    again = run_tasks([task(tmp_path, fail_on_findings=False)]).task("report")
    assert again["changed"] is False and again["written"] == [] and not again.get("failed")
    assert again["findings"] is True
    assert files(tmp_path) == written


def test_check_mode_writes_nothing_and_says_what_it_would_write(tmp_path):
    r = run_tasks([task(tmp_path, findings=af.clean_findings())], check=True, diff=True).task("report")
    assert r["changed"] and not r.get("failed") and r["findings"] is False
    assert r["msg"].startswith("would write ") and str(tmp_path / "out" / "aop-audit.html") in r["msg"]
    assert len(r["written"]) == 3
    assert r["summary"]["protected"] == r["summary"]["cells"] == 10
    assert files(tmp_path) == {}


def test_a_change_in_the_findings_is_a_change_with_a_diff(tmp_path):
    assert run_tasks([task(tmp_path, findings=af.clean_findings())]).task("report")["changed"]
    before = files(tmp_path)
    f = af.clean_findings()
    f["probes"][0]["no_certificate"] = af.SERVED
    r = run_tasks([task(tmp_path, findings=f, fail_on_findings=False)], diff=True).task("report")
    assert r["changed"] and r["summary"]["exposed"] == 1
    assert r["diff"]["before"] == before["aop-audit.json"].decode() and '"exposed": 1' in r["diff"]["after"]
    assert files(tmp_path) != before


def test_generated_at_goes_into_the_bytes_and_bad_findings_fail_cleanly(tmp_path):
    r = run_tasks([task(tmp_path, findings=af.clean_findings(), generated_at="2026-11-28T12:00:00Z")]).task("report")
    assert r["report"]["generated_at"] == "2026-11-28T12:00:00Z"
    assert b"2026-11-28T12:00:00Z" in files(tmp_path)["aop-audit.junit.xml"]
    bad = af.clean_findings()
    bad["probes"][0]["wrong_ca"] = {"result": "maybe"}
    r = run_tasks([task(tmp_path, findings=bad, name="bad")]).task("bad")
    assert r["failed"] and r["msg"].startswith("findings: probes[0].wrong_ca.result must be one of")


def test_only_the_asked_formats_are_written(tmp_path):
    t = {"name": "report", "originpulls.aop.audit_report": {"findings": af.clean_findings(), "html_path": str(tmp_path / "out" / "a.html")}}
    r = run_tasks([t]).task("report")
    assert r["paths"] == {"html": str(tmp_path / "out" / "a.html")} and "diff" not in r
    assert set(files(tmp_path)) == {"a.html"}
