"""The rollout's safety decisions (no Docker, no API): precedence, what a switch changes, who blocks it."""

from __future__ import annotations

import pytest

from ansible_collections.originpulls.aop.plugins.module_utils import _rollout_guard as g

CF = "9A:1A:C2:B4:BE:15:F9:F2:7E:EE:20:A7:34:CB:A4:E9:89:8F:61:00:1B:3B:D7:C8:4B:69:B5:6A:3E:25:A2:B9"
OURS = "11" * 32
OLD = "22" * 32
HOSTS = ["web1", "web2", "web3"]


def fp(hexpairs):
    return ":".join(hexpairs[i : i + 2] for i in range(0, len(hexpairs), 2))


def view(tca="off", zone_enabled=False, zone_certs=(), bindings=(), ours=None, host_certs=()):
    v = {
        "tls_client_auth": {"value": tca},
        "zone_level": {"enabled": zone_enabled, "certificates": list(zone_certs)},
        "hostname_certificates": list(host_certs),
        "hostnames": list(bindings),
    }
    if ours is not None:
        v["ours"] = ours
    return v


def at(stage, *trusted):
    return {"stage": stage, "trusted_ca_sha256": list(trusted) if trusted else None}


def decide(v, level, target, observed, hosts=None, force=False, hostnames=None, ca_subjects=None, unreachable=None, served=()):
    before = g.view_state(v)
    after = before if target == "current" else g.after_change(before, level, target, hostnames or [])
    return g.judge(
        HOSTS if hosts is None else hosts,
        observed,
        before,
        after,
        ours_ca=[fp(OURS)],
        cloudflare_ca=[CF],
        force=force,
        unreachable=unreachable,
        hostnames=hostnames,
        level=level,
        ca_subjects=ca_subjects,
        current=target == "current",
        served=served,
    )


# ----------------------------------------------------------------------------- precedence
@pytest.mark.parametrize(
    "binding, zone, glob, expected",
    [
        ({"enabled": True, "status": "active"}, True, True, "per_hostname"),
        ({"enabled": False, "status": "active"}, True, True, "none"),  # disabled binding: no certificate even with zone-level on
        ({"enabled": True, "status": "pending_deployment"}, True, False, "zone_level"),  # pending binding: the next level applies
        (None, True, True, "zone_level"),
        (None, False, True, "global"),
        (None, False, False, "none"),
    ],
)
def test_effective_level_follows_cloudflare_precedence(binding, zone, glob, expected):
    bindings = {"www.example.com": binding} if binding is not None else {}
    assert g.effective_level("www.example.com", glob, zone, bindings) == expected


# ------------------------------------------------------------------------- switching off
def test_global_off_refused_while_an_origin_requires():
    out = decide(view(tca="on"), "global", "disabled", {"web1": at("optional", CF), "web2": at("require", CF), "web3": at("optional", CF)})
    assert out["changes"] and not out["allowed"]
    assert list(out["unsafe"]) == ["web2"] and "no client certificate" in out["unsafe"]["web2"]
    assert "Nothing was changed at Cloudflare" in out["message"] and "web2" in out["message"]


def test_global_off_allowed_when_every_host_relaxed():
    out = decide(view(tca="on"), "global", "disabled", {h: at("optional", CF) for h in HOSTS})
    assert out["allowed"] and not out["unsafe"] and not out["unknown"]


def test_unobserved_hosts_block_a_switch_and_are_named():
    out = decide(view(tca="on"), "global", "disabled", {"web1": at("optional", CF)}, unreachable={"web3": "ssh: connection reset"})
    assert not out["allowed"]
    assert out["unknown"] == {"web2": "not observed in this run", "web3": "ssh: connection reset"}
    assert "web3: unknown (ssh: connection reset)" in out["message"]


def test_force_lets_a_refused_switch_through_but_says_so():
    out = decide(view(tca="on"), "global", "disabled", {"web1": at("require", CF)}, force=True)
    assert out["allowed"] and out["forced"] and "rollout_force=true" in out["message"]


