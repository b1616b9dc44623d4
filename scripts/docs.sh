#!/usr/bin/env bash
# Build the collection's HTML docs site the standard way: 'antsibull-docs sphinx-init' for
# originpulls.aop, then the build.sh it writes ('antsibull-docs collection' renders the modules, roles,
# the inventory plugin and the extra docs of docs/docsite/ to RST; 'sphinx-build -W' turns warnings
# into errors). Needs the project venv on PATH (antsibull-docs, sphinx, sphinx-ansible-theme; pinned in
# requirements/dev-py3*.txt) and ANSIBLE_COLLECTIONS_PATH exposing the checkout as originpulls.aop
# (scripts/test.sh docs and 'make docs' set both up).
#
#   scripts/docs.sh [DEST]     DEST defaults to build/docs; the site is DEST/build/html/index.html
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="${1:-$here/build/docs}"

# sphinx-init wants a directory of our own that nobody else can write to; start from nothing each time
# so that pages of removed content do not linger.
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mkdir -m 700 "$dest"

antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
  --project originpulls.aop --copyright 'originpulls.aop contributors' \
  --title 'originpulls.aop - Cloudflare Authenticated Origin Pulls' --html-short-title originpulls.aop \
  --dest-dir "$dest" originpulls.aop >/dev/null

# The build runs offline: no intersphinx inventories (conf.py would fetch Ansible's and Python's).
# Without them, the references that generated plugin pages make into the Ansible docsite cannot
# resolve; they are the only ones ignored (they render as plain text). Every other unresolved
# reference still fails the build (nitpicky + -W).
cat >>"$dest/conf.py" <<'PY'

# Added by scripts/docs.sh: offline build.
intersphinx_mapping = {}
nitpick_ignore_regex = [
    (r"(std:)?ref", r"common_return_values|ansible_configuration_settings|action_plugins"),
    (r"(std:)?envvar", r"ANSIBLE_[A-Z0-9_]+"),
]
PY

"$dest/build.sh"
echo "docs site: $dest/build/html/index.html"
