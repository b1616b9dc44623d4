#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: audit_report
short_description: Turn exposure-audit findings into a verdict and JSON, JUnit XML and HTML reports
version_added: 0.1.0
description:
  - Judges every proxied hostname x origin address of the audited zones from the audit's findings and writes the
    reports people and CI systems read. Runs on the controller (delegate it to C(localhost)); talks to no API.
  - "A cell is C(exposed) when a direct request to the origin (SNI = the hostname) was served without a client
    certificate or with a certificate from a CA nobody trusts; C(unknown) when nothing was served but a request
    is missing or the origin was unreachable; C(broken) when both were refused but Cloudflare's own pulls are
    refused too (the hostname has no AOP in force - level C(none), e.g. its per-hostname binding disabled - or the
    origin's C(pulls_refused) names the hostname: it trusts another CA than the one of what Cloudflare presents);
    C(expiring) when both were refused but a certificate it depends on
    (the origin's trusted CA, or the certificates presented at the hostname's AOP level) expires within
    O(expiry_warning_days); C(protected) otherwise."
  - The JSON report holds everything (schema_version 1). The JUnit XML has one C(testsuite) per zone and one
    C(testcase) per hostname x origin; C(exposed), C(broken) and C(expiring) are failures (types C(exposed), C(broken), C(expiring)),
    C(unknown) is skipped with its reason as the message (shown, but the JUnit verdict fails exactly when this
    module does); the evidence is in each testcase's C(system-out). The HTML page is self-contained (inline CSS,
    no script, no external asset) - per zone its id, SSL/TLS mode and certificates, then a matrix of hostnames x
    origins, each cell coloured by state and labelled in words, with the evidence in a C(details) element and the
    cell's title.
  - The same findings give the same bytes; a file that already holds them is not written (C(changed=false)).
    No timestamp goes into the reports unless O(generated_at) is given.
  - The findings' data model is documented in the collection's C(plugins/module_utils/_audit_report.py).
extends_documentation_fragment:
  - originpulls.aop._attributes
options:
  findings:
    description:
      - What the audit collected, a dict with C(zones) (name, id, ssl_mode, hostnames - hostname to C(level) and
        C(origins) - and certificates with C(days_to_expiry)), C(origins) (address, host, server, stage,
        trusted_ca with C(days_to_expiry), drift, in_inventory, and optionally problems and C(pulls_refused) - hostname
        to why the origin refuses Cloudflare's pulls for it) and C(probes) (hostname, origin, and the results
        C(no_certificate) and C(wrong_ca), each with C(result) V(served), V(refused) or V(unreachable), and
        C(http_status), C(tls_alert), C(detail)).
    type: dict
    required: true
  json_path:
    description: Where to write the JSON report. Not written when omitted.
    type: path
  junit_path:
    description: Where to write the JUnit XML report. Not written when omitted.
    type: path
  html_path:
    description: Where to write the HTML page. Not written when omitted.
    type: path
  expiry_warning_days:
    description:
      - A certificate (the origins' trusted CAs, the zones' certificates) that expires within this many days is a
        finding. The audit playbook passes C(audit_expiry_warning_days).
    type: int
    default: 30
  fail_on_findings:
    description:
      - Fail when a cell is C(exposed) or a certificate expires within O(expiry_warning_days), after writing the
        reports. With V(false) the task succeeds and RV(findings) says whether there were any.
    type: bool
    default: true
  generated_at:
    description: A timestamp to print in the reports (for example C(ansible_date_time.iso8601)). Omitted, the
      reports carry none and stay byte-identical between runs on the same findings.
    type: str
  title:
    description: The reports' title.
    type: str
    default: Authenticated Origin Pulls exposure audit
notes:
  - Missing parent directories of the report paths are created (not in check mode).