def test_no_change_in_presentation_needs_no_observation():
    # Global off while zone-level presents our certificate: the origins see no difference.
    zone = [{"id": "z1", "status": "active"}]
    out = decide(view(tca="on", zone_enabled=True, zone_certs=zone, ours={"zone_level": "z1"}), "global", "disabled", {})
    assert out["allowed"] and not out["changes"] and not out["unknown"]
    # Already off: nothing changes either.
    assert decide(view(tca="off"), "global", "disabled", {})["allowed"]


# -------------------------------------------------------------------------- switching on
def test_global_on_allowed_for_origins_below_require_and_for_those_trusting_cloudflare():
    out = decide(view(tca="off"), "global", "enabled", {"web1": at("off"), "web2": at("optional", CF), "web3": at("require", CF)})
    assert out["allowed"]


def test_zone_level_on_refused_for_an_origin_requiring_only_cloudflare_global():
    both = at("optional", CF, fp(OURS))
    out = decide(view(tca="on"), "zone", "enabled", {"web1": at("require", CF), "web2": both, "web3": both})
    assert not out["allowed"] and list(out["unsafe"]) == ["web1"] and "would present a certificate from" in out["unsafe"]["web1"]


# ------------------------------------------------ optional verifies what is presented
def test_optional_origins_not_trusting_the_presented_ca_block_a_switch():
    # Optional serves a pull without a certificate, but refuses one it cannot verify (nginx 400, handshake failure).
    out = decide(view(tca="on"), "zone", "enabled", {"web1": at("optional", CF), "web2": at("optional", CF, fp(OURS)), "web3": at("off")})
    assert not out["allowed"] and list(out["unsafe"]) == ["web1"]
    assert out["unsafe"]["web1"].startswith("at optional, trusting SHA-256 9A1AC2B4BE15F9F2…, and Cloudflare would present a certificate from SHA-256 1111")
    assert "refuses one it cannot verify" in out["unsafe"]["web1"]
    assert decide(view(tca="off"), "global", "enabled", {"web1": at("optional", fp(OURS))}, hosts=["web1"])["unsafe"] == {
        "web1": "at optional, trusting SHA-256 1111111111111111…, and Cloudflare would present a certificate from SHA-256 9A1AC2B4BE15F9F2…"
        " (optional verifies a presented certificate and refuses one it cannot verify)"
    }
    # Nothing presented after the switch: optional serves every pull, whatever it trusts.
    assert decide(view(tca="on"), "global", "disabled", {h: at("optional", fp(OURS)) for h in HOSTS})["allowed"]


def test_optional_is_judged_against_what_is_presented_now():
    # The rollout's check before a batch goes to optional, with global AOP already on.
    out = decide(view(tca="on"), "global", "current", {"web1": at("optional", fp(OURS))}, hosts=["web1"])
    assert not out["allowed"] and "refusing to let these origins verify client certificates at optional" in out["message"]
    assert decide(view(tca="on"), "global", "current", {"web1": at("optional", CF)}, hosts=["web1"])["allowed"]
    assert decide(view(tca="off"), "global", "current", {"web1": at("optional", fp(OURS))}, hosts=["web1"])["allowed"]
    unknown = [{"id": "other", "status": "active", "issuer": "CN=someone else"}]
    out = decide(view(zone_enabled=True, zone_certs=unknown), "zone", "current", {"web1": at("optional", CF)}, hosts=["web1"])
    assert not out["allowed"] and "whose CA the rollout does not know" in out["unsafe"]["web1"]


def test_require_without_a_recorded_trust_is_not_assumed_safe():
    out = decide(view(tca="on"), "global", "disabled", {h: at("optional") for h in HOSTS[:2]} | {"web3": {"stage": "require", "trusted_ca_sha256": None}})
    assert not out["allowed"] and "web3" in out["unsafe"]


