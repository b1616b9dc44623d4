"""The audit's HTML report as a person sees it: rendered by headless Chromium, judged from the screenshot's pixels.

Each cell state has its own solid background colour (``_audit_report_render.COLOURS``) and every matrix cell a
fixed size, so each state must show up as exactly as many cell-sized regions of its colour as the report has
cells in that state (the legend's colour chips are far smaller than a cell and do not count).

Chromium is installed by ``scripts/ensure-chromium.sh`` (Debian's package); without it this test fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections import Counter

import pytest
from PIL import Image

from ansible_collections.originpulls.aop.plugins.module_utils._audit_report import STATES, build_report
from ansible_collections.originpulls.aop.plugins.module_utils._audit_report_render import CELL_HEIGHT, CELL_WIDTH, COLOURS, to_html
from helpers import audit_findings as af
from helpers.collection import ROOT

WIDTH, HEIGHT = 1200, 900
TOLERANCE = 6  # per channel: the colours are solid fills, rendered exactly in sRGB
MIN_AREA = CELL_WIDTH * CELL_HEIGHT // 2  # a cell minus its text; the legend chips are 12 x 12


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("chromium is not installed: run 'bash scripts/ensure-chromium.sh' (installs Debian's chromium package)")


def screenshot(html_path, png_path):
    profile = tempfile.mkdtemp(prefix="aop-chromium-")
    try:
        cmd = [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--force-color-profile=srgb",
            "--user-data-dir=" + profile,
            "--screenshot=" + png_path,
            "--window-size=%d,%d" % (WIDTH, HEIGHT),
            "file://" + html_path,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert os.path.exists(png_path), "chromium wrote no screenshot (rc=%s):\n%s" % (proc.returncode, proc.stderr[-3000:])


def hex_rgb(colour):
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def regions(png_path):
    """Per state, the areas (in pixels) of the connected regions of its colour."""
    img = Image.open(png_path).convert("RGB")
    assert img.size == (WIDTH, HEIGHT)
    w, h = img.size
    data = img.load()
    targets = {state: hex_rgb(COLOURS[state]) for state in STATES}
    found = {}
    for state, rgb in targets.items():
        mask = set()
        for y in range(h):
            for x in range(w):
                p = data[x, y]
                if abs(p[0] - rgb[0]) <= TOLERANCE and abs(p[1] - rgb[1]) <= TOLERANCE and abs(p[2] - rgb[2]) <= TOLERANCE:
                    mask.add((x, y))
        areas = []
        while mask:
            stack = [mask.pop()]
            area = 0
            while stack:
                x, y = stack.pop()
                area += 1
                for n in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                    if n in mask:
                        mask.remove(n)
                        stack.append(n)
            areas.append(area)
        found[state] = sorted(areas, reverse=True)
    return found


def render(findings, tmp_path, name, edit=None):
    """Screenshot of the report's HTML; ``edit`` (a function of the HTML text) changes the page before it is shown."""
    report = build_report(findings)
    html = tmp_path / (name + ".html")
    text = to_html(report).decode("utf-8")
    html.write_text(edit(text) if edit else text, encoding="utf-8")
    png = str(tmp_path / (name + ".png"))
    screenshot(str(html), png)
    return report, png


def mismatches(found, expected):
    """What the screenshot shows against what the report says: per state, cell-sized regions of its colour."""
    wrong = []
    for state in STATES:
        cells = [a for a in found[state] if a >= MIN_AREA]
        if len(cells) != expected[state]:
            wrong.append("%s: %d cell-sized regions of %s, expected %d (areas %s)" % (state, len(cells), COLOURS[state], expected[state], found[state][:12]))
        # a cell's region is at most the cell (its text takes some pixels away), never two merged cells
        if not all(a <= CELL_WIDTH * CELL_HEIGHT * 1.2 for a in cells):
            wrong.append("%s: a region larger than one cell %s" % (state, cells))
    return wrong


def test_each_cell_shows_up_in_the_colour_of_its_state(tmp_path):
    report, png = render(af.findings(), tmp_path, "audit")
    # One example screenshot, kept out of git, for people to look at.
    os.makedirs(os.path.join(ROOT, ".cache"), exist_ok=True)
    shutil.copy(png, os.path.join(ROOT, ".cache", "audit-report-example.png"))
    expected = Counter(af.EXPECTED.values())
    assert all(expected[s] for s in STATES), "the fixture must hold every state"
    assert mismatches(regions(png), expected) == []
    assert report["summary"]["cells"] == len(af.EXPECTED)


def test_broken_cells_are_not_shown_green(tmp_path):
    """A hostname with no AOP in force and an origin at require trusting the wrong CA: their cells are purple
    (broken), and the check above would catch them drawn green (the page edited so that they are)."""
    report = build_report(af.findings())
    broken = {(z["name"], h["name"], c["origin"]): c for z in report["zones"] for h in z["hostnames"] for c in h["cells"] if c["state"] == "broken"}
    assert set(broken) == {k for k, v in af.EXPECTED.items() if v == "broken"} and len(broken) == 2
    assert broken[("example.com", "pay.example.com", "192.0.2.10")]["reasons"][0].startswith("no AOP in force for this hostname")
    assert "trusts CN=another CA" in broken[("example.org", "static.example.org", "192.0.2.13")]["reasons"][0]
    expected = Counter(af.EXPECTED.values())

    def as_green(text):
        assert text.count('class="cell s-broken"') == 2
        return text.replace('class="cell s-broken"', 'class="cell s-protected"')

    _report, png = render(af.findings(), tmp_path, "broken-as-green", edit=as_green)
    wrong = mismatches(regions(png), expected)
    assert any(w.startswith("broken: 0 cell-sized regions") for w in wrong), wrong
    assert any(w.startswith("protected: %d cell-sized regions" % (expected["protected"] + 2)) for w in wrong), wrong


def test_a_clean_fleet_is_all_green(tmp_path):
    _report, png = render(af.clean_findings(), tmp_path, "clean")
    found = regions(png)
    cells = len([1 for z in af.clean_findings()["zones"] for h in z["hostnames"].values() for _a in h["origins"]])
    assert len([a for a in found["protected"] if a >= MIN_AREA]) == cells
    for state in set(STATES) - {"protected"}:
        assert not [a for a in found[state] if a >= MIN_AREA], state
