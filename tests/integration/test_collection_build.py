"""The collection builds into a tarball that installs into a clean path and documents itself."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tarfile

import yaml

from helpers.collection import ROOT

BIN = os.path.dirname(sys.executable)


def run(cmd, env=None, cwd=None):
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (" ".join(cmd), proc.stdout, proc.stderr)
    return proc.stdout


def modules_in_tree():
    return sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")))


def test_build_install_and_ansible_doc_from_installed_copy(tmp_path):
    galaxy = yaml.safe_load(open(os.path.join(ROOT, "galaxy.yml")))
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path / "dist"), ROOT])
    tarball = tmp_path / "dist" / ("originpulls-aop-%s.tar.gz" % galaxy["version"])
    assert tarball.is_file()

    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "MANIFEST.json" in names and "FILES.json" in names
    assert "plugins/modules/tls_client_auth.py" in names
    # galaxy.yml and every file header say GPL-3.0-or-later: the licence text ships with them.
    assert "LICENSE" in names
    with tarfile.open(tarball) as tar:
        licence = tar.extractfile("LICENSE").read().decode()
    assert "GNU GENERAL PUBLIC LICENSE" in licence and "Version 3, 29 June 2007" in licence and "END OF TERMS AND CONDITIONS" in licence
    assert not any(n.startswith((".venv", ".cache", ".git/", "scripts/", "requirements/")) for n in names), "dev files shipped"

    dest = tmp_path / "installed"
    # Only the clean path is configured, so no other copy (this checkout, ~/.ansible) can stand in.
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(dest), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--force", str(tarball), "-p", str(dest)], env=env)
    installed = dest / "ansible_collections" / "originpulls" / "aop"
    assert (installed / "MANIFEST.json").is_file()

    listing = run([os.path.join(BIN, "ansible-doc"), "-l", "originpulls.aop"], env=env)
    listed = sorted(line.split()[0].split(".")[-1] for line in listing.splitlines() if line.startswith("originpulls.aop."))
    assert listed == modules_in_tree()

    # The documentation is read from the installed copy, not from this checkout.
    doc = run([os.path.join(BIN, "ansible-doc"), "--json", "originpulls.aop.tls_client_auth"], env=env)
    assert str(installed) in doc
    assert ROOT not in doc.replace(str(installed), "")

    # The playbooks run by FQCN from the installed copy.
    for playbook in ("enable_aop", "disable_aop"):
        run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "--syntax-check", "originpulls.aop.%s" % playbook], env=env, cwd=str(tmp_path))

    infra = tmp_path / "site.yml"
    infra.write_text("- name: Existing infra\n  ansible.builtin.import_playbook: originpulls.aop.enable_aop\n")
    run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "--syntax-check", str(infra)], env=env, cwd=str(tmp_path))

    roles = sorted(d for d in os.listdir(os.path.join(ROOT, "roles")) if os.path.isdir(os.path.join(ROOT, "roles", d)))
    if roles:
        role_listing = run([os.path.join(BIN, "ansible-doc"), "-t", "role", "-l", "originpulls.aop"], env=env)
        for role in roles:
            assert "originpulls.aop.%s" % role in role_listing
