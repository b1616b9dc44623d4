#!/usr/bin/env bash
# Benchmark ratios on a fleet of Docker origins (tests/benchmarks/fleet_bench.py); BENCH_ORIGINS=24 for more.
# BENCH_SIZES=8,24,48 (make bench-fleet): the scale benchmark, sizes in one run. Containers: $AOP_FLEET-nginx-NN.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
venv=$(bash scripts/setup-venv.sh main)
export PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$here/.cache/collections"
"$venv/bin/python" -c 'import sys; sys.path.insert(0, "tests"); from helpers.collection import collections_root; collections_root()'
bash scripts/ensure-docker.sh
AOP_ORIGIN_IMAGE=$(bash tests/images/build-origin-image.sh)
export AOP_ORIGIN_IMAGE
"$venv/bin/python" tests/benchmarks/api_budget.py
if [[ -n "${BENCH_SIZES:-}" ]]; then
  exec "$venv/bin/python" tests/benchmarks/fleet_bench.py --sizes "$BENCH_SIZES" --json "$here/.cache/bench-fleet.json"
fi
exec "$venv/bin/python" tests/benchmarks/fleet_bench.py --origins "${BENCH_ORIGINS:-8}" --minimal
