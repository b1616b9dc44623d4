# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout's safety invariant, as pure decisions. PRIVATE to the collection.

Invariant: at every moment, for every origin at ``require``, the AOP level that applies to its
hostnames presents a certificate from a CA that origin trusts; for every origin at ``optional``, a certificate
that is presented comes from a CA it trusts (optional refuses a certificate it cannot verify).

``presented`` works out what Cloudflare presents (``_aop_precedence``: per-hostname > zone-level >
global, a disabled hostname binding gets nothing), ``after_change`` what it will present once a switch is made, and
``judge`` whether every origin of the rollout group stays served across that switch.
"""

from __future__ import annotations

import re

from ansible_collections.originpulls.aop.plugins.module_utils._aop_precedence import effective_level
from ansible_collections.originpulls.aop.plugins.module_utils._x509 import normalize_fingerprint

# What Cloudflare presents, for one scope: the level and which certificate ("ours" is the rollout's
# own certificate, "cloudflare" the shared global one, a certificate id otherwise).
NONE = ("none", None)
BELOW_REQUIRE = ("none", "off", "observe", "optional", "absent")


def view_state(view):
    """The switches of an origin_tls_client_auth_info result, in a form ``after_change`` can edit.

    Certificates are named by id, ``ours`` for the rollout's own certificate (found by content, the
    info module's ``ours``), ``cloudflare`` for the shared global one.
    """
    zone = view.get("zone_level") or {}
    ours = view.get("ours") or {}
    active = [c for c in zone.get("certificates") or [] if c.get("status") == "active"]
    active.sort(key=lambda c: c.get("uploaded_on") or "")

    def name(cert_id, mine):
        return "ours" if cert_id is not None and cert_id == mine else cert_id

    bindings = {}
    for b in view.get("hostnames") or []:
        if b.get("associated"):
            bindings[b["hostname"]] = {"enabled": b.get("enabled"), "status": b.get("status"), "cert": name(b.get("cert_id"), ours.get("hostname"))}
    issuers = {}
    for c in list(zone.get("certificates") or []) + list(view.get("hostname_certificates") or []):
        if c.get("id"):
            issuers[c["id"]] = c.get("issuer")
    return {
        "global_on": (view.get("tls_client_auth") or {}).get("value") == "on",
        "zone_enabled": bool(zone.get("enabled")) and bool(active),
        # The most recent active certificate is the one Cloudflare presents.
        "zone_cert": name(active[-1].get("id"), ours.get("zone_level")) if active else None,
        "zone_active": [name(c.get("id"), ours.get("zone_level")) for c in active],
        "bindings": bindings,
        "issuers": issuers,
    }


def presented(state, hostname):
    """(level, certificate) presented for ``hostname`` (None: the zone's default)."""
    level = effective_level(hostname, state["global_on"], state["zone_enabled"], state["bindings"])
    if level == "per_hostname":
        return level, state["bindings"][hostname].get("cert")
    if level == "zone_level":
        return level, state["zone_cert"]
    if level == "global":
        return level, "cloudflare"
    return NONE


def after_change(state, level, target, hostnames):
    """The switch state once the rollout's step is done.

    ``target``: ``enabled`` (our certificate presented at ``level``), ``disabled`` (that level off),
    ``retire`` (zone-level: every certificate but ours deleted).
    """
    new = dict(state, bindings={k: dict(v) for k, v in state["bindings"].items()})
    if level == "global":
        new["global_on"] = target == "enabled"
    elif level == "zone":
        if target == "enabled":
            # The upload waits until ours is active; the most recent active certificate is presented.
            new["zone_enabled"] = True
            new["zone_cert"] = "ours"
        elif target == "retire":
            # Every certificate but ours is deleted: ours is presented if it is active, else none is.
            mine = "ours" in state.get("zone_active", [])
            new["zone_active"] = ["ours"] if mine else []
            new["zone_cert"] = "ours" if mine else None
            new["zone_enabled"] = state["zone_enabled"] and mine
        else:
            new["zone_enabled"] = False
    elif level == "hostname":
        for name in hostnames:
            if target == "enabled":
                new["bindings"][name] = {"enabled": True, "status": "active", "cert": "ours"}
            else:
                new["bindings"].pop(name, None)
    else:
        raise ValueError("unknown level %r" % level)
    return new


def scope(level, hostnames, served=()):
    """The hostnames whose presentation matters.

    Per-hostname AOP: the named ones. Otherwise the zone's default (None) and each hostname the origins
    serve, since a per-hostname binding (a disabled one gets nothing) overrides the default for it.
    """
    if level == "hostname" and hostnames:
        return list(hostnames)
    return [None] + [h for h in served if h]


def dn_parts(dn):
    """A distinguished name as a set of attribute=value parts, whatever the notation (RFC 4514 or /-separated)."""
    if not dn:
        return frozenset()
    parts = re.split(r"(?<!\\)[,/]", dn)
    return frozenset(p.strip().replace(" = ", "=") for p in parts if p.strip())


def ca_of(presentation, ours_ca, cloudflare_ca, issuers=None, ca_subjects=None):
    """The CA fingerprints that issued what is presented: None for nothing, [] when it is not known.

    Another certificate than ours is attributed to a known CA (``ca_subjects``: fingerprint -> subject DN)
    only when its issuer names exactly one of them.
    """
    level, cert = presentation
    if level == "none":
        return None
    if cert == "cloudflare":
        return list(cloudflare_ca)
    if cert == "ours":
        return list(ours_ca)
    issuer = dn_parts((issuers or {}).get(cert))
    matches = [fp for fp, subject in (ca_subjects or {}).items() if issuer and dn_parts(subject) == issuer]
    return [normalize_fingerprint(matches[0])] if len(matches) == 1 else []


def judge(
    hosts,
    observed,
    before,
    after,
    ours_ca,
    cloudflare_ca,
    force=False,
    unreachable=None,
    hostnames=None,
    level="global",
    ca_subjects=None,
    current=False,
    served=(),
):
    """Decide whether Cloudflare may switch from ``before`` to ``after`` (two switch states).

    ``hosts``: every host of the rollout group (the inventory group, whatever the Limit).
    ``current``: judge what is presented now (``after``) even when nothing changes - the check before
    origins go to ``optional`` or ``require``, or change the CAs they trust.
    ``observed``: host -> {"stage": str, "trusted_ca_sha256": [fingerprints] or None}, only for hosts
    observed in this run. ``unreachable``: host -> why it could not be observed.
    Returns a dict: ``changes`` (whether what is presented changes at all), ``allowed``, ``unsafe``
    (host -> reason), ``unknown`` (host -> reason), ``message``.
    """
    unreachable = unreachable or {}
    names = scope(level, hostnames or [], served)
    pairs = [(presented(before, n), presented(after, n)) for n in names]
    result = {
        "changes": any(b != a for b, a in pairs),
        "before": [label(n, pair[0][0]) for n, pair in zip(names, pairs)],
        "after": [label(n, pair[1][0]) for n, pair in zip(names, pairs)],
        "unsafe": {},
        "unknown": {},
        "forced": False,
    }
    if not result["changes"] and not current:
        result.update(allowed=True, message="what Cloudflare presents does not change: no origin is affected")
        return result
    ours = [normalize_fingerprint(f) for f in ours_ca]
    cf = [normalize_fingerprint(f) for f in cloudflare_ca]
    cas = [ca_of(pair[1], ours, cf, after.get("issuers"), ca_subjects) for pair in pairs]
    for host in hosts:
        obs = observed.get(host)
        if obs is None:
            result["unknown"][host] = unreachable.get(host) or "not observed in this run"
            continue
        stage = obs.get("stage")
        # Below require a pull without a certificate is served; but at optional the server still verifies a
        # certificate that is presented, and refuses one it cannot (nginx 400, the others fail the handshake).
        if stage in BELOW_REQUIRE and not (stage == "optional" and any(ca is not None for ca in cas)):
            continue
        if stage not in ("require", "optional"):
            if obs.get("stage_conflict"):
                why = "its AOP stage is unknown: %s (run its origin role again to put it in a known stage)" % obs["stage_conflict"]
            else:
                why = "its AOP stage is %r, which the collection does not know" % stage
            result["unsafe"][host] = why
            continue
        trusted = obs.get("trusted_ca_sha256")
        # What an optional origin does with a certificate it cannot verify: it refuses it.
        refuses = " (optional verifies a presented certificate and refuses one it cannot verify)" if stage == "optional" else ""
        for ca in cas:
            if ca is None:
                if stage == "optional":
                    continue
                result["unsafe"][host] = "at require, and Cloudflare would present no client certificate"
            elif not ca:
                result["unsafe"][host] = "at %s, and Cloudflare would present a certificate whose CA the rollout does not know%s" % (stage, refuses)
            elif trusted is None:
                result["unsafe"][host] = "at %s, and which CAs it trusts is not recorded (run its origin role once)" % stage
            elif not set(ca) & {normalize_fingerprint(t) for t in trusted}:
                result["unsafe"][host] = "at %s, trusting %s, and Cloudflare would present a certificate from %s%s" % (
                    stage,
                    ", ".join(_short(t) for t in trusted) or "no CA",
                    ", ".join(_short(c) for c in ca),
                    refuses,
                )
            if host in result["unsafe"]:
                break
    blocked = bool(result["unsafe"] or result["unknown"])
    result["forced"] = blocked and bool(force)
    result["allowed"] = not blocked or bool(force)
    stages = {(observed.get(h) or {}).get("stage") for h in result["unsafe"]}
    result["message"] = message(result, level, current, "optional" if stages == {"optional"} else "require")
    return result


def label(hostname, level):
    return level if hostname is None else "%s: %s" % (hostname, level)


def _short(fp):
    return "SHA-256 %s…" % fp.replace(":", "")[:16]


def message(result, level, current=False, stage="require"):
    now = "%s -> %s" % (", ".join(result["before"]), ", ".join(result["after"]))
    if not (result["unsafe"] or result["unknown"]):
        if current:
            return "Cloudflare presents a certificate these origins trust (%s)" % ", ".join(result["after"])
        return "every origin of the rollout group stays served across the switch (%s)" % now
    if current:
        lines = [
            "refusing to let these origins %s: Cloudflare presents %s AOP (%s), not from a CA they would trust."
            % (
                "require a client certificate" if stage == "require" else "verify client certificates at optional",
                level,
                ", ".join(result["after"]),
            )
        ]
    else:
        lines = ["refusing to switch %s AOP at Cloudflare (%s): origins of the rollout group would reject pulls or could not be checked." % (level, now)]
    for host, why in sorted(result["unsafe"].items()):
        lines.append("  %s: %s" % (host, why))
    for host, why in sorted(result["unknown"].items()):
        lines.append("  %s: unknown (%s)" % (host, why))
    if result["forced"]:
        lines.append("rollout_force=true: going ahead anyway.")
    elif current and stage == "optional":
        lines.append(
            "Nothing was changed on these origins. At optional they would still verify the certificate Cloudflare presents now "
            "and refuse it. Give them a CA bundle that holds both that CA and yours (rollout_ca_content with both PEMs) until "
            "Cloudflare presents yours, or set rollout_force=true."
        )
    elif current:
        lines.append(
            "Nothing was changed on these origins. Turn AOP on in Cloudflare first with the certificate they will trust "
            "(enable_aop and rotate_aop_certificate.yml do it in order), or set rollout_force=true."
        )
    elif stage == "optional":
        lines.append(
            "Nothing was changed at Cloudflare. Origins at optional still verify the certificate that is presented and refuse "
            "one they cannot verify: give them a CA bundle that holds both CAs first (rollout_ca_content), take them to stage "
            "off (disable_aop with rollout_disable_stage=off), make unreachable hosts reachable, or set rollout_force=true if "
            "you accept the outage."
        )
    else:
        lines.append(
            "Nothing was changed at Cloudflare. Relax those origins first (disable_aop does it in order: every host of the group, "
            "without a Limit that leaves some out), make unreachable hosts reachable, or set rollout_force=true if you accept the outage."
        )
    return "\n".join(lines)
