"""Extrapolate the AWX workflow's wall time for large fleets from fleet_bench.py's measurements.

    python tests/benchmarks/fleet_extrapolate.py BENCH_JSON [--origins 1000,10000] [--slices 1,10,50] [--forks 10,50]

BENCH_JSON is fleet_bench.py --json (make bench-fleet writes .cache/bench-fleet.json). Prints the reStructuredText
tables of docs/docsite/rst/guide_scale.rst: the measurements, then the extrapolation. The model, from the measured sizes (least squares, seconds = fixed +
per_origin * N, forks as measured):
  per-origin work of the sliced phases  = enable_aop's (e) per-origin cost + 3 more preflights ((f) per origin:
                                          the re-run is a preflight and a summary), spread over the slices
  the cloudflare phase (one job, every origin observed) = (f)'s fixed + per-origin * N, not sliced
  fixed cost                            = (e)'s fixed cost + 4 more jobs at (f)'s fixed cost
  forks                                 per-origin cost * measured forks / forks (the execution node has the
                                          cores for them; on the 2-core measuring machine more forks did not help)
The gate's wait (traffic-bound) and AWX's own job start-up and slice scheduling are not in it.
"""

from __future__ import annotations

import argparse
import json


def fit(points):
    """Least squares seconds = a + b * n."""
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else my / mx
    return my - b * mx, b


def model(data):
    forks = data[0]["forks"]
    e = fit([(d["size"], d["runs"]["e"]["seconds"]) for d in data])
    f = fit([(d["size"], d["runs"]["f"]["seconds"]) for d in data])
    return forks, e, f


def wall(n, slices, forks_at, measured_forks, e, f):
    scale = measured_forks / forks_at
    sliced = (max(e[1], 0) + 3 * max(f[1], 0)) * scale * n / slices
    single = max(f[0], 0) + max(f[1], 0) * scale * n
    fixed = max(e[0], 0) + 4 * max(f[0], 0)
    return fixed + sliced + single, single


def hms(seconds):
    m = int(round(seconds / 60.0))
    return "%dh %02dmin" % divmod(m, 60) if m >= 60 else "%d min" % max(m, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bench_json")
    ap.add_argument("--origins", default="1000,10000")
    ap.add_argument("--slices", default="1,10,50")
    ap.add_argument("--forks", default="10,50")
    args = ap.parse_args()
    with open(args.bench_json) as fh:
        data = json.load(fh)
    measured_forks, e, f = model(data)
    print(".. list-table::\n   :header-rows: 1\n")
    print("   * - origins\n     - ping floor\n     - stage, changed\n     - stage, idempotent\n     - enable_aop\n     - enable_aop re-run")
    for d in data:
        floor = d["runs"]["a"]["seconds"]
        cells = ["%.0f s" % floor] + [
            "%.1fx (%.2f s/origin)" % (d["runs"][k]["seconds"] / floor, d["runs"][k]["seconds"] / d["size"]) for k in ("c", "d", "e", "f")
        ]
        print("   * - %d\n%s" % (d["size"], "\n".join("     - " + c for c in cells)))
    print()
    print(".. measured: sizes %s, forks %d" % (", ".join(str(d["size"]) for d in data), measured_forks))
    print(".. enable_aop (e): %.1f s + %.3f s/origin; re-run (f): %.1f s + %.3f s/origin\n" % (e[0], e[1], f[0], f[1]))
    print(".. list-table::\n   :header-rows: 1\n")
    print("   * - origins\n     - slices\n     - forks per job\n     - workflow wall time (gate wait excluded)\n     - of which the cloudflare phase (one job)")
    for n in (int(x) for x in args.origins.split(",")):
        for slices in (int(x) for x in args.slices.split(",")):
            for forks in (int(x) for x in args.forks.split(",")):
                total, single = wall(n, slices, forks, measured_forks, e, f)
                print("   * - %s\n     - %d\n     - %d\n     - %s\n     - %s" % (format(n, ","), slices, forks, hms(total), hms(single)))


if __name__ == "__main__":
    main()
