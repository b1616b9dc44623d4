"""The HTML docs site built the standard way (scripts/docs.sh: antsibull-docs sphinx-init + sphinx-build).

The docs phase of scripts/test.sh builds the site and points AOP_DOCS_HTML at it; run alone, this module
builds it into a temporary directory first (about a minute). A role or plugin whose documentation does not
validate is rendered by antsibull-docs as an error page ("was malformed", "errors parsing"), so every page
is read, not only checked to exist.
"""

from __future__ import annotations

import glob
import html.parser
import os
import re
import subprocess

import pytest
import yaml

from helpers.collection import ROOT, collections_root

ERROR_PAGE_MARKERS = ("was malformed", "There were some errors parsing the documentation")


class _Page(html.parser.HTMLParser):
    """Element ids, link targets and the visible text of one HTML page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.add(attrs["href"].split("#")[0])

    def handle_data(self, data):
        self.text.append(data)


def _read(site, name):
    path = os.path.join(site, name)
    assert os.path.isfile(path), f"{name} is missing from the docs site {site}"
    page = _Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    # Sphinx turns straight quotes into typographic ones.
    text = "".join(page.text).replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    page.joined = " ".join(text.split())
    return page


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    built = os.environ.get("AOP_DOCS_HTML")
    if built:
        return built
    dest = tmp_path_factory.mktemp("docs") / "site"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_root())
    proc = subprocess.run(["bash", os.path.join(ROOT, "scripts", "docs.sh"), str(dest)], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return str(dest / "build" / "html")


def _roles():
    return sorted(os.path.basename(os.path.dirname(os.path.dirname(p))) for p in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")))


def _entry_points(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)["argument_specs"]


def test_rollout_role_page_has_every_entry_point(site):
    page = _read(site, "rollout_role.html")
    for marker in ERROR_PAGE_MARKERS:
        assert marker not in page.joined, f"rollout_role.html is an error page: {marker!r}"
    specs = _entry_points("rollout")
    assert len(specs) >= 9
    for name, spec in specs.items():
        anchor = "entry-point-" + name.replace("_", "-") + "-"
        assert any(i.startswith(anchor) for i in page.ids), f"entry point {name} has no section on rollout_role.html"
        # The description and the example are rendered, not only the heading.
        first = " ".join(re.sub(r"\b[A-Z]\(([^)]*)\)", r"\1", spec["description"][0]).split()[:6])
        assert first in page.joined, f"entry point {name}: description {first!r} not on the page"
        assert f"tasks_from: {name}" in page.joined or name == "main", f"entry point {name}: example not on the page"
    # Options of an entry point are on the page.
    for option in specs["gate"]["options"]:
        assert option in page.joined


@pytest.mark.parametrize("role", _roles())
def test_every_role_page_renders(site, role):
    page = _read(site, f"{role}_role.html")
    for marker in ERROR_PAGE_MARKERS:
        assert marker not in page.joined, f"{role}_role.html is an error page"
    for name, spec in _entry_points(role).items():
        assert spec["short_description"].split(":")[0] in page.joined, f"{role}: entry point {name} not rendered"


def test_every_module_and_the_inventory_plugin_have_a_page(site):
    index = _read(site, "index.html")
    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")) if not os.path.basename(p).startswith("_"))
    assert modules
    pages = [f"{m}_module.html" for m in modules] + ["cloudflare_inventory.html"]
    for name in pages:
        page = _read(site, name)
        for marker in ERROR_PAGE_MARKERS:
            assert marker not in page.joined, f"{name} is an error page"
        assert name in index.links, f"the index does not link {name}"


def test_the_rollout_guide_is_a_page_of_the_site(site):
    guide = _read(site, os.path.join("docsite", "guide_rollout.html"))
    assert "Rolling out Authenticated Origin Pulls" in guide.joined
    assert "rollout_batch_size" in guide.joined and "rollout_disable_stage" in guide.joined
    index = _read(site, "index.html")
    assert "docsite/guide_rollout.html" in index.links, "the index does not link the rollout guide"


def test_the_audit_guide_and_role_are_pages_of_the_site(site):
    guide = _read(site, os.path.join("docsite", "guide_audit.html"))
    assert "Auditing exposure" in guide.joined and "audit_expiry_warning_days" in guide.joined
    index = _read(site, "index.html")
    assert "docsite/guide_audit.html" in index.links, "the index does not link the audit guide"
    role = _read(site, "audit_role.html")
    for marker in ERROR_PAGE_MARKERS:
        assert marker not in role.joined, "audit_role.html is an error page"
    assert "audit_probe_targets" in role.joined and "audit_report_dir" in role.joined
