"""The project's own scripts: clear messages on broken inputs, failures that fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from helpers.collection import ROOT


def test_no_root_and_no_daemon_says_how_to_get_docker():
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.fail("this test drops to an unprivileged user and needs root and runuser")
    base = tempfile.mkdtemp(prefix="aop-nonroot-")  # pytest's tmp_path is not reachable for 'nobody'
    try:
        os.chmod(base, 0o777)
        os.makedirs(os.path.join(base, "scripts"))
        shutil.copy(os.path.join(ROOT, "scripts", "ensure-docker.sh"), os.path.join(base, "scripts"))
        os.chmod(os.path.join(base, "scripts"), 0o755)
        env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "DOCKER_HOST": "unix:///nonexistent/docker.sock", "HOME": base}
        proc = subprocess.run(
            ["runuser", "-u", "nobody", "--", "bash", os.path.join(base, "scripts", "ensure-docker.sh")], env=env, capture_output=True, text=True, check=False
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert proc.returncode != 0
    assert "not root" in proc.stderr and "start Docker yourself" in proc.stderr and "docker' group" in proc.stderr, proc.stderr


def test_a_lint_violation_fails_the_test_command(tmp_path):
    """scripts/test.sh lint on a copy of the tree with one ruff violation must exit non-zero."""
    copy = tmp_path / "repo"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True)
    for rel in filter(None, files.stdout.split("\0")):
        src = os.path.join(ROOT, rel)
        if not os.path.isfile(src):
            continue
        dest = copy / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    bad = copy / "plugins" / "module_utils" / "_cloudflare.py"
    bad.write_text(bad.read_text() + "\nimport os  # unused, duplicate: a violation\n")
    env = dict(os.environ, MAIN_VENV=os.path.dirname(os.path.dirname(sys.executable)))
    proc = subprocess.run(["bash", "scripts/test.sh", "lint"], cwd=copy, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "F811" in proc.stdout + proc.stderr or "F401" in proc.stdout + proc.stderr
    assert "FAILED" in proc.stdout
