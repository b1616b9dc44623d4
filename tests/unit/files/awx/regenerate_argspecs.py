"""Regenerate argspecs.json and awx_modules.tgz from the real awx.awx collection, for checking the AWX example.

    python tests/unit/files/awx/regenerate_argspecs.py GIT_DIR [COMMIT]

GIT_DIR is a clone (bare is fine) of the AWX repository (github.com/ansible/awx), whose awx_collection/
directory is the awx.awx collection; COMMIT defaults to its HEAD. Reads each module's
``argument_spec = dict(...)`` in main() and the connection options every module gets
(ControllerModule.AUTH_ARGSPEC in module_utils/controller_api.py) without importing or running any of
it (Python's ast, literals only), and writes the specs with the commit they came from. The unit test
tests/unit/test_awx_examples.py validates every awx.awx task of examples/awx/ against them with
ansible-core's own ArgumentSpecValidator. awx_modules.tgz holds the module files the examples use
(examples/awx/*.yml), as they are at that commit, in an ansible_collections/awx/awx tree: the test's
ansible-playbook --syntax-check resolves the example's awx.awx modules there (Galaxy is not reachable
from the tests, and awx.awx is on no Python index).
"""

from __future__ import annotations

import ast
import glob
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
OUT = os.path.join(HERE, "argspecs.json")
TARBALL = os.path.join(HERE, "awx_modules.tgz")
MODULES = "awx_collection/plugins/modules"
API = "awx_collection/plugins/module_utils/controller_api.py"


def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir", gitdir] + list(args), check=True, capture_output=True, text=True).stdout


CONSTANTS = {}


def literal(node):
    """A spec value: constants, lists, tuples and dict(...) / {...}; list(CONSTANT.keys()) of a module-level
    literal; a fallback's callable becomes its name."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        return {kw.arg: literal(kw.value) for kw in node.keywords}
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "list"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Call)
        and isinstance(node.args[0].func, ast.Attribute)
        and node.args[0].func.attr == "keys"
        and isinstance(node.args[0].func.value, ast.Name)
        and node.args[0].func.value.id in CONSTANTS
    ):
        return list(CONSTANTS[node.args[0].func.value.id])
    if isinstance(node, ast.Dict):
        return {literal(k): literal(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, (ast.List, ast.Tuple)):
        return [literal(e) for e in node.elts]
    if isinstance(node, ast.Name):
        return node.id
    return ast.literal_eval(node)


def clean(spec):
    """Drop what only matters at runtime (fallbacks to environment variables), keep the rest as written."""
    out = {}
    for name, given in spec.items():
        option = dict(given)
        option.pop("fallback", None)
        if "options" in option:
            option["options"] = clean(option["options"])
        out[name] = option
    return out


def module_spec(source):
    tree = ast.parse(source)
    CONSTANTS.clear()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                CONSTANTS[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    for node in ast.walk(main):
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["argument_spec"]:
            return clean(literal(node.value))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ControllerAPIModule":
            for kw in node.keywords:
                if kw.arg == "argument_spec" and isinstance(kw.value, ast.Dict):
                    return clean(literal(kw.value))
    raise ValueError("no argument_spec = dict(...) in main()")


def auth_spec(source):
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "ControllerModule":
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and [getattr(t, "id", None) for t in stmt.targets] == ["AUTH_ARGSPEC"]:
                    return clean(literal(stmt.value))
    raise ValueError("no ControllerModule.AUTH_ARGSPEC")


def used_modules():
    names = set()
    for path in glob.glob(os.path.join(REPO, "examples", "awx", "*.yml")):
        with open(path) as fh:
            names |= set(re.findall(r"^\s*(?:- )?awx\.awx\.(\w+):", fh.read(), re.M))
    return sorted(names)


def write_tarball(gitdir, commit, names):
    """The module files, byte for byte, in a reproducible tarball (sorted, fixed owner and mtime)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            data = subprocess.run(["git", "--git-dir", gitdir, "show", "%s:%s/%s.py" % (commit, MODULES, name)], check=True, capture_output=True).stdout
            info = tarfile.TarInfo("ansible_collections/awx/awx/plugins/modules/%s.py" % name)
            info.size, info.mtime, info.mode, info.uid, info.gid = len(data), 0, 0o644, 0, 0
            tar.addfile(info, io.BytesIO(data))
    with open(TARBALL, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
        gz.write(buf.getvalue())


def main(argv):
    if not 1 <= len(argv) <= 2:
        raise SystemExit(__doc__)
    gitdir = argv[0]
    if os.path.isdir(os.path.join(gitdir, ".git")):
        gitdir = os.path.join(gitdir, ".git")
    commit = git(gitdir, "rev-parse", argv[1] if len(argv) > 1 else "HEAD").strip()
    names = [p.rsplit("/", 1)[1] for p in git(gitdir, "ls-tree", "--name-only", commit, MODULES + "/").split()]
    modules, skipped = {}, {}
    for name in sorted(n for n in names if n.endswith(".py") and not n.startswith("_")):
        try:
            modules[name[:-3]] = module_spec(git(gitdir, "show", "%s:%s/%s" % (commit, MODULES, name)))
        except (ValueError, StopIteration) as exc:
            skipped[name[:-3]] = str(exc)
    data = {
        "source": {"repository": "ansible/awx", "commit": commit, "modules": MODULES, "connection_options": API + " (ControllerModule.AUTH_ARGSPEC)"},
        "regenerate": "python tests/unit/files/awx/regenerate_argspecs.py GIT_DIR [COMMIT]",
        "connection_options": auth_spec(git(gitdir, "show", "%s:%s" % (commit, API))),
        "modules": modules,
        "not_extracted": skipped,
    }
    used = used_modules()
    missing = [n for n in used if n not in modules]
    if missing:
        raise SystemExit("the examples use awx.awx modules with no extracted spec: %s" % ", ".join(missing))
    data["tarball_modules"] = used
    write_tarball(gitdir, commit, used)
    with open(OUT, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print("%s: %d modules from %s@%s (%d not extracted: %s)" % (OUT, len(modules), "ansible/awx", commit[:12], len(skipped), ", ".join(skipped) or "none"))


if __name__ == "__main__":
    main(sys.argv[1:])
