"""The checks that need no Docker, as nox sessions: lint, sanity, unit, integration, docs.

    nox -s lint unit        (what 'make quick' runs after setup)
    nox -l                  the sessions

scripts/test.sh runs its phases of the same names through these sessions, in the project venv
(scripts/setup-venv.sh, pinned): the sessions create no virtualenv of their own (python=False) and run
the tools of the active venv (VIRTUAL_ENV; compat-checks runs sanity and unit in the compat venv this
way). Run nox from the activated project venv with ANSIBLE_COLLECTIONS_PATH=$PWD/.cache/collections,
or through scripts/test.sh, which sets both.
"""

from __future__ import annotations

import glob
import os
import sys

import nox

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_PATHS = ["plugins", "tests", "scripts", "noxfile.py"]

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "sanity", "unit"]
nox.options.error_on_missing_interpreters = True


def venv():
    """The environment whose tools the sessions run: the active virtualenv (scripts/test.sh activates the
    project venv, or the compat venv for compat-checks), else the one nox itself runs in."""
    return os.environ.get("VIRTUAL_ENV") or sys.prefix


def pytest(session, *args, env=None):
    # -p no:cacheprovider: no .pytest_cache in the checkout. pytest exits 5 when it collected no test:
    # a failure here, not a pass (nox fails a session on any non-zero exit).
    python = os.path.join(venv(), "bin", "python")
    session.run(python, "-m", "pytest", "-p", "no:cacheprovider", *args, *session.posargs, env=env or {})


@nox.session(python=False)
def lint(session):
    """yamllint, ansible-lint (production profile), ruff check + format, changelog fragments."""
    session.run("yamllint", "-s", ".")
    # The awx.awx modules the AWX example uses (the real files, tests/unit/files/awx): its syntax check resolves them.
    awx = os.path.join(HERE, ".cache", "awx-collections")
    os.makedirs(awx, exist_ok=True)
    session.run("tar", "-xzf", os.path.join(HERE, "tests", "unit", "files", "awx", "awx_modules.tgz"), "-C", awx, external=True)
    paths = os.pathsep.join(p for p in (os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""), awx) if p)
    session.run("ansible-lint", "--profile", "production", "--offline", env={"ANSIBLE_COLLECTIONS_PATH": paths})
    session.run("ruff", "check", *PYTHON_PATHS)
    session.run("ruff", "format", "--check", *PYTHON_PATHS)
    session.run("antsibull-changelog", "lint")


@nox.session(python=False)
def sanity(session):
    """ansible-test sanity on a temporary ansible_collections/originpulls/aop copy (scripts/sanity.sh)."""
    session.run("bash", os.path.join(HERE, "scripts", "sanity.sh"), venv(), *session.posargs)


@nox.session(python=False)
def unit(session):
    """pytest tests/unit."""
    pytest(session, "tests/unit")


@nox.session(python=False)
def integration(session):
    """pytest tests/integration_pytest, two workers (pytest-xdist, a file per worker at a time).

    The tests spend their time in ansible-playbook subprocesses. test_docs_site.py reads the site that
    the docs session builds: it runs there.
    """
    files = sorted(f for f in glob.glob("tests/integration_pytest/test_*.py") if os.path.basename(f) != "test_docs_site.py")
    pytest(session, "-n", os.environ.get("AOP_INTEGRATION_WORKERS", "2"), "--dist", "loadfile", *files)


@nox.session(python=False)
def docs(session):
    """antsibull-docs lint; the HTML docs site into build/docs (scripts/docs.sh); its check."""
    session.run("antsibull-docs", "lint-collection-docs", "--plugin-docs", "--check-extra-docs-refs", ".")
    session.run("bash", os.path.join(HERE, "scripts", "docs.sh"), os.path.join(HERE, "build", "docs"))
    pytest(session, "tests/integration_pytest/test_docs_site.py", env={"AOP_DOCS_HTML": os.path.join(HERE, "build", "docs", "build", "html")})