"""

EXAMPLES = r"""
- name: Write the audit reports and fail on an exposed origin or an expiring certificate
  originpulls.aop.audit_report:
    findings: "{{ audit_findings }}"
    json_path: "{{ audit_report_dir }}/aop-audit.json"
    junit_path: "{{ audit_report_dir }}/aop-audit.junit.xml"
    html_path: "{{ audit_report_dir }}/aop-audit.html"
    expiry_warning_days: "{{ audit_expiry_warning_days }}"
  delegate_to: localhost
  run_once: true

- name: Only judge; let a later task decide
  originpulls.aop.audit_report:
    findings: "{{ audit_findings }}"
    fail_on_findings: false
  register: audit
  delegate_to: localhost
"""

RETURN = r"""
summary:
  description: Counts of hostname x origin cells per state, the total, and whether (and why) there are findings.
  returned: always
  type: dict
  sample: {protected: 5, exposed: 1, broken: 0, unknown: 0, expiring: 1, cells: 7, failed: true,
           reasons: ["1 hostname/origin pair(s) exposed", "a certificate expires within 30 days"]}
findings:
  description: Whether there are findings (a cell exposed or broken, a certificate expiring, an origin's problems), whatever O(fail_on_findings).
  returned: always
  type: bool
paths:
  description: The report files, by format (only those asked for).
  returned: always
  type: dict
  sample: {json: /var/lib/aop/aop-audit.json, junit: /var/lib/aop/aop-audit.junit.xml, html: /var/lib/aop/aop-audit.html}
written:
  description: The files written by this run (in check mode, the files that would be written).
  returned: always
  type: list
  elements: str
table:
  description: The human summary, one line per zone / hostname / origin, then the counts and the notices.
  returned: always
  type: list
  elements: str
notices:
  description: Findings about origins and certificates (not in the operator's inventory, drift, expiry).
  returned: always
  type: list
  elements: str
report:
  description: The JSON report as data.
  returned: always
  type: dict
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.originpulls.aop.plugins.module_utils._audit_report import FindingsError, build_report, summary_table, to_json
from ansible_collections.originpulls.aop.plugins.module_utils._audit_report_render import to_html, to_junit


def _read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def _write(module, path, data):
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory)
    fd, tmp = tempfile.mkstemp(prefix=".audit-report-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            findings=dict(type="dict", required=True),
            json_path=dict(type="path"),
            junit_path=dict(type="path"),
            html_path=dict(type="path"),
            expiry_warning_days=dict(type="int", default=30),
            fail_on_findings=dict(type="bool", default=True),
            generated_at=dict(type="str"),
            title=dict(type="str", default="Authenticated Origin Pulls exposure audit"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        report = build_report(p["findings"], warning_days=p["expiry_warning_days"], generated_at=p["generated_at"], title=p["title"])
    except FindingsError as e:
        module.fail_json(msg="findings: %s" % e)
    renderers = (("json", "json_path", to_json), ("junit", "junit_path", to_junit), ("html", "html_path", to_html))
    paths = {}
    written = []
    json_before = ""
    json_after = ""
    for fmt, option, render in renderers:
        path = p[option]
        if not path:
            continue
        paths[fmt] = path
        data = render(report)
        current = _read(path)
        if fmt == "json":
            json_before = "" if current is None else current.decode("utf-8", "replace")
            json_after = data.decode("utf-8")
        if current == data:
            continue
        written.append(path)
        if not module.check_mode:
            try:
                _write(module, path, data)
            except OSError as e:
                module.fail_json(msg="cannot write the %s report to %s: %s" % (fmt, path, e), paths=paths, written=written[:-1])
    summary = report["summary"]
    result = dict(
        changed=bool(written),
        summary=summary,
        findings=summary["failed"],
        paths=paths,
        written=written,
        table=summary_table(report),
        notices=report["notices"],
        report=report,
    )
    if module._diff and "json" in paths:
        result["diff"] = dict(before=json_before, after=json_after, before_header=paths["json"], after_header=paths["json"])
    if module.check_mode and written:
        result["msg"] = "would write %s" % ", ".join(written)
    if summary["failed"] and p["fail_on_findings"]:
        module.fail_json(msg="exposure audit: %s" % "; ".join(summary["reasons"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
