#!/usr/bin/env bash
# ansible-test sanity on the collection, copied into a temporary
# ansible_collections/originpulls/aop tree (outside this git checkout, so ansible-test
# sees exactly the files git would ship: tracked plus untracked-but-not-ignored).
#
#   scripts/sanity.sh VENV_DIR [extra ansible-test args]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=$(cd "${1:?usage: sanity.sh VENV_DIR [ansible-test args]}" && pwd)
shift
py="$venv/bin/python"
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# ansible-test --venv bootstraps pip with a script it downloads from a host that is
# not reachable here; give it the offline stand-in (never replacing a real cached one).
reqs=$("$py" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"))')
pipver=$(grep -oE "pip='[0-9.]+'" "$reqs" | head -n1 | grep -oE "[0-9.]+")
cache="$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py"
if [[ ! -f "$cache" ]] || grep -q "Offline stand-in for the get-pip bootstrap" "$cache"; then
  mkdir -p "$(dirname "$cache")"
  cp "$here/scripts/ansible_test_get_pip.py" "$cache"
fi

tree=$(mktemp -d "${TMPDIR:-/tmp}/originpulls-aop-sanity.XXXXXX")
trap 'rm -rf "$tree"' EXIT
dest="$tree/ansible_collections/originpulls/aop"
mkdir -p "$dest"
# (files deleted in the work tree but still in git's index are skipped)
(cd "$here" && git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf -) | tar -xf - -C "$dest"
cd "$dest"
"$venv/bin/ansible-test" sanity --venv --python "$pyver" --color no "$@"
