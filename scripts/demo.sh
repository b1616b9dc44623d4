#!/usr/bin/env bash
# The main job on a self-contained default: a Cloudflare API emulator, an edge stand-in and seven
# Docker origins (2 nginx, 2 Apache, HAProxy, Caddy, Traefik), then enable_aop across them under steady
# load, then the exposure audit (audit_aop) of the fleet.
#
#   scripts/demo.sh            build what is missing, start the fleet, run enable_aop, prove enforcement
#   scripts/demo.sh disable    run disable_aop on the running fleet (origins relax first, then Cloudflare off)
#   scripts/demo.sh enable     run enable_aop again
#   scripts/demo.sh audit      run the exposure audit (audit_aop) on the running fleet
#   scripts/demo.sh down       stop the emulator and remove the fleet's containers
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
action="${1:-up}"

venv=$(bash scripts/setup-venv.sh main)
export PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$here/.cache/collections"
"$venv/bin/python" -c 'import sys; sys.path.insert(0, "tests"); from helpers.collection import collections_root; collections_root()'
state="$here/.cache/fleet-state"
# Molecule's and the image build's own output goes to log files; the screen gets short lines.
logs="$here/.cache/demo-logs"
mkdir -p "$logs"
started=$(date +%s)
step() { printf '[%4ds] %s\n' "$(( $(date +%s) - started ))" "$*"; }
fail() { echo "FAILED; the end of $1:" >&2; tail -n 40 "$1" >&2; exit 1; }
quiet() { local log="$1"; shift; "$@" >>"$log" 2>&1 || fail "$log"; }

case "$action" in
  up)
    step "Docker engine and the origin image (Debian 13)"
    quiet "$logs/image.log" bash scripts/ensure-docker.sh
    # The fleet runs Debian 13 (trixie), the current stable release.
    AOP_ORIGIN_IMAGE=$(bash tests/images/build-origin-image.sh trixie 2>>"$logs/image.log") || fail "$logs/image.log"
    export AOP_ORIGIN_IMAGE
    step "the fleet: 2 nginx, 2 Apache, HAProxy, Caddy, Traefik origins, an edge stand-in, the API emulator"
    quiet "$logs/fleet-up.log" molecule create -s rollout
    quiet "$logs/fleet-up.log" molecule prepare -s rollout
    # enable_aop under load through the edge (its plays and waits as progress lines), then its
    # summary and the direct-request proof.
    step "enable_aop under load through the edge"
    AOP_PROGRESS=1 "$venv/bin/python" tests/fleet/e2e.py enable --state "$state"
    # The exposure audit of the demo fleet: two zones' proxied records on it, every hostname x origin probed.
    step "the exposure audit (audit_aop) of the fleet"
    audit_rc=0
    "$venv/bin/python" tests/fleet/e2e.py audit-run --state "$state" || audit_rc=$?
    cat <<TXT

The fleet is up and enforcing: every origin refuses a direct request without Cloudflare's
certificate, and serves through the edge, which presents it.
  exposure audit (audit_aop):     $([[ $audit_rc -eq 0 ]] && echo "clean" || echo "FINDINGS (exit $audit_rc)") - open $state/audit-demo/aop-audit.html
                                  (JSON and JUnit XML beside it; re-run: make demo-audit)
  fleet state, logs of each run:  $state/
  fleet and image build logs:     $logs/
  run disable_aop:                make demo-disable     (scripts/demo.sh disable)
  run enable_aop again:           make demo-enable      (scripts/demo.sh enable)
  tear the demo down:             make demo-down        (scripts/demo.sh down)
TXT
    ;;
  enable | disable)
    [[ -f "$state/fleet.json" ]] || { echo "no demo fleet is running; start it with 'make demo'" >&2; exit 1; }
    "$venv/bin/python" tests/fleet/e2e.py "$action" --state "$state"
    ;;
  audit)
    [[ -f "$state/fleet.json" ]] || { echo "no demo fleet is running; start it with 'make demo'" >&2; exit 1; }
    exec "$venv/bin/python" tests/fleet/e2e.py audit-run --state "$state"
    ;;
  down)
    step "removing the demo fleet"
    molecule cleanup -s rollout >>"$logs/fleet-down.log" 2>&1 || true
    quiet "$logs/fleet-down.log" molecule destroy -s rollout
    step "done"
    ;;
  *) echo "usage: scripts/demo.sh [up|enable|disable|audit|down]" >&2; exit 2;;
esac
