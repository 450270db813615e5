#!/usr/bin/env python3
# sim_compare.py MEASURED.csv SIMULATED.csv [MISSES]: one TAP line per configuration (policy, N,
# tile) of MEASURED: the median GFLOP/s of the simulated passes against the median of the
# measured ones, within +-10% for dmda and dmdas and +-30% for the other policies. MISSES lists
# "policy N tile reason" lines: such a configuration's line carries "# TODO reason" (a miss
# explained in BENCHMARKS.md: the harness counts it as an expected failure, and as a failure if
# it ever passes, so that a stale explanation is noticed). Prints the table of BENCHMARKS.md
# on stderr.
import csv, statistics, sys

TOLERANCE = {"dmda": 0.10, "dmdas": 0.10}
OTHERS = 0.30


def medians(path):
    runs = {}
    for r in csv.DictReader(open(path)):
        runs.setdefault((r["sched"], int(r["batch"]), int(r["tile"])), []).append(float(r["gflops"]))
    return runs


measured, simulated = medians(sys.argv[1]), medians(sys.argv[2])
misses = {}
if len(sys.argv) > 3:
    for line in open(sys.argv[3]):
        if line.strip() and not line.startswith("#"):
            p, n, t, why = line.split(None, 3)
            misses[(p, int(n), int(t))] = why.strip()
print("1..%d" % len(measured))
table = ["| policy | N | tile | measured median (min-max) GFLOP/s | simulated | sim/measured | target | |",
         "|---|---|---|---|---|---|---|---|"]
for i, key in enumerate(sorted(measured, key=lambda k: (list(measured).index(k))), 1):
    m = statistics.median(measured[key])
    tol = TOLERANCE.get(key[0], OTHERS)
    if key not in simulated:
        print("not ok %d - %s n=%d tile=%d: not simulated" % ((i,) + key))
        continue
    s = statistics.median(simulated[key])
    ratio = s / m
    good = abs(ratio - 1) <= tol
    line = "%s %d - %s n=%d tile=%d: simulated %.0f / measured %.0f (%.0f-%.0f) GFLOP/s = %.3f, target 1 +- %.2f" % (
        "ok" if good else "not ok", i, key[0], key[1], key[2], s, m, min(measured[key]),
        max(measured[key]), ratio, tol)
    if key in misses:
        line += " # TODO " + misses[key]
    print(line)
    table.append("| %s | %d | %d | %.0f (%.0f-%.0f) | %.0f | %.3f | +-%d%% | %s |" % (
        key[0], key[1], key[2], m, min(measured[key]), max(measured[key]), s, ratio, tol * 100,
        "yes" if good else "**miss**"))
print("\n".join(table), file=sys.stderr)
