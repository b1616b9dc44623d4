"""Count the Cloudflare API calls of the global-AOP module against its budget (one run, no timing).

    .venv/bin/python tests/benchmarks/api_budget.py

Budget (issue: Cloudflare API layer):
  idempotent run on a compliant zone (zone_id given)  <= 2 GET, 0 writes
  enabling from off (zone_id given)                    <= 2 GET + 1 PATCH
  zone lookup by name                                  exactly 1 more GET
Exits non-zero when a count is over budget.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from cf_emulator import Emulator  # noqa: E402
from helpers.ansible import run_tasks  # noqa: E402

TOKEN = "benchmark-token"


def measure(emu, **args):
    emu.clear()
    args.setdefault("api_url", emu.url)
    res = run_tasks([{"name": "aop", "originpulls.aop.tls_client_auth": args}], env={"CLOUDFLARE_API_TOKEN": TOKEN})
    task = res.task("aop")
    if task.get("failed"):
        raise SystemExit("module failed: %s" % task.get("msg"))
    gets = len(emu.calls(method="GET"))
    return gets, len(emu.writes()), task["changed"]


def main():
    emu = Emulator().start()
    emu.state.add_zone("example.com")
    emu.state.add_token(TOKEN)
    zone_id = next(iter(emu.state.zones))
    rows = []
    rows.append(("enable from off, zone_id", measure(emu, zone_id=zone_id, state="enabled"), (2, 1)))
    rows.append(("idempotent, zone_id", measure(emu, zone_id=zone_id, state="enabled"), (2, 0)))
    rows.append(("idempotent, zone by name", measure(emu, zone="example.com", state="enabled"), (3, 0)))
    rows.append(("disable from on, zone by name", measure(emu, zone="example.com", state="disabled"), (3, 1)))
    emu.stop()
    over = False
    print("%-32s %5s %7s %8s  %s" % ("run", "GETs", "writes", "changed", "budget (GET, writes)"))
    for name, (gets, writes, changed), (bg, bw) in rows:
        ok = gets <= bg and writes <= bw
        over = over or not ok
        print("%-32s %5d %7d %8s  %s %s" % (name, gets, writes, changed, (bg, bw), "ok" if ok else "OVER BUDGET"))
    print("violations of the OpenAPI contract: %d" % len(emu.violations))
    return 1 if over or emu.violations else 0


if __name__ == "__main__":
    sys.exit(main())
