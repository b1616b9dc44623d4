"""Cloudflare's AOP precedence for one hostname: per-hostname > zone-level > global > none."""

from __future__ import annotations

import pytest

from ansible_collections.originpulls.aop.plugins.module_utils._aop_precedence import LEVELS, effective_level

ON = {"enabled": True, "status": "active", "cert_id": "c1"}
OFF = {"enabled": False, "status": "active", "cert_id": "c1"}


@pytest.mark.parametrize(
    ("global_on", "zone_level", "binding", "expected"),
    [
        # no binding: zone-level > global > none
        (False, False, None, "none"),
        (True, False, None, "global"),
        (False, True, None, "zone_level"),
        (True, True, None, "zone_level"),
        # an enabled binding wins over everything
        (False, False, ON, "per_hostname"),
        (True, False, ON, "per_hostname"),
        (True, True, ON, "per_hostname"),
        # a DISABLED binding: no client certificate, even with zone-level (and global) on
        (False, False, OFF, "none"),
        (False, True, OFF, "none"),
        (True, False, OFF, "none"),
        (True, True, OFF, "none"),
    ],
)
def test_precedence(global_on, zone_level, binding, expected):
    bindings = {"app.example.com": binding} if binding else {}
    assert effective_level("app.example.com", global_on, zone_level, bindings) == expected


def test_binding_of_another_hostname_does_not_apply():
    bindings = {"app.example.com": ON, "old.example.com": OFF}
    assert effective_level("www.example.com", True, False, bindings) == "global"
    assert effective_level("www.example.com", False, True, bindings) == "zone_level"


def test_invalidated_association_is_no_binding():
    # PUT .../hostnames with enabled: null voids the association
    assert effective_level("app.example.com", True, False, {"app.example.com": {"enabled": None}}) == "global"


def test_enabled_binding_whose_certificate_is_not_active_yet_falls_through():
    pending = {"enabled": True, "status": "pending_deployment"}
    assert effective_level("app.example.com", True, True, {"app.example.com": pending}) == "zone_level"
    assert effective_level("app.example.com", False, False, {"app.example.com": pending}) == "none"
    # without a status the caller vouches for the binding
    assert effective_level("app.example.com", False, False, {"app.example.com": {"enabled": True}}) == "per_hostname"


def test_hostnames_compare_case_insensitively_without_trailing_dot():
    assert effective_level("App.Example.com.", False, False, {"app.example.com": ON}) == "per_hostname"
    assert effective_level("app.example.com", True, True, {"APP.example.com.": OFF}) == "none"


def test_bindings_may_be_empty_or_none():
    assert effective_level("a.example.com", False, False, None) == "none"
    assert effective_level("a.example.com", True, False, {}) == "global"


def test_levels_are_the_four_names():
    assert LEVELS == ("per_hostname", "zone_level", "global", "none")
