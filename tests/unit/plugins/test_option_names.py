"""One concept, one option name: across the collection's modules a name never means two things.

The documented options of every module (its own and those of the collection's doc fragments) are read;
an old spelling may survive only as an alias of the one name.
"""

from __future__ import annotations

import glob
import importlib
import os

import pytest
import yaml

from helpers.collection import ROOT

PACKAGE = "ansible_collections.originpulls.aop.plugins."

# The one name of each concept, and the old spellings that stay as aliases of it.
ONE_NAME = {
    "cert_id": {"id"},  # a certificate's id on Cloudflare
    "certificate_path": {"client_cert"},  # the client certificate, PEM file
    "private_key_path": {"client_key"},  # its private key, PEM file
    "api_ca_path": {"ca_path"},  # the CA bundle that verifies the Cloudflare API (not the origin-pull CA)
}


def fragment_options(ref):
    """Options of a doc fragment reference such as ``originpulls.aop.cloudflare`` or ``..._attributes.info_module``."""
    if not ref.startswith("originpulls.aop."):
        return {}
    parts = ref[len("originpulls.aop.") :].split(".", 1)
    name, variant = parts[0], parts[1] if len(parts) > 1 else ""
    fragment = importlib.import_module(PACKAGE + "doc_fragments." + name).ModuleDocFragment
    doc = yaml.safe_load(getattr(fragment, variant.upper() if variant else "DOCUMENTATION")) or {}
    return doc.get("options") or {}


def documented_options(kind, name):
    doc = yaml.safe_load(importlib.import_module(PACKAGE + kind + "." + name).DOCUMENTATION)
    options = {}
    for ref in doc.get("extends_documentation_fragment") or []:
        options.update(fragment_options(ref))
    options.update(doc.get("options") or {})
    return options


def plugins():
    found = []
    for kind in ("modules", "inventory"):
        for path in sorted(glob.glob(os.path.join(ROOT, "plugins", kind, "*.py"))):
            name = os.path.basename(path)[:-3]
            if not name.startswith("_"):
                found.append((kind, name))
    return found


OPTIONS = {"%s/%s" % p: documented_options(*p) for p in plugins()}


def test_the_modules_are_read():
    assert "modules/tls_probe" in OPTIONS and "modules/origin_tls_client_auth" in OPTIONS
    assert "cert_id" in OPTIONS["modules/origin_tls_client_auth"]
    assert "certificate_path" in OPTIONS["modules/tls_probe"]


@pytest.mark.parametrize("plugin", sorted(OPTIONS))
def test_an_old_spelling_is_only_an_alias_of_the_one_name(plugin):
    options = OPTIONS[plugin]
    for one, old in ONE_NAME.items():
        assert not old & set(options), "%s: %s is spelt %s" % (plugin, sorted(old & set(options)), one)
        for name, spec in options.items():
            stray = old & set(spec.get("aliases") or [])
            assert not stray or name == one, "%s: %s is an alias of %s, not of %s" % (plugin, sorted(stray), name, one)


# The on/off switches of what Cloudflare presents: the same option, state: enabled/disabled, in every module.
SWITCHES = ("modules/tls_client_auth", "modules/origin_tls_client_auth_settings", "modules/origin_tls_client_auth_hostname")


@pytest.mark.parametrize("plugin", SWITCHES)
def test_every_aop_switch_is_spelt_state_enabled_disabled(plugin):
    assert {"enabled", "disabled"} <= set(OPTIONS[plugin]["state"]["choices"])


def test_no_name_is_an_option_in_one_module_and_an_alias_of_another_in_the_next():
    primary = {name for options in OPTIONS.values() for name in options}
    alias_of = {}
    for options in OPTIONS.values():
        for name, spec in options.items():
            for alias in spec.get("aliases") or []:
                alias_of.setdefault(alias, set()).add(name)
    assert not primary & set(alias_of), sorted(primary & set(alias_of))
    assert {a: n for a, n in alias_of.items() if len(n) > 1} == {}
