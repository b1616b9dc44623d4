# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exposure audit: from what the audit read to the findings ``_audit_report.build_report`` judges.

Pure functions, no I/O, nothing from Ansible. PRIVATE to the collection. The audit playbook calls them twice
through the module ``audit_findings``: first to plan (which proxied hostnames each zone has, which direct
requests to send where), then, with Cloudflare's answers and the probes' results, to assemble the findings.

Inputs (all plain data the playbook already has):

- ``dns``: origin address -> ``{zone: [hostname, ...]}`` - the proxied records, as the inventory plugin
  ``originpulls.aop.cloudflare`` puts them in ``cloudflare_hostnames``. Empty when the operator's inventory
  is the only source: then each origin's served names (its vhosts) are its hostnames, in the zone they end with.
- ``origins``: the operator's inventory origins: ``{"host", "address", "served_names", "probe_host",
  "probe_port", "facts"}``; ``facts`` is what ``webserver_status`` returned (``None`` when not observed, with
  ``error`` saying why).
- ``zones``: ``{"name", "info"}`` with ``info`` the result of ``origin_tls_client_auth_info`` for the zone.
- ``cas``: the CAs the audit knows, as ``origin_pull_ca`` describes them, each with ``level`` (``global``:
  what Cloudflare's shared certificate is issued by; ``own``: your CA for zone-level/per-hostname AOP).
- ``probes``: one per target and kind, as ``tls_probe`` returned it plus the target's ``hostname``, ``origin``
  and ``kind`` (``no_certificate`` or ``wrong_ca``).
"""

from __future__ import annotations

import re

KINDS = ("no_certificate", "wrong_ca")
LEVELS = {"per_hostname": "hostname", "zone_level": "zone", "global": "global", "none": "none"}
ALERT_RE = re.compile(r"alert ([a-z][a-z ]*[a-z])", re.I)


def norm(address):
    return str(address).strip().lower().rstrip(".")


def zone_of(hostname, zone_names):
    """The longest zone name the hostname is in (or None)."""
    hostname = norm(hostname)
    best = None
    for given in zone_names:
        z = norm(given)
        if (hostname == z or hostname.endswith("." + z)) and (best is None or len(z) > len(best)):
            best = z
    return best


def dns_view(dns, origins, zone_names):
    """zone -> hostname -> sorted origin addresses (from DNS, or from the inventory when DNS gave nothing)."""
    view = {norm(z): {} for z in zone_names}
    if dns:
        for address, data in dns.items():
            for given, names in (data or {}).items():
                zone = norm(given)
                if zone_names and zone not in view:
                    continue
                for name in names:
                    view.setdefault(zone, {}).setdefault(norm(name), set()).add(norm(address))
    else:
        for o in origins:
            for name in o.get("served_names") or []:
                zone = zone_of(name, view)
                if zone:
                    view[zone].setdefault(norm(name), set()).add(norm(o["address"]))
    return {z: {h: sorted(a) for h, a in sorted(hosts.items())} for z, hosts in sorted(view.items())}


def _by_address(origins):
    return {norm(o["address"]): o for o in origins}


def plan(dns, origins, zone_names, probe_targets=None):
    """What to read and what to probe: ``{"zone_hostnames": {zone: [...]}, "targets": [...]}``.

    Each target is one direct request: hostname (the SNI and Host header), origin address, the host and port to
    connect to (the inventory's probe address for an origin it has, ``probe_targets`` for others, else the address
    itself on 443), and the kind of request.
    """
    probe_targets = {norm(k): v for k, v in (probe_targets or {}).items()}
    view = dns_view(dns, origins, zone_names)
    inv = _by_address(origins)
    targets = []
    for zone, hosts in view.items():
        for hostname, addresses in hosts.items():
            for address in addresses:
                o = inv.get(address) or {}
                override = probe_targets.get(address) or {}
                connect = override.get("host") or o.get("probe_host") or address
                port = int(override.get("port") or o.get("probe_port") or 443)
                for kind in KINDS:
                    targets.append({"zone": zone, "hostname": hostname, "origin": address, "connect": connect, "port": port, "kind": kind})
    return {"zone_hostnames": {z: sorted(h) for z, h in view.items()}, "targets": targets}


def evidence(probe):
    """A tls_probe result -> the report's evidence (served / refused / unreachable)."""
    if probe is None:
        return None
    if probe.get("failed") and "outcome" not in probe:
        return {"result": "unreachable", "http_status": None, "tls_alert": None, "detail": str(probe.get("msg") or "the probe failed")}
    outcome = str(probe.get("outcome"))
    detail = probe.get("detail") or None
    if outcome == "unreachable":
        return {"result": "unreachable", "http_status": None, "tls_alert": None, "detail": detail}
    if outcome == "tls_rejected":
        m = ALERT_RE.search(detail or "")
        return {"result": "refused", "http_status": None, "tls_alert": m.group(1).lower() if m else None, "detail": detail}
    status = int(outcome) if outcome.isdigit() else None
    return {"result": "refused" if probe.get("refused") else "served", "http_status": status, "tls_alert": None, "detail": detail}


def _ca_entry(ca):
    return {
        "subject": ca.get("subject"),
        "sha256": ca.get("sha256_fingerprint"),
        "expires_on": ca.get("not_after"),
        "days_to_expiry": ca.get("days_remaining"),
    }


def _fp(value):
    return str(value).replace(":", "").upper()


def _certificates(name, info, cas, hostnames):
    certs = []
    global_on = ((info.get("tls_client_auth") or {}).get("value")) == "on"
    for ca in cas:
        if ca.get("level") == "global":
            certs.append(
                {
                    "name": "global AOP (tls_client_auth %s): Cloudflare's certificate, issued by %s" % ("on" if global_on else "off", ca.get("subject")),
                    "level": "global",
                    "hostnames": [],
                    "status": "on" if global_on else "off",
                    "expires_on": ca.get("not_after"),
                    "days_to_expiry": ca.get("days_remaining"),
                }
            )
    zl = info.get("zone_level") or {}
    for c in zl.get("certificates") or []:
        certs.append(
            {
                "name": "zone-level %s (issuer %s)%s" % (c.get("id"), c.get("issuer"), "" if zl.get("enabled") else ", zone-level AOP disabled"),
                "level": "zone",
                "hostnames": [],
                "status": c.get("status"),
                "expires_on": c.get("expires_on"),
                "days_to_expiry": c.get("days_remaining"),
            }
        )
    bindings = info.get("hostnames") or []
    for c in info.get("hostname_certificates") or []:
        bound = sorted(b["hostname"] for b in bindings if b.get("cert_id") == c.get("id") and b.get("enabled") and b["hostname"] in hostnames)
        disabled = sorted(b["hostname"] for b in bindings if b.get("cert_id") == c.get("id") and not b.get("enabled") and b.get("associated", True))
        certs.append(
            {
                "name": "per-hostname %s (issuer %s)%s" % (c.get("id"), c.get("issuer"), "; binding disabled: " + ", ".join(disabled) if disabled else ""),
                "level": "hostname",
                "hostnames": bound,
                "status": c.get("status"),
                "expires_on": c.get("expires_on"),
                "days_to_expiry": c.get("days_remaining"),
            }
        )
    return certs


def assemble(dns, origins, zones, cas, probes, probe_targets=None):
    """The findings (the data model of ``_audit_report``)."""
    names = [z["name"] for z in zones]
    view = dns_view(dns, origins, names)
    info_by_zone = {norm(z["name"]): z.get("info") or {} for z in zones}
    inv = _by_address(origins)
    by_key = {}
    for p in probes or []:
        by_key.setdefault((norm(p["hostname"]), norm(p["origin"])), {})[p["kind"]] = evidence(p)
    known = [dict(_ca_entry(ca), level=ca.get("level")) for ca in cas]
    global_fps = {_fp(c["sha256"]) for c in known if c["level"] == "global" and c["sha256"]}
    own_fps = {_fp(c["sha256"]) for c in known if c["level"] == "own" and c["sha256"]}

    f_zones = []
    levels = {}  # address -> [(hostname, level)]
    for zone, hosts in view.items():
        info = info_by_zone.get(zone, {})
        effective = info.get("effective") or {}
        default = effective.get("default", "none")
        hmap = {}
        for hostname, addresses in hosts.items():
            level = LEVELS.get((effective.get("hostnames") or {}).get(hostname, default), "none")
            hmap[hostname] = {"level": level, "origins": addresses}
            for a in addresses:
                levels.setdefault(a, []).append((hostname, level))
        f_zones.append(
            {
                "name": zone,
                "id": info.get("zone_id"),
                "ssl_mode": (info.get("ssl_mode") or {}).get("value"),
                "hostnames": hmap,
                "certificates": _certificates(zone, info, cas, hmap),
            }
        )

    f_origins = []
    addresses = sorted(set(levels) | set(inv))
    for address in addresses:
        o = inv.get(address)
        if o is None:
            f_origins.append({"address": address, "host": None, "server": None, "stage": None, "trusted_ca": None, "drift": None, "in_inventory": False})
            continue
        facts = o.get("facts") or None
        problems = []
        if not facts or facts.get("failed") or facts.get("unreachable"):
            why = (facts or {}).get("msg") or o.get("error") or "webserver_status did not run"
            problems.append("not observed (unreachable, or webserver_status failed): %s" % why)
            f_origins.append(
                {
                    "address": address,
                    "host": o.get("host"),
                    "server": None,
                    "stage": None,
                    "trusted_ca": None,
                    "drift": None,
                    "in_inventory": True,
                    "problems": problems,
                }
            )
            continue
        stage = facts.get("stage")
        trusted = [_fp(s) for s in facts.get("trusted_ca_sha256") or []]
        trusted_ca = None
        for c in known:
            if c["sha256"] and _fp(c["sha256"]) in trusted:
                trusted_ca = {k: c[k] for k in ("subject", "sha256", "expires_on", "days_to_expiry")}
                break
        if trusted_ca is None and trusted:
            trusted_ca = {"subject": "a CA the audit was not given", "sha256": facts["trusted_ca_sha256"][0], "expires_on": None, "days_to_expiry": None}
        # What its own hostnames' probes say about its managed lines.
        drift = []
        for hostname, _level in levels.get(address, []):
            ev = by_key.get((hostname, address), {})
            no_cert, wrong = ev.get("no_certificate") or {}, ev.get("wrong_ca") or {}
            if stage == "require" and no_cert.get("result") == "served":
                drift.append("stage file says require, but %s was served without a client certificate" % hostname)
            if stage in ("optional", "require") and wrong.get("result") == "served":
                drift.append("stage file says %s, but %s was served with a wrong-CA certificate" % (stage, hostname))
        # Would Cloudflare's pulls be refused? (the origin does not trust what its hostnames' level presents)
        pulls_refused = {}
        if stage in ("optional", "require") and trusted:
            needs = (
                ("global", global_fps, "Cloudflare's global certificate"),
                ("zone", own_fps, "your zone-level certificate"),
                ("hostname", own_fps, "your per-hostname certificate"),
            )
            for level, need, what in needs:
                hit = sorted(h for h, lv in levels.get(address, []) if lv == level)
                if hit and need and not (need & set(trusted)):
                    trusts = trusted_ca["subject"] if trusted_ca else "another CA"
                    problems.append(
                        "at %s it trusts %s, not the CA of %s presented for %s: Cloudflare's pulls are refused" % (stage, trusts, what, ", ".join(hit))
                    )
                    for h in hit:
                        pulls_refused[h] = "at %s it trusts %s, not the CA of %s presented for this hostname" % (stage, trusts, what)
        entry = {
            "address": address,
            "host": o.get("host"),
            "server": facts.get("server"),
            "stage": stage,
            "trusted_ca": trusted_ca,
            "drift": bool(drift),
            "in_inventory": True,
        }
        if drift:
            entry["drift_evidence"] = drift
        if problems:
            entry["problems"] = problems
        if pulls_refused:
            entry["pulls_refused"] = pulls_refused
        f_origins.append(entry)

    f_probes = []
    for (hostname, address), ev in sorted(by_key.items()):
        f_probes.append(dict({"hostname": hostname, "origin": address}, **{k: ev.get(k) for k in KINDS}))
    return {"zones": f_zones, "origins": f_origins, "probes": f_probes}
