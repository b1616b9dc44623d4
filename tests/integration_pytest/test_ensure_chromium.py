"""scripts/ensure-chromium.sh: finds the installed Chromium, and says what to do when it cannot install one."""

from __future__ import annotations

import os
import shutil
import subprocess

from helpers.collection import ROOT

SCRIPT = os.path.join(ROOT, "scripts", "ensure-chromium.sh")


def test_an_installed_chromium_is_found_and_nothing_is_installed():
    proc = subprocess.run(["bash", SCRIPT], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "[chromium] found " in proc.stderr and "installing" not in proc.stderr


def test_not_root_and_no_chromium_says_how_to_get_it(tmp_path):
    # A PATH with no chromium on it, and an 'id' that answers as an unprivileged user would.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "id").write_text("#!/bin/sh\necho 65534\n")
    (bindir / "id").chmod(0o755)
    proc = subprocess.run(
        [shutil.which("bash"), SCRIPT], env={"PATH": str(bindir), "HOME": str(tmp_path)}, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode != 0
    assert "chromium is not installed and this is not root" in proc.stderr and "apt-get install chromium" in proc.stderr, proc.stderr
