"""Benchmark: the exposure audit of the demo fleet against an idempotent enable_aop on the same fleet.

    python tests/benchmarks/audit_bench.py --state .cache/fleet-state [--rounds 3]   (scripts/bench-audit.sh, make bench-audit)

On the running, enforcing fleet of the Molecule scenario 'rollout' (the demo: 7 origins, the API emulator,
two zones of proxied records on the fleet), alternates, ``--rounds`` times each:
  (a) enable_aop on the enforced fleet - recognised in preflight, changed=0, no API write
  (b) audit_aop - every origin looked at, each zone read, 2 direct requests per hostname x origin address
and prints the median of each and the ratio (b)/(a) from this one run (the machine's noise cancels; absolute
times do not matter). Goal: <= 1x. Fails when (a) changes anything or (b) finds anything.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fleet"))

import e2e  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    fleet = e2e.Fleet(args.state)
    e2e.audit_setup(fleet)
    enable, audit = [], []
    cells = 0
    for i in range(args.rounds):
        before = len(fleet.emulator("GET", "/log"))
        started = time.time()
        out = fleet.playbook("enable_aop.yml", label="bench-enable-%d" % i)
        enable.append(time.time() - started)
        changed = sum(int(n) for n in re.findall(r"changed=(\d+)", out))
        writes = [e for e in fleet.emulator("GET", "/log")[before:] if e["method"] != "GET"]
        if changed or writes:
            raise SystemExit("enable_aop was not idempotent on this fleet (changed=%d, %d API writes): not a benchmark" % (changed, len(writes)))
        report, _out, writes, took = e2e.audit_run(fleet, "bench")
        audit.append(took)
        cells = report["summary"]["cells"]
        if report["summary"]["failed"] or writes:
            raise SystemExit("the audit found something (%s) or wrote to the API: not a benchmark" % report["summary"]["reasons"])
    a, b = statistics.median(enable), statistics.median(audit)
    origins = len(fleet.info["origins"])
    print("fleet: %d origins; audit: %d hostname x origin cells, %d direct requests" % (origins, cells, 2 * cells))
    print("(a) enable_aop, idempotent   median %6.1fs  %s" % (a, " ".join("%.1f" % t for t in enable)))
    print("(b) audit_aop                median %6.1fs  %s" % (b, " ".join("%.1f" % t for t in audit)))
    print("ratio (b)/(a): %.2fx (goal <= 1x)" % (b / a))
    return 0


if __name__ == "__main__":
    sys.exit(main())