def test_unknown_stage_blocks():
    out = decide(view(tca="on"), "global", "disabled", {h: at("optional") for h in HOSTS[:2]} | {"web3": at("unknown")})
    assert not out["allowed"] and "does not know" in out["unsafe"]["web3"]
    conflict = dict(at("unknown"), stage_conflict="the record says stage optional, the stage file x says require")
    out = decide(view(tca="on"), "global", "disabled", {h: at("optional") for h in HOSTS[:2]} | {"web3": conflict})
    assert not out["allowed"] and out["unsafe"]["web3"] == (
        "its AOP stage is unknown: the record says stage optional, the stage file x says require (run its origin role again to put it in a known stage)"
    )


# -------------------------------------------------------------------------- per-hostname
def test_unbinding_a_hostname_falls_back_to_the_zone_default():
    bindings = [{"hostname": "www.example.com", "associated": True, "enabled": True, "status": "active", "cert_id": "h1"}]
    v = view(tca="off", bindings=bindings, ours={"hostname": "h1"})
    required = {h: at("require", fp(OURS)) for h in HOSTS}
    out = decide(v, "hostname", "disabled", required, hostnames=["www.example.com"])
    assert not out["allowed"] and out["after"] == ["www.example.com: none"]
    relaxed = {h: at("optional", fp(OURS)) for h in HOSTS}
    assert decide(v, "hostname", "disabled", relaxed, hostnames=["www.example.com"])["allowed"]


def test_a_disabled_binding_presents_nothing_so_require_is_refused():
    bindings = [{"hostname": "www.example.com", "associated": True, "enabled": False, "status": "active", "cert_id": "h1"}]
    zone = [{"id": "z1", "status": "active"}]
    v = view(zone_enabled=True, zone_certs=zone, bindings=bindings, ours={"zone_level": "z1", "hostname": "h1"})
    out = decide(v, "hostname", "current", {"web1": at("require", fp(OURS))}, hosts=["web1"], hostnames=["www.example.com"])
    assert not out["allowed"] and out["after"] == ["www.example.com: none"]


# ------------------------------------------------------------------ require and rotation
def test_require_needs_our_certificate_presented_not_just_the_level():
    zone = [{"id": "old", "status": "active", "issuer": "CN=client CA gen1,O=example"}]
    v = view(zone_enabled=True, zone_certs=zone, ours={"zone_level": None})
    out = decide(v, "zone", "current", {"web1": at("require", fp(OURS))}, hosts=["web1"])
    assert not out["allowed"] and "does not know" in out["unsafe"]["web1"]
    zone.append({"id": "new", "status": "active", "issuer": "CN=client CA gen2,O=example"})
    v = view(zone_enabled=True, zone_certs=zone, ours={"zone_level": "new"})
    assert decide(v, "zone", "current", {"web1": at("require", fp(OURS))}, hosts=["web1"])["allowed"]


def test_previous_certificate_attributed_to_its_ca_by_issuer_in_any_notation():
    zone = [{"id": "old", "status": "active", "issuer": "CN=client CA gen1,O=example"}]
    v = view(zone_enabled=True, zone_certs=zone, ours={"zone_level": None})
    subjects = {fp(OLD): "O=example/CN=client CA gen1", fp(OURS): "CN=client CA gen2,O=example"}
    both = {"web1": at("require", fp(OLD), fp(OURS))}
    assert decide(v, "zone", "current", both, hosts=["web1"], ca_subjects=subjects)["allowed"]
    only_new = {"web1": at("require", fp(OURS))}
    assert not decide(v, "zone", "current", only_new, hosts=["web1"], ca_subjects=subjects)["allowed"]


def test_ca_generations_with_the_same_subject_cannot_be_told_apart():
    zone = [{"id": "old", "status": "active", "issuer": "CN=client CA"}]
    v = view(zone_enabled=True, zone_certs=zone, ours={"zone_level": None})
    subjects = {fp(OLD): "CN=client CA", fp(OURS): "CN=client CA"}
    out = decide(v, "zone", "current", {"web1": at("require", fp(OURS))}, hosts=["web1"], ca_subjects=subjects)
    assert not out["allowed"]


