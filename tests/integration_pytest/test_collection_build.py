"""The collection builds into a tarball that installs into a clean path and documents itself."""

from __future__ import annotations

import ast
import glob
import json
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml

from helpers.collection import ROOT

BIN = os.path.dirname(sys.executable)


def run(cmd, env=None, cwd=None):
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (" ".join(cmd), proc.stdout, proc.stderr)
    return proc.stdout


def modules_in_tree():
    return sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")))


def roles_in_tree():
    return sorted(d for d in os.listdir(os.path.join(ROOT, "roles")) if os.path.isdir(os.path.join(ROOT, "roles", d)))


def clean_env(**extra):
    """The environment of a user elsewhere: none of this checkout's ANSIBLE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "GALAXY_IMPORTER_"))}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """The collection built once for this file, as 'ansible-galaxy collection build' makes it."""
    galaxy = yaml.safe_load(open(os.path.join(ROOT, "galaxy.yml")))
    dist = tmp_path_factory.mktemp("dist")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(dist), ROOT])
    path = dist / ("originpulls-aop-%s.tar.gz" % galaxy["version"])
    assert path.is_file()
    return path


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    """The tarball installed into an empty collections path, as a user elsewhere installs it."""
    dest = tmp_path_factory.mktemp("collections")
    run(
        [os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--force", str(tarball), "-p", str(dest)],
        env=clean_env(ANSIBLE_COLLECTIONS_PATH=str(dest)),
    )
    path = dest / "ansible_collections" / "originpulls" / "aop"
    assert (path / "MANIFEST.json").is_file()
    return path


def test_build_install_and_ansible_doc_from_installed_copy(tarball, tmp_path):

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
    # The Docker test harness stays in the repository (it needs community.docker and a locally built image).
    assert not any(n.startswith(("extensions/molecule", "tests/fleet", "tests/images")) for n in names), "Docker test harness shipped"
    for role in roles_in_tree():
        assert "roles/%s/README.md" % role in names, "role %s has no README" % role

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

    roles = roles_in_tree()
    if roles:
        role_listing = run([os.path.join(BIN, "ansible-doc"), "-t", "role", "-l", "originpulls.aop"], env=env)
        for role in roles:
            assert "originpulls.aop.%s" % role in role_listing


def test_galaxy_importer_accepts_the_tarball_without_error_or_warning(tarball, tmp_path):
    """What Galaxy and Automation Hub run on upload, on the built tarball: no error, no warning.

    The importer's ansible-test step runs in a container and is off (its default); ansible-lint runs
    offline. Like on Galaxy, only ansible-core's own content is there besides this collection: no
    ~/.ansible collections (a fresh HOME) and not the collections of the 'ansible' package in this venv
    (ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false), so a module from an undeclared collection is reported.
    """
    home = tmp_path / "home"
    home.mkdir()
    cfg = tmp_path / "galaxy-importer.cfg"
    cfg.write_text(
        "[galaxy-importer]\n"
        "run_ansible_test = False\n"
        "run_ansible_doc = True\n"
        "run_ansible_lint = True\n"
        "offline_ansible_lint = True\n"
        "check_changelog = True\n"
        "ansible_local_tmp = %s\n"
        "tmp_root_dir = %s\n" % (tmp_path / "ansible-tmp", tmp_path)
    )
    env = clean_env(GALAXY_IMPORTER_CONFIG=str(cfg), HOME=str(home), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    proc = subprocess.run(
        [sys.executable, "-m", "galaxy_importer.main", str(tarball)], env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600, check=False
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    problems = [line for line in output.splitlines() if re.search(r"\b(WARNING|ERROR|CRITICAL)\b|Warning:|Error:", line, re.IGNORECASE)]
    assert not problems, "galaxy-importer reported:\n" + "\n".join(problems)
    assert "Importer processing completed successfully" in proc.stdout, output

    result = json.loads((tmp_path / "importer_result.json").read_text())
    assert result["metadata"]["license"] == ["GPL-3.0-or-later"]
    found = {(c["content_type"], c["name"]) for c in result["contents"]}
    assert {("module", m) for m in modules_in_tree()} <= found
    assert {("role", r) for r in roles_in_tree()} <= found
    readmes = {c["content_name"]: c.get("readme_html") or "" for c in result["docs_blob"]["contents"] if c["content_type"] == "role"}
    assert sorted(readmes) == roles_in_tree()
    assert all("originpulls.aop." in html for html in readmes.values()), "a role README without an FQCN example"


def test_ansible_builder_finds_the_runtime_python_dependencies(installed):
    """An execution environment built with this collection gets what its modules import on the controller."""
    out = run([os.path.join(BIN, "ansible-builder"), "introspect", "--sanitize", str(installed.parent.parent.parent)], env=clean_env())
    data = yaml.safe_load(out[out.index("---") :])
    listed = {re.split(r"[<>=!~ ;\[]", entry, maxsplit=1)[0].lower() for entry in data["python"]}
    assert {"requests", "cryptography", "jinja2"} <= listed, out
    assert all("originpulls.aop" in entry for entry in data["python"]), out
    # Every library the plugins import from outside Python and Ansible is declared.
    assert third_party_imports(installed / "plugins") <= listed, out


def third_party_imports(tree):
    """Top-level names of what the plugins import that is neither the standard library nor Ansible."""
    names = set()
    for path in glob.glob(os.path.join(str(tree), "**", "*.py"), recursive=True):
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("ansible", "ansible_collections", "__future__")}


def offline_get_pip_for_ansible_test():
    """ansible-test --venv downloads a pip bootstrap script from a host that is unreachable here; give it
    the project's offline stand-in, as scripts/sanity.sh does (a real cached script is never replaced)."""
    import ansible_test

    reqs = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
    version = re.search(r"pip='([0-9.]+)'", open(reqs).read()).group(1)
    cache = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % version.replace(".", "_"))
    if not os.path.isfile(cache) or "Offline stand-in for the get-pip bootstrap" in open(cache).read():
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        with open(os.path.join(ROOT, "scripts", "ansible_test_get_pip.py")) as src, open(cache, "w") as dst:
            dst.write(src.read())


def test_ansible_test_units_from_the_installed_collection(installed):
    """Downstream CI runs 'ansible-test units' on the installed collection: tests/unit/requirements.txt gives
    ansible-test's environment what the unit tests import beyond its own (the emulator's schema validator)."""
    offline_get_pip_for_ansible_test()
    python = "%d.%d" % sys.version_info[:2]
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-test"), "units", "--venv", "--python", python, "--color", "no"],
        cwd=str(installed),
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    assert "ModuleNotFoundError" not in output
    assert re.search(r"\b\d+ passed\b", output), output[-3000:]
