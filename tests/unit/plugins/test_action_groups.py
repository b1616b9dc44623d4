"""meta/runtime.yml's action group 'cloudflare' is exactly the modules that take the shared Cloudflare options.

module_defaults: {group/originpulls.aop.cloudflare: {...}} must reach every such module (a module missing from
the group silently ignores the defaults), and only those (the group's defaults are their options).
"""

from __future__ import annotations

import ast
import glob
import os

import yaml

from helpers.collection import ROOT

FRAGMENT = "originpulls.aop.cloudflare"
SHARED_CALLS = ("CloudflareModule", "cloudflare_argument_spec")  # the class builds its AnsibleModule from the latter


def module_sources():
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))):
        with open(path) as fh:
            yield os.path.splitext(os.path.basename(path))[0], ast.parse(fh.read())


def docstring(tree, name="DOCUMENTATION"):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError("no %s" % name)


def calls(tree):
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", None))
    return names


def group():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as fh:
        return yaml.safe_load(fh)["action_groups"]["cloudflare"]


def test_the_group_is_the_modules_that_extend_the_cloudflare_fragment():
    users = sorted(name for name, tree in module_sources() if FRAGMENT in (docstring(tree).get("extends_documentation_fragment") or []))
    assert users, "no module extends %s" % FRAGMENT
    assert sorted(group()) == users
    assert len(set(group())) == len(group()), "a module is listed twice"


def shared_option_builders():
    """The functions of module_utils that build the shared options, directly or through another such function."""
    functions = {}
    for path in glob.glob(os.path.join(ROOT, "plugins", "module_utils", "*.py")):
        with open(path) as fh:
            for node in ast.walk(ast.parse(fh.read())):
                if isinstance(node, ast.FunctionDef):
                    functions[node.name] = calls(node)
    builders = set(SHARED_CALLS)
    while True:
        more = {name for name, called in functions.items() if called & builders} - builders
        if not more:
            return builders
        builders |= more


def shared_option_builders_of_class(name):
    """What the methods of a module_utils class call."""
    for path in glob.glob(os.path.join(ROOT, "plugins", "module_utils", "*.py")):
        with open(path) as fh:
            for node in ast.walk(ast.parse(fh.read())):
                if isinstance(node, ast.ClassDef) and node.name == name:
                    return calls(node)
    raise AssertionError("no class %s in module_utils" % name)


def test_the_group_is_the_modules_that_build_the_shared_options():
    """The documentation and the code agree: a module that builds the shared options documents them, and back."""
    builders = shared_option_builders()
    assert shared_option_builders_of_class("CloudflareModule") & builders  # it builds them (through cloudflare_module_spec)
    assert "run_certificate_module" in builders  # the certificate modules build them through it
    assert sorted(group()) == sorted(name for name, tree in module_sources() if calls(tree) & builders)


def test_the_fragment_documents_the_action_group_attribute():
    path = os.path.join(ROOT, "plugins", "doc_fragments", "cloudflare.py")
    with open(path) as fh:
        tree = ast.parse(fh.read())
    fragment = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "ModuleDocFragment")
    doc = docstring(fragment)
    attribute = doc["attributes"]["action_group"]
    assert attribute["membership"] == [FRAGMENT]
    assert attribute["support"] == "full"
    assert "group/%s" % FRAGMENT in attribute["description"]
    # No module documents an action_group of its own that would contradict the fragment's.
    for name, tree in module_sources():
        assert "action_group" not in (docstring(tree).get("attributes") or {}), name
