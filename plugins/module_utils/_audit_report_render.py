# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exposure audit's report as JUnit XML and as one self-contained HTML page.

Both take the report dict of ``_audit_report.build_report`` and return bytes (the same report gives the
same bytes). Pure functions, nothing from Ansible. PRIVATE to the collection.

JUnit XML: one ``testsuite`` per zone, one ``testcase`` per hostname x origin address
(``classname`` = the zone with dots as underscores, since Jenkins splits class names at dots;
``name`` = ``<hostname> via <origin>``). ``exposed`` is a ``failure`` (type ``exposed``), ``broken`` a
``failure`` (type ``broken``: the origin refuses Cloudflare's own pulls, the reason in the message), ``expiring``
a ``failure`` (type ``expiring``) with the certificate and its days in the message, ``unknown`` is
``skipped`` with the reason as its message (shown, not red: the JUnit verdict then fails exactly when the
audit fails), ``protected`` passes. Each testcase's ``system-out`` holds the evidence of both requests.
"""

from __future__ import annotations

import re
from html import escape
from xml.sax.saxutils import quoteattr

from ansible_collections.originpulls.aop.plugins.module_utils._audit_report import PROBES, STATES, evidence_text, expiry_text

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

# Cell colours (also the colours the browser test looks for) and the text label that goes with each,
# so that the state never depends on colour alone.
COLOURS = {"protected": "#1a7f37", "exposed": "#cf222e", "broken": "#8250df", "unknown": "#8c959f", "expiring": "#f2a000"}
LABELS = {"protected": "\u2714 PROTECTED", "exposed": "\u2716 EXPOSED", "broken": "\u2298 BROKEN", "unknown": "? UNKNOWN", "expiring": "\u26a0 EXPIRING"}
# What each state means, in the legend (and as its tooltip).
MEANINGS = {
    "protected": "direct requests refused, Cloudflare's pulls carry a certificate the origin trusts",
    "exposed": "a direct request around Cloudflare was served",
    "broken": "direct requests refused, and Cloudflare's own pulls too (no AOP in force for the hostname, or the origin trusts another CA)",
    "unknown": "not probed, or the origin was unreachable",
    "expiring": "protected, but a certificate it depends on expires soon",
}
CELL_WIDTH = 168
CELL_HEIGHT = 48


def _x(text):
    return _XML_BAD.sub("?", str(text))


def _attr(text):
    return quoteattr(_x(text))


def _cell_evidence(cell):
    lines = ["%s: %s" % (label, evidence_text(cell["evidence"].get(key))) for key, label in PROBES]
    return lines + ["state %s: %s" % (cell["state"], "; ".join(cell["reasons"]))]


def to_junit(report):
    """JUnit XML bytes (see the module docstring for how states map to JUnit)."""
    suites = []
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for zone in report["zones"]:
        cases = []
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        classname = zone["name"].replace(".", "_")
        for h in zone["hostnames"]:
            for cell in h["cells"]:
                counts["tests"] += 1
                name = "%s via %s" % (h["name"], cell["origin"])
                body = []
                message = "%s: %s" % (name, "; ".join(cell["reasons"]))
                if cell["state"] in ("exposed", "broken", "expiring"):
                    counts["failures"] += 1
                    body.append("      <failure type=%s message=%s>%s</failure>" % (_attr(cell["state"]), _attr(message), escape(_x(message), quote=False)))
                elif cell["state"] == "unknown":
                    counts["skipped"] += 1
                    body.append("      <skipped message=%s/>" % _attr("unknown: " + message))
                out = "\n".join(["level %s" % h["level"], *_cell_evidence(cell)])
                body.append("      <system-out>%s</system-out>" % escape(_x(out), quote=False))
                cases.append('    <testcase classname=%s name=%s time="0">\n%s\n    </testcase>' % (_attr(classname), _attr(name), "\n".join(body)))
        props = [("zone_id", zone.get("id")), ("ssl_mode", zone.get("ssl_mode"))]
        props += [("certificate", "%s %s %s" % (c.get("level"), c.get("name", ""), expiry_text(c.get("days_to_expiry")))) for c in zone["certificates"]]
        prop_xml = "".join("\n      <property name=%s value=%s/>" % (_attr(k), _attr("" if v is None else v)) for k, v in props)
        stamp = " timestamp=%s" % _attr(report["generated_at"]) if report.get("generated_at") else ""
        suites.append(
            '  <testsuite name=%s tests="%d" failures="%d" errors="0" skipped="%d" time="0"%s>\n    <properties>%s\n    </properties>\n%s\n  </testsuite>'
            % (_attr(zone["name"]), counts["tests"], counts["failures"], counts["skipped"], stamp, prop_xml, "\n".join(cases))
        )
        for k in totals:
            totals[k] += counts[k]
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name=%s tests="%d" failures="%d" errors="0" skipped="%d" time="0">\n%s\n</testsuites>\n' % (
        _attr(report["title"]),
        totals["tests"],
        totals["failures"],
        totals["skipped"],
        "\n".join(suites),
    )
    return text.encode("utf-8")


_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:16px;color:#1f2328;background:#fff;font-size:14px}
h1{font-size:20px;margin:0 0 6px}h2{font-size:17px;margin:18px 0 4px}
.meta{margin:0 0 6px;color:#444}.meta span{margin-right:18px}
.legend span{display:inline-block;margin-right:14px}.chip{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
table.matrix{border-collapse:separate;border-spacing:4px;margin:4px 0}
table.matrix th{font-weight:600;text-align:left;padding:2px 6px;font-size:13px;vertical-align:bottom}
table.matrix th[scope=row]{vertical-align:top;padding-top:6px}
td.cell{width:%(w)dpx;min-width:%(w)dpx;max-width:%(w)dpx;height:%(h)dpx;padding:0 8px;vertical-align:middle;font-size:13px;font-weight:700;overflow:hidden}
td.cell details summary{cursor:pointer}td.cell details[open]{font-weight:400}td.cell details div{margin:2px 0;word-wrap:break-word}
td.na{background:#f6f8fa;color:#888;text-align:center;font-weight:400}
.badge{white-space:nowrap;font-weight:400;font-size:11px;border:1px solid #888;padding:0 3px;margin-left:4px}
ul.notes li{margin:2px 0}.small{font-size:12px;color:#555;font-weight:400}
"""


def _css():
    rules = [_CSS % {"w": CELL_WIDTH, "h": CELL_HEIGHT}]
    for state in STATES:
        fg = "#000" if state in ("expiring", "unknown") else "#fff"
        rules.append(".s-%s{background:%s;color:%s}" % (state, COLOURS[state], fg))
    return "\n".join(rules).strip()


def _e(text):
    return escape("" if text is None else str(text))


def _origin_header(o, address):
    bits = [_e(address)]
    if o.get("host") and o["host"] != address:
        bits.append('<br><span class="small">%s</span>' % _e(o["host"]))
    bits.append('<br><span class="small">%s / %s</span>' % (_e(o.get("server") or "server ?"), _e(o.get("stage") or "stage ?")))
    if o.get("in_inventory") is False:
        bits.append('<span class="badge">not in inventory</span>')
    if o.get("drift"):
        bits.append('<span class="badge">drift</span>')
    return "".join(bits)


def _zone_html(zone, origins):
    out = ['<section class="zone" id=%s>' % quoteattr("zone-" + zone["name"]), "<h2>%s</h2>" % _e(zone["name"])]
    out.append(
        '<p class="meta"><span>zone id: %s</span><span>SSL/TLS mode: %s</span><span>proxied hostnames: %d</span></p>'
        % (_e(zone.get("id") or "?"), _e(zone.get("ssl_mode") or "?"), len(zone["hostnames"]))
    )
    if zone["certificates"]:
        out.append('<ul class="notes">')
        for c in zone["certificates"]:
            mark = "\u26a0 " if c["expiring"] else ""
            bound = " (%s)" % ", ".join(c["hostnames"]) if c.get("hostnames") else ""
            out.append(
                "<li>%s%s certificate %s%s, %s, %s</li>"
                % (mark, _e(c.get("level")), _e(c.get("name", "")), _e(bound), _e(c.get("status") or "status ?"), _e(expiry_text(c.get("days_to_expiry"))))
            )
        out.append("</ul>")
    cols = zone["origins"]
    out.append('<table class="matrix"><thead><tr><th scope="col">hostname \\ origin</th>')
    out.extend('<th scope="col">%s</th>' % _origin_header(origins.get(a, {}), a) for a in cols)
    out.append("</tr></thead><tbody>")
    for h in zone["hostnames"]:
        cells = {c["origin"]: c for c in h["cells"]}
        out.append('<tr><th scope="row">%s<br><span class="small">AOP level: %s</span></th>' % (_e(h["name"]), _e(h["level"])))
        for a in cols:
            cell = cells.get(a)
            if cell is None:
                out.append('<td class="cell na" data-state="na" title="does not resolve to this origin">&mdash;</td>')
                continue
            ev = _cell_evidence(cell)
            out.append(
                '<td class="cell s-%s" data-state="%s" data-hostname=%s data-origin=%s title=%s><details><summary>%s</summary>%s</details></td>'
                % (
                    cell["state"],
                    cell["state"],
                    quoteattr(h["name"]),
                    quoteattr(a),
                    quoteattr("\n".join(ev)),
                    _e(LABELS[cell["state"]]),
                    "".join("<div>%s</div>" % _e(line) for line in ev),
                )
            )
        out.append("</tr>")
    out.append("</tbody></table></section>")
    return "\n".join(out)


def to_html(report):
    """One self-contained HTML page (inline CSS, no script, no external asset)."""
    s = report["summary"]
    origins = {o["address"]: o for o in report["origins"]}
    verdict = "FAILED: " + "; ".join(s["reasons"]) if s["failed"] else "no exposure, no certificate expiring within %d days" % report["expiry_warning_days"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>%s</title>" % _e(report["title"]),
        "<style>\n%s\n</style></head><body>" % _css(),
        "<h1>%s</h1>" % _e(report["title"]),
        '<p class="meta"><span id="verdict">%s</span>%s</p>'
        % (_e(verdict), "<span>generated at %s</span>" % _e(report["generated_at"]) if report.get("generated_at") else ""),
        '<p class="meta legend">'
        + "".join('<span title=%s><span class="chip s-%s"></span>%s: %d</span>' % (quoteattr(MEANINGS[st]), st, _e(LABELS[st]), s[st]) for st in STATES)
        + "</p>",
        '<p class="meta small">' + "; ".join("%s: %s" % (_e(st), _e(MEANINGS[st])) for st in STATES) + "</p>",
    ]
    parts.extend(_zone_html(z, origins) for z in report["zones"])
    if report["notices"]:
        parts.append('<h2>Notices</h2><ul class="notes">%s</ul>' % "".join("<li>%s</li>" % _e(n) for n in report["notices"]))
    parts.append("</body></html>\n")
    return "\n".join(parts).encode("utf-8")
