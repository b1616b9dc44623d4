"""meta/runtime.yml: every old module name leads to a module that exists, with a deprecation."""

from __future__ import annotations

import os

import pytest
import yaml

from helpers.collection import ROOT

with open(os.path.join(ROOT, "meta", "runtime.yml")) as fh:
    ROUTING = yaml.safe_load(fh)["plugin_routing"]

# The old names of the modules that run on the web server (origin_ now prefixes only Cloudflare's resources).
OLD = {"origin_config": "webserver_config", "origin_status": "webserver_status", "origin_facts": "webserver_status"}  # old name: new name


def exists(kind, fqcn):
    namespace, collection, name = fqcn.split(".")
    assert (namespace, collection) == ("originpulls", "aop"), fqcn
    return os.path.isfile(os.path.join(ROOT, "plugins", kind, name + ".py"))


@pytest.mark.parametrize(("old", "new"), sorted(OLD.items()))
def test_an_old_module_name_redirects_to_the_new_one_deprecated(old, new):
    entry = ROUTING["modules"][old]
    assert entry["redirect"] == "originpulls.aop." + new
    assert entry["deprecation"]["removal_version"] == "2.0.0"
    assert "Use originpulls.aop.%s instead" % new in entry["deprecation"]["warning_text"]
    assert not exists("modules", "originpulls.aop." + old), "the old file is gone, only the redirect stays"


@pytest.mark.parametrize("kind", ["modules", "action"])
def test_every_redirect_reaches_a_plugin_that_exists_and_every_action_plugin_keeps_its_old_names(kind):
    for old, entry in ROUTING.get(kind, {}).items():
        assert exists(kind, entry["redirect"]), "%s %s -> %s" % (kind, old, entry["redirect"])
        assert entry["deprecation"]["removal_version"]
    for old, entry in ROUTING["modules"].items():
        if exists("action", entry["redirect"]):
            assert ROUTING["action"][old]["redirect"] == entry["redirect"], old


def test_origin_prefixes_only_cloudflare_resources():
    names = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules")) if f.endswith(".py"))
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as fh:
        cloudflare = set(yaml.safe_load(fh)["action_groups"]["cloudflare"])
    assert [n for n in names if n.startswith("origin_") and not n.startswith("origin_pull_") and n not in cloudflare] == []
    assert {"webserver_config", "webserver_status"} <= set(names)
