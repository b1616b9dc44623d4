#!/usr/bin/env bash
# Create or refresh a project-local virtualenv from the pinned requirement sets.
#
#   scripts/setup-venv.sh            main environment in .venv: the newest Python >= 3.12
#                                    found on PATH or under pyenv (ansible 14.x, core 2.21);
#                                    falls back to Python 3.11 with ansible 12.x (core 2.19)
#   scripts/setup-venv.sh compat     oldest supported core in .venv-compat: ansible-core
#                                    2.17 (ansible 10.x) on Python 3.11
#
# A venv is reused while its recorded inputs (interpreter + pinned file) are unchanged.
# Prints the venv path on stdout; progress on stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
flavour="${1:-main}"

say() { printf '[venv] %s\n' "$*" >&2; }
die() { printf '[venv] ERROR: %s\n' "$*" >&2; exit 1; }

# Candidate interpreters: PATH first, then every pyenv version.
candidates() {
  local c
  for c in python3.14 python3.13 python3.12 python3.11 python3; do
    command -v "$c" 2>/dev/null || true
  done
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  if [[ -d "$root/versions" ]]; then
    ls -d "$root"/versions/3.*/bin/python3 2>/dev/null || true
  fi
}

# Prints "MAJOR.MINOR PATH" for interpreters that run and have venv.
probe() {
  local c v
  while read -r c; do
    [[ -x "$c" ]] || continue
    # Print the real interpreter (not a pyenv shim, nor the python of an active virtualenv, which may
    # be the very venv this script is about to recreate) with its version.
    # The real path: with a venv active, python3.13 and python3 name the same interpreter by two paths,
    # and the venv's recorded inputs must not change with PATH (that would rebuild the venv).
    "$c" -c 'import os, sys, venv; print("%d.%d %s" % (sys.version_info[0], sys.version_info[1], os.path.realpath(getattr(sys, "_base_executable", sys.executable))))' \
      2>/dev/null || continue
  done < <(candidates) | sort -t' ' -k1,1 -u | sort -t. -k1,1n -k2,2n
}

pick() {  # pick MIN MAX -> newest interpreter with MIN <= version <= MAX
  local min="$1" max="$2"
  probe | awk -v min="$min" -v max="$max" '
    { split($1, a, "."); v = a[1] * 100 + a[2];
      split(min, b, "."); lo = b[1] * 100 + b[2];
      split(max, c, "."); hi = c[1] * 100 + c[2];
      if (v >= lo && v <= hi) best = $0 }
    END { if (best != "") print best }'
}

case "$flavour" in
  main)
    venv="$here/.venv"
    choice=$(pick 3.12 3.14)
    if [[ -n "$choice" ]]; then
      pins="$here/requirements/dev-py312.txt"
      why="current Ansible: ansible 14.x / ansible-core 2.21"
    else
      choice=$(pick 3.11 3.11)
      [[ -n "$choice" ]] || die "no Python >= 3.11 with the venv module was found (PATH or pyenv).
  Install python3 and python3-venv (apt-get install python3-venv) and run this again."
      pins="$here/requirements/dev-py311.txt"
      why="no Python >= 3.12 found: falling back to ansible 12.x / ansible-core 2.19"
    fi
    ;;
  compat)
    venv="$here/.venv-compat"
    choice=$(pick 3.11 3.11)
    [[ -n "$choice" ]] || choice=$(pick 3.10 3.12)
    [[ -n "$choice" ]] || die "the compatibility check needs Python 3.10-3.12 for ansible-core 2.17; none found"
    pins="$here/requirements/compat-core217.txt"
    why="oldest supported core: ansible-core 2.17"
    ;;
  *) die "unknown flavour '$flavour' (use: main | compat)";;
esac

pyver=${choice%% *}
python=${choice#* }
stamp="$pyver $python $(sha256sum "$pins" | cut -c1-16)"
say "chose Python $pyver ($python) for $(basename "$venv"): $why"

# The checkout is the collection: expose it as ansible_collections/originpulls/aop, so that
# 'ansible-playbook playbooks/enable_aop.yml' works in the repository (ansible.cfg points there).
mkdir -p "$here/.cache/collections/ansible_collections/originpulls"
[[ -e "$here/.cache/collections/ansible_collections/originpulls/aop" ]] \
  || ln -s ../../../.. "$here/.cache/collections/ansible_collections/originpulls/aop"

if [[ -x "$venv/bin/python" && -f "$venv/.inputs" && "$(cat "$venv/.inputs")" == "$stamp" ]]; then
  say "$(basename "$venv") is up to date; reused"
  echo "$venv"
  exit 0
fi

say "creating $(basename "$venv") from $(basename "$pins") (a minute or two)"
rm -rf "$venv"
"$python" -m venv "$venv"
log="$here/.cache/pip-$(basename "$venv").log"
mkdir -p "$here/.cache"
if ! { "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
       && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$pins"; } >"$log" 2>&1; then
  grep -v '^WARNING: Location' "$log" | tail -n 30 >&2
  die "pip install -r $pins failed (is the package index reachable?); full log: $log"
fi
echo "$stamp" >"$venv/.inputs"
say "$(basename "$venv") ready: $("$venv/bin/ansible" --version 2>/dev/null | sed -n 1p)"
echo "$venv"
