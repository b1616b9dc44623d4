# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exposure audit findings: the data model, the judging of each cell, the summary table and the JSON report.

Pure functions, no I/O, nothing from Ansible. The renderers for JUnit XML and HTML are in
``_audit_report_render.py``. PRIVATE to the collection.

Findings (what the audit collected; the input of ``build_report``)::

    {
      "zones": [{
        "name": "example.com", "id": "023e105f...", "ssl_mode": "strict",
        "hostnames": {                                   # every proxied hostname of the zone
          "www.example.com": {"level": "global",         # AOP level in force: hostname|zone|global|none
                              "origins": ["192.0.2.10", "web3.example.net"]},   # its DNS targets
        },
        "certificates": [{                               # certificates Cloudflare presents or holds
          "name": "Cloudflare origin-pull CA",           # free text (subject, id, ...)
          "level": "global",                             # global|zone|hostname: which level presents it
          "hostnames": [],                               # level=hostname: the hostnames it is bound to
          "status": "active", "expires_on": "2029-10-31",
          "days_to_expiry": 1064,                        # int; null = unknown (never judged expiring)
        }],
      }],
      "origins": [{                                      # keyed by address (A/AAAA content or CNAME target)
        "address": "192.0.2.10", "host": "web1",         # host: the inventory host name, null when none
        "server": "nginx", "stage": "require",           # as webserver_status reports them; null = not observed
        "trusted_ca": {"subject": "CN=...", "sha256": "AB:..", "expires_on": "...", "days_to_expiry": 400},
        "drift": false,                                  # managed lines differ from what the last run applied
        "in_inventory": true,                            # false: found in DNS, not in the operator's inventory
        "problems": [],                                  # optional: findings in words that fail the audit
                                                         # (e.g. it does not trust what Cloudflare presents)
        "pulls_refused": {"www.example.com": "..."},     # optional: hostname -> why this origin refuses
      }],                                                # Cloudflare's own pulls for it (the CA it trusts)
      "probes": [{                                       # direct requests around Cloudflare, SNI = hostname
        "hostname": "www.example.com", "origin": "192.0.2.10",
        "no_certificate": {"result": "refused",          # served | refused | unreachable
                           "http_status": 403,           # HTTP status when an HTTP answer came (served or refused)
                           "tls_alert": null,            # TLS alert name when the handshake was refused
                           "detail": "..."},             # free text (error message, response excerpt)
        "wrong_ca": {...},                               # same shape: with a certificate from a CA nobody trusts
      }],
    }

Cell state, per (zone, hostname, origin address) the hostname resolves to:

