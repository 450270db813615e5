# run_json_trace.sh: `hetsched run --json` prints one object with the fields of DESIGN.md, and
# --trace writes Chrome trace events with one track per worker and one "X" slice per task
# executed (as many as the JSON's per-worker task counts add up to). The text summary of a run
# of several passes gives each worker's busy share of the last pass, the one its counts are from.
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 4
d=$HS_TMPDIR
"$HETSCHED" run --batch 512 --in 384 --out 256 --hidden 128 --tile 128 --check --json \
	--trace "$d/t.json" >"$d/run.json" 2>"$d/stderr"
ok $? "run --json --trace exits 0 $(cat "$d/stderr")"
python3 - "$d/run.json" "$d/t.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
fails = []
for key in ("version", "starpu_version", "sched", "shape", "tile", "seed", "elapsed_s", "gflops",
            "workers", "tasks_by_kind", "check"):
    if key not in run: fails.append("json: missing " + key)
if run.get("shape") != {"batch": 512, "in": 384, "out": 256, "hidden": [128]}:
    fails.append("json: shape %r" % run.get("shape"))
for w in run.get("workers", []):
    for key in ("id", "name", "kind", "tasks", "busy_s"):
        if key not in w: fails.append("json: worker without " + key)
if set(run.get("tasks_by_kind", {})) != {"cpu", "cuda", "opencl"}:
    fails.append("json: tasks_by_kind %r" % run.get("tasks_by_kind"))
tasks = sum(w["tasks"] for w in run["workers"])
# 512x384 -> 128 -> 256 in tiles of 128: 4*1*3 + 4*2*1 tasks
if tasks != 4 * 1 * 3 + 4 * 2 * 1: fails.append("json: %d tasks, want 20" % tasks)
if sum(run["tasks_by_kind"].values()) != tasks: fails.append("json: tasks_by_kind does not add up")
if not run["check"]["ok"] or run["check"]["max_rel_err"] > 1e-4: fails.append("json: check %r" % run["check"])
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
ok $? "JSON fields, task counts (20) and check"
python3 - "$d/run.json" "$d/t.json" <<'PY'
import json, sys
run, trace = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
fails = []
events = trace.get("traceEvents", [])
slices = [e for e in events if e.get("ph") == "X"]
names = {e["tid"]: e["args"]["name"] for e in events if e.get("ph") == "M" and e.get("name") == "thread_name"}
if len(slices) != sum(w["tasks"] for w in run["workers"]):
    fails.append("%d slices for %d tasks" % (len(slices), sum(w["tasks"] for w in run["workers"])))
if sorted(names) != sorted(w["id"] for w in run["workers"]):
    fails.append("tracks %r, workers %r" % (sorted(names), [w["id"] for w in run["workers"]]))
for e in slices:
    if not (e["tid"] in names and e["dur"] >= 0 and e["ts"] >= 0 and e["name"].startswith("linear (")):
        fails.append("bad slice %r" % e); break
per_tid = {}
for e in slices: per_tid[e["tid"]] = per_tid.get(e["tid"], 0) + 1
for w in run["workers"]:
    if per_tid.get(w["id"], 0) != w["tasks"]:
        fails.append("worker %d: %d slices, %d tasks" % (w["id"], per_tid.get(w["id"], 0), w["tasks"]))
for f in fails: print("# " + f)
sys.exit(1 if fails else 0)
PY
ok $? "trace: one track per worker, one X slice per task"
# Text summary, 4 passes: the table is the last pass's; its busy% is task time over that pass's
# time (it was once divided by the fastest pass, and went above 100 %).
"$HETSCHED" run --batch 512 --in 512 --out 512 --tile 128 --repeat 4 >"$d/text" 2>"$d/stderr"
python3 - "$d/text" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
last = re.search(r"^last pass \(([0-9.]+) s\):$", text, re.M)
rows = re.findall(r"^  \d+\s+.*?\s(cpu|cuda|opencl)\s+(\d+)\s+([0-9.]+)%", text, re.M)
busy = [float(r[2]) for r in rows]
print("# last pass %s, busy%% %r" % (last and last.group(1), busy))
# A worker may get no task (dmda can leave a slow OpenCL worker idle): 0 % is a value, but some
# worker did work.
sys.exit(0 if last and rows and all(0 <= b <= 100.0 for b in busy) and max(busy) > 0 else 1)
PY
ok $? "--repeat 4: per-worker table of the last pass, every busy% in [0, 100], some above 0"
finish
