#!/usr/bin/env bash
# The main job on a self-contained default: a Cloudflare API emulator, an edge stand-in and four
# Docker origins (2 nginx, 2 Apache), then enable_aop across them under steady load.
#
#   scripts/demo.sh            build what is missing, start the fleet, run enable_aop, prove enforcement
#   scripts/demo.sh disable    run disable_aop on the running fleet (origins relax first, then Cloudflare off)
#   scripts/demo.sh enable     run enable_aop again
#   scripts/demo.sh down       stop the emulator and remove the fleet's containers
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
action="${1:-up}"

venv=$(bash scripts/setup-venv.sh main)
export PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$here/.cache/collections"
"$venv/bin/python" -c 'import sys; sys.path.insert(0, "tests"); from helpers.collection import collections_root; collections_root()'
state="$here/.cache/fleet-state"

case "$action" in
  up)
    bash scripts/ensure-docker.sh
    AOP_ORIGIN_IMAGE=$(bash tests/images/build-origin-image.sh)
    export AOP_ORIGIN_IMAGE
    molecule create -s rollout
    molecule prepare -s rollout
    # enable_aop under load through the edge, then its summary and the direct-request proof.
    "$venv/bin/python" tests/fleet/e2e.py enable --state "$state"
    cat <<TXT

The fleet is up and enforcing: every origin refuses a direct request without Cloudflare's
certificate, and serves through the edge, which presents it.
  fleet state, logs of each run:  $state/
  run disable_aop:                make demo-disable     (scripts/demo.sh disable)
  run enable_aop again:           make demo-enable      (scripts/demo.sh enable)
  tear the demo down:             make demo-down        (scripts/demo.sh down)
TXT
    ;;
  enable | disable)
    [[ -f "$state/fleet.json" ]] || { echo "no demo fleet is running; start it with 'make demo'" >&2; exit 1; }
    "$venv/bin/python" tests/fleet/e2e.py "$action" --state "$state"
    ;;
  down)
    molecule cleanup -s rollout || true
    molecule destroy -s rollout
    ;;
  *) echo "usage: scripts/demo.sh [up|enable|disable|down]" >&2; exit 2;;
esac