- ``exposed``   a direct request was served (without a client certificate or with a wrong-CA one);
- ``unknown``   nothing was served, but a request is missing or the origin was unreachable;
- ``broken``    both requests refused, and so are Cloudflare's own pulls: the hostname has no AOP level in force
                (``none``: Cloudflare presents no client certificate, e.g. its per-hostname binding is disabled),
                or the origin trusts another CA than the one of the certificate presented for the hostname
                (the origin's ``pulls_refused``). Not exposed, but not served through Cloudflare either;
- ``expiring``  both requests refused, and a certificate that this cell depends on (the origin's trusted CA,
                the certificates presented at the hostname's level) expires within the warning days;
- ``protected`` both requests refused, Cloudflare's pulls are sent a certificate the origin trusts, nothing expiring.

Besides the cells, the audit fails when a proxied hostname has no AOP level in force or an origin has
``problems`` (each named in the notices).
"""

from __future__ import annotations

import json

STATES = ("protected", "exposed", "broken", "unknown", "expiring")
PROBES = (("no_certificate", "without a client certificate"), ("wrong_ca", "with a wrong-CA certificate"))
RESULTS = ("served", "refused", "unreachable")
SCHEMA_VERSION = 1
NO_AOP = "no AOP in force for this hostname: Cloudflare presents no client certificate, so this origin refuses Cloudflare's pulls too"
NO_AOP_SERVED = "no AOP in force for this hostname; this origin (at %s) refused the direct requests by other means and serves Cloudflare's pulls"
PULLS_REFUSED = "Cloudflare's pulls are refused: "


class FindingsError(ValueError):
    """The findings do not follow the data model (the message says where)."""


def _require(cond, msg):
    if not cond:
        raise FindingsError(msg)


def _days(value, where):
    if value is None:
        return None
    _require(isinstance(value, int) and not isinstance(value, bool), "%s: days_to_expiry must be an integer or null" % where)
    return value


def evidence_text(ev):
    """One line for one direct request: 'served (HTTP 200)', 'refused (TLS alert certificate required)', ..."""
    if not ev:
        return "not probed"
    parts = []
    if ev.get("http_status") is not None:
        parts.append("HTTP %s" % ev["http_status"])
    if ev.get("tls_alert"):
        parts.append("TLS alert %s" % ev["tls_alert"])
    if ev.get("detail"):
        parts.append(str(ev["detail"]))
    return ev["result"] + (" (%s)" % ", ".join(parts) if parts else "")


def expiry_text(days):
    if days is None:
        return "expiry unknown"
    if days < 0:
        return "expired %d days ago" % -days
    return "expires in %d days" % days


def _cert_applies(cert, hostname, level):
    if cert.get("level") != level:
        return False
    return level != "hostname" or hostname in (cert.get("hostnames") or [])


def judge_cell(hostname, level, origin, probe, certificates, warning_days):
    """The state of one cell and the reasons, in words (first reason first)."""
    reasons = []
    served = []
    missing = []
    for key, label in PROBES:
        ev = (probe or {}).get(key)
        if not ev:
            missing.append("no direct request %s" % label)
        elif ev["result"] == "served":
            served.append("served %s: %s" % (label, evidence_text(ev)))
        elif ev["result"] == "unreachable":
            missing.append("unreachable %s: %s" % (label, evidence_text(ev)))
    if served:
        return "exposed", served + missing
    if missing:
        return "unknown", missing
    if origin is None:
        reasons.append("origin not described in the findings")
    broken = []
    stage = (origin or {}).get("stage")
    if level == "none" and stage not in (None, "require"):
        # Refused by other means (an address allowlist, say): Cloudflare's pulls carry no certificate, and an origin
        # that does not require one serves them. Not broken; the hostname without AOP is still a finding of the run.
        reasons.append(NO_AOP_SERVED % stage)
    elif level == "none":
        broken.append(NO_AOP)
    refused = {k.lower().rstrip("."): v for k, v in ((origin or {}).get("pulls_refused") or {}).items()}.get(hostname.lower().rstrip("."))
    if refused:
        broken.append(PULLS_REFUSED + refused)
    expiring = []
    ca = (origin or {}).get("trusted_ca") or {}
    days = ca.get("days_to_expiry")
    if days is not None and days <= warning_days:
        expiring.append("origin's trusted CA %s %s" % (ca.get("subject") or ca.get("sha256") or "", expiry_text(days)))
    for cert in certificates:
        d = cert.get("days_to_expiry")
        if d is not None and d <= warning_days and _cert_applies(cert, hostname, level):
            expiring.append("%s certificate %s %s" % (cert["level"], cert.get("name", ""), expiry_text(d)))
    if broken:
        return "broken", broken + ["refused without a client certificate and with a wrong-CA certificate"] + expiring + reasons
    if expiring:
        return "expiring", expiring + reasons
    return "protected", ["refused without a client certificate and with a wrong-CA certificate"] + reasons


def _check_findings(findings):
    _require(isinstance(findings, dict), "findings must be a dict with zones, origins and probes")
    for key in ("zones", "origins", "probes"):
        _require(isinstance(findings.get(key, []), list), "findings.%s must be a list" % key)
    for i, zone in enumerate(findings.get("zones", [])):
        where = "zones[%d]" % i
        _require(isinstance(zone, dict) and zone.get("name"), "%s: a zone needs a name" % where)
        _require(isinstance(zone.get("hostnames", {}), dict), "%s.hostnames must map hostname to level and origins" % where)
        for name, h in zone.get("hostnames", {}).items():
            _require(isinstance(h, dict) and isinstance(h.get("origins", []), list), "%s.hostnames[%s] needs origins (a list)" % (where, name))
        for j, cert in enumerate(zone.get("certificates", [])):
            _days(cert.get("days_to_expiry"), "%s.certificates[%d]" % (where, j))
    for i, origin in enumerate(findings.get("origins", [])):
        _require(isinstance(origin, dict) and origin.get("address"), "origins[%d]: an origin needs an address" % i)
        _days((origin.get("trusted_ca") or {}).get("days_to_expiry"), "origins[%d].trusted_ca" % i)
        _require(isinstance(origin.get("problems") or [], list), "origins[%d].problems must be a list of strings" % i)
        _require(isinstance(origin.get("pulls_refused") or {}, dict), "origins[%d].pulls_refused must map hostname to a reason" % i)
    for i, probe in enumerate(findings.get("probes", [])):
        _require(isinstance(probe, dict) and probe.get("hostname") and probe.get("origin"), "probes[%d]: needs hostname and origin" % i)
        for key, _label in PROBES:
            ev = probe.get(key)
            if ev is not None:
                _require(isinstance(ev, dict) and ev.get("result") in RESULTS, "probes[%d].%s.result must be one of %s" % (i, key, ", ".join(RESULTS)))


def build_report(findings, warning_days=30, generated_at=None, title="Authenticated Origin Pulls exposure audit"):
    """The whole report as one JSON-ready dict (sorted, so the same findings give the same report)."""
    _check_findings(findings)
    origins = {o["address"].lower().rstrip("."): o for o in findings.get("origins", [])}
    probes = {}
    for p in findings.get("probes", []):
        probes[(p["hostname"].lower().rstrip("."), p["origin"].lower().rstrip("."))] = p
    summary = {s: 0 for s in STATES}
    zones = []
    for zone in sorted(findings.get("zones", []), key=lambda z: z["name"]):
        certs = []
        for given in sorted(zone.get("certificates", []), key=lambda c: (c.get("level", ""), c.get("name", ""))):
            cert = dict(given, hostnames=sorted(given.get("hostnames") or []))
            cert["expiring"] = cert.get("days_to_expiry") is not None and cert["days_to_expiry"] <= warning_days
            certs.append(cert)
        hostnames = []
        zone_origins = set()
        for name in sorted(zone.get("hostnames", {})):
            h = zone["hostnames"][name]
            cells = []
            for addr in sorted({a.lower().rstrip(".") for a in h.get("origins", [])}):
                zone_origins.add(addr)
                probe = probes.get((name.lower().rstrip("."), addr))
                state, reasons = judge_cell(name, h.get("level", "none"), origins.get(addr), probe, certs, warning_days)
                summary[state] += 1
                ev = {k: (probe or {}).get(k) for k, _label in PROBES}
                cells.append({"origin": addr, "state": state, "reasons": reasons, "evidence": ev})
            hostnames.append({"name": name, "level": h.get("level", "none"), "cells": cells})
        zones.append(
            {
                "name": zone["name"],
                "id": zone.get("id"),
                "ssl_mode": zone.get("ssl_mode"),
                "certificates": certs,
                "origins": sorted(zone_origins),
                "hostnames": hostnames,
            }
        )
    report_origins = []
    notices = []
    for addr in sorted(origins):
        o = dict(origins[addr], address=addr)
        ca = o.get("trusted_ca") or {}
        o["ca_expiring"] = ca.get("days_to_expiry") is not None and ca["days_to_expiry"] <= warning_days
        report_origins.append(o)
        label = addr + (" (%s)" % o["host"] if o.get("host") and o["host"] != addr else "")
        if o.get("in_inventory") is False:
            notices.append("origin %s is in DNS but not in the operator's inventory" % label)
        if o.get("drift"):
            notices.append("origin %s drifted: its managed lines are not what the last run applied" % label)
        if o["ca_expiring"]:
            notices.append("origin %s: trusted CA %s" % (label, expiry_text(ca["days_to_expiry"])))
        notices.extend("origin %s: %s" % (label, text) for text in o.get("problems") or [])
    for zone in zones:
        for c in zone["certificates"]:
            if c["expiring"]:
                notices.append("zone %s: %s certificate %s %s" % (zone["name"], c.get("level"), c.get("name", ""), expiry_text(c["days_to_expiry"])))
    no_aop = []
    for zone in zones:
        for h in zone["hostnames"]:
            if h["level"] == "none":
                no_aop.append(h["name"])
                notices.append(
                    "hostname %s (zone %s): no AOP in force - Cloudflare presents no client certificate for it (AOP off, or its per-hostname binding disabled)"
                    % (h["name"], zone["name"])
                )
    problems = [o["address"] for o in report_origins if o.get("problems")]
    expiring_certs = any(o["ca_expiring"] for o in report_origins) or any(c["expiring"] for z in zones for c in z["certificates"])
    reasons = []
    if summary["exposed"]:
        reasons.append("%d hostname/origin pair(s) exposed" % summary["exposed"])
    if summary["broken"]:
        reasons.append("%d hostname/origin pair(s) broken: the origin refuses Cloudflare's own pulls" % summary["broken"])
    if expiring_certs:
        reasons.append("a certificate expires within %d days" % warning_days)
    if no_aop:
        reasons.append("%d proxied hostname(s) without AOP in force: %s" % (len(no_aop), ", ".join(no_aop)))
    if problems:
        reasons.append("%d origin(s) with problems: %s" % (len(problems), ", ".join(problems)))
    summary.update(cells=sum(summary[s] for s in STATES), failed=bool(reasons), reasons=reasons)
    return {
        "schema_version": SCHEMA_VERSION,
        "title": title,
        "generated_at": generated_at,
        "expiry_warning_days": warning_days,
        "summary": summary,
        "zones": zones,
        "origins": report_origins,
        "notices": notices,
    }


def to_json(report):
    """The JSON report's bytes: sorted keys, two-space indent, a final newline (stable for idempotence)."""
    return (json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def summary_table(report):
    """The human summary: one line per zone / hostname / origin (level, stage, direct results, expiry, state)."""
    origins = {o["address"]: o for o in report["origins"]}
    head = ("zone", "hostname", "origin", "level", "stage", "no client cert", "wrong-CA cert", "CA expiry", "state")
    rows = []
    for zone in report["zones"]:
        for h in zone["hostnames"]:
            for cell in h["cells"]:
                o = origins.get(cell["origin"], {})
                ca_days = (o.get("trusted_ca") or {}).get("days_to_expiry")
                rows.append(
                    (
                        zone["name"],
                        h["name"],
                        cell["origin"] + ("" if o.get("in_inventory", True) else " (not in inventory)"),
                        h["level"],
                        o.get("stage") or "?",
                        _short(cell["evidence"]["no_certificate"]),
                        _short(cell["evidence"]["wrong_ca"]),
                        "-" if ca_days is None else "%dd" % ca_days,
                        cell["state"].upper(),
                    )
                )
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(str(v).ljust(widths[i]) for i, v in enumerate(r)).rstrip() for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    s = report["summary"]
    lines.append("%d protected, %d exposed, %d broken, %d unknown, %d expiring" % (s["protected"], s["exposed"], s["broken"], s["unknown"], s["expiring"]))
    lines.extend("note: " + n for n in report["notices"])
    return lines


def _short(ev):
    if not ev:
        return "-"
    extra = ev.get("http_status") if ev.get("http_status") is not None else ev.get("tls_alert")
    return ev["result"] + (" %s" % extra if extra is not None else "")
