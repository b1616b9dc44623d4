#!/usr/bin/env bash
# The exposure audit (audit_aop) against an idempotent enable_aop on the 7-origin demo fleet, timed in one run
# (tests/benchmarks/audit_bench.py). Starts the demo fleet when none runs (make demo) and leaves it up.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
state="$here/.cache/fleet-state"
if [[ ! -f "$state/fleet.json" ]] || ! docker ps --format '{{.Names}}' | grep -q -- "${AOP_FLEET:-aop-fleet}-edge"; then
  bash scripts/demo.sh up
fi
venv=$(bash scripts/setup-venv.sh main)
export PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$here/.cache/collections"
exec "$venv/bin/python" tests/benchmarks/audit_bench.py --state "$state" --rounds "${BENCH_ROUNDS:-3}"