def test_retire_keeps_ours_presented_only_when_it_is_active():
    active = [{"id": "old", "status": "active"}, {"id": "new", "status": "active"}]
    v = view(zone_enabled=True, zone_certs=active, ours={"zone_level": "new"})
    required = {h: at("require", fp(OURS)) for h in HOSTS}
    assert decide(v, "zone", "retire", required)["allowed"]
    pending = [{"id": "old", "status": "active"}, {"id": "new", "status": "pending_deployment"}]
    v = view(zone_enabled=True, zone_certs=pending, ours={"zone_level": "new"})
    out = decide(v, "zone", "retire", required)
    assert not out["allowed"] and out["after"] == ["none"]


def test_zone_level_off_falls_back_to_global_when_it_is_on():
    zone = [{"id": "z1", "status": "active"}]
    v = view(tca="on", zone_enabled=True, zone_certs=zone, ours={"zone_level": "z1"})
    out = decide(v, "zone", "disabled", {h: at("require", fp(OURS)) for h in HOSTS})
    assert not out["allowed"] and out["after"] == ["global"]
    out = decide(v, "zone", "disabled", {h: at("require", fp(OURS), CF) for h in HOSTS})
    assert out["allowed"]


def test_zone_level_require_refused_for_a_served_hostname_whose_binding_is_disabled():
    # Zone-level AOP presents our certificate by default, but origin.test has a disabled per-hostname binding:
    # Cloudflare sends origin.test's pulls no certificate, so its origins must not require one.
    bindings = [{"hostname": "origin.test", "associated": True, "enabled": False, "status": "active", "cert_id": "h1"}]
    zone = [{"id": "z1", "status": "active"}]
    v = view(zone_enabled=True, zone_certs=zone, bindings=bindings, ours={"zone_level": "z1"})
    planned = {"web1": at("require", fp(OURS))}
    assert decide(v, "zone", "current", planned, hosts=["web1"])["allowed"]  # the default alone looks fine
    out = decide(v, "zone", "current", planned, hosts=["web1"], served=["origin.test"])
    assert not out["allowed"] and out["after"] == ["zone_level", "origin.test: none"]


def test_switching_global_off_matters_only_where_it_is_what_is_presented():
    # origin.test is bound to our per-hostname certificate: global off leaves it as it is, but the default changes.
    bindings = [{"hostname": "origin.test", "associated": True, "enabled": True, "status": "active", "cert_id": "h1"}]
    v = view(tca="on", bindings=bindings, ours={"hostname": "h1"})
    out = decide(v, "global", "disabled", {h: at("optional", CF, fp(OURS)) for h in HOSTS}, served=["origin.test"])
    assert out["allowed"] and out["before"] == ["global", "origin.test: per_hostname"] and out["after"] == ["none", "origin.test: per_hostname"]
    # Origins at optional that do not trust the certificate bound to origin.test refuse its pulls: not allowed.
    assert list(decide(v, "global", "disabled", {"web1": at("optional", CF)}, hosts=["web1"], served=["origin.test"])["unsafe"]) == ["web1"]


def test_an_optional_refusal_says_what_helps_at_optional():
    out = decide(view(tca="on"), "global", "current", {"web1": at("optional", fp(OURS))}, hosts=["web1"])
    assert "rollout_ca_content with both PEMs" in out["message"] and "Turn AOP on in Cloudflare first" not in out["message"]
    out = decide(view(tca="off"), "global", "enabled", {"web1": at("optional", fp(OURS))}, hosts=["web1"])
    assert "rollout_disable_stage=off" in out["message"] and "Relax those origins first" not in out["message"]
    # Where an origin at require is among them, the require advice stays.
    out = decide(view(tca="on"), "global", "disabled", {"web1": at("require", CF), "web2": at("optional", fp(OURS))}, hosts=["web1", "web2"])
    assert "Relax those origins first" in out["message"]
