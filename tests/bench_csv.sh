# bench_csv.sh: `hetsched bench --csv` writes the documented header and one row per (policy,
# size, tile, repeat), with values in range: task counts as the tiling implies, GFLOP/s that
# agree with elapsed_s, busy fractions in [0, 1], every pass checked OK; without --csv the same
# CSV goes to stdout; --layers chains layers; and --sched all runs exactly the policies that
# StarPU itself lists under STARPU_SCHED=help.
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 7
d=$HS_TMPDIR

"$HETSCHED" bench --sched eager,dmda --sizes 64,96 --tiles 32,64 --repeat 2 --csv "$d/out.csv" \
	>"$d/stdout" 2>"$d/stderr"
ok $? "bench --csv exits 0 $(tail -n 1 "$d/stderr")"

# check_csv FILE POLICIES SIZES TILES REPEAT LAYERS: header, rows and values.
check_csv() {
	python3 - "$@" "$HS_WORKERS" "$("$HETSCHED" --version)" <<'PY'
import csv, itertools, math, re, sys
path, scheds, sizes, tiles, repeat, layers, workers, version = sys.argv[1:]
scheds = scheds.split(","); sizes = [int(s) for s in sizes.split(",")]
tiles = [int(t) for t in tiles.split(",")]; repeat = int(repeat); layers = int(layers)
header = ("timestamp,host,hetsched_version,starpu_version,sched,ncpu,ncuda,nopencl,batch,in,out,"
          "layers,tile,repeat,elapsed_s,gflops,tasks_cpu,tasks_cuda,tasks_opencl,busy_cpu,"
          "busy_cuda,busy_opencl,bytes_moved,check_ok,scenario,h2d_bytes,d2h_bytes,simulated,"
          "dtype,precision")
lines = open(path).read().splitlines()
fails = []
if lines[0] != header:
    fails.append("header %r" % lines[0])
rows = list(csv.DictReader(lines))
want = sorted(itertools.product(scheds, sizes, tiles, range(1, repeat + 1)))
got = sorted((r["sched"], int(r["batch"]), int(r["tile"]), int(r["repeat"])) for r in rows)
if got != want:
    fails.append("%d rows %r, want %d %r" % (len(got), got[:6], len(want), want[:6]))
m = re.match(r"hetsched (\S+) \(StarPU (\S+)\)", version)
for r in rows:
    key = "%s n=%s tile=%s #%s" % (r["sched"], r["batch"], r["tile"], r["repeat"])
    n, t = int(r["batch"]), int(r["tile"])
    ntasks = layers * math.ceil(n / t) ** 3
    nkind = {k: int(r["n" + k]) for k in ("cpu", "cuda", "opencl")}
    checks = [
        (re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["timestamp"]), "timestamp"),
        (r["host"] != "", "host"),
        (m and r["hetsched_version"] == m.group(1) and r["starpu_version"] == m.group(2), "versions"),
        (r["in"] == r["out"] == r["batch"], "batch = in = out"),
        (int(r["layers"]) == layers, "layers"),
        (float(r["elapsed_s"]) > 0, "elapsed_s > 0"),
        (float(r["gflops"]) > 0, "gflops > 0"),
        (abs(float(r["gflops"]) * float(r["elapsed_s"]) * 1e9 / (2.0 * n**3 * layers) - 1) < 0.01,
         "gflops = 2 N^3 L / elapsed_s"),
        (sum(int(r["tasks_" + k]) for k in nkind) == ntasks, "tasks add up to %d" % ntasks),
        (all(0 <= float(r["busy_" + k]) <= 1 for k in nkind), "busy in [0, 1]"),
        (all(int(r["tasks_" + k]) == 0 and float(r["busy_" + k]) == 0
             for k in nkind if nkind[k] == 0), "no work for an absent kind"),
        (int(r["bytes_moved"]) >= 0, "bytes_moved >= 0"),
        (r["check_ok"] == "1", "check_ok"),
        (r["scenario"] == "resident", "scenario resident (the default)"),
        (int(r["h2d_bytes"]) >= 0 and int(r["d2h_bytes"]) >= 0
         and int(r["h2d_bytes"]) + int(r["d2h_bytes"]) <= int(r["bytes_moved"]),
         "h2d_bytes + d2h_bytes <= bytes_moved"),
        (r["simulated"] == "0", "simulated"),
        (r["dtype"] == "f32" and r["precision"] == "fp32", "dtype f32, precision fp32 (defaults)"),
    ]
    if workers == "cpu":
        checks += [(nkind["cpu"] > 0 and nkind["opencl"] == 0, "cpu workers only"),
                   (int(r["bytes_moved"]) == 0, "nothing moves with one memory node")]
    else:
        checks += [(nkind["cpu"] == 1 and nkind["opencl"] == 1, "1 cpu + 1 opencl worker")]
    for good, what in checks:
        if not good:
            fails.append("%s: %s (%r)" % (key, what, dict(r))); break
for f in fails[:10]: print("# " + f)
sys.exit(1 if fails else 0)
PY
}
check_csv "$d/out.csv" eager,dmda 64,96 32,64 2 1
ok $? "header, one row per (policy, size, tile, repeat), values in range"

# Without --csv, the CSV is the only thing on stdout.
"$HETSCHED" bench --sched lws --sizes 64 --tiles 32 --repeat 2 --quiet >"$d/stdout.csv" 2>"$d/stderr"
rc=$?
[ $rc -eq 0 ] && check_csv "$d/stdout.csv" lws 64 32 2 1 && [ ! -s "$d/stderr" ]
ok $? "no --csv: the CSV on stdout, --quiet: nothing on stderr (exit $rc)"

# Three layers: every layer's tasks are counted, and the last layer is checked.
"$HETSCHED" bench --sched dmdas --sizes 64 --tiles 32 --layers 3 --repeat 2 --quiet \
	--csv "$d/layers.csv" >"$d/stdout" 2>"$d/stderr" && check_csv "$d/layers.csv" dmdas 64 32 2 3
ok $? "--layers 3: 3 x 8 tasks per pass, checked"

# --tiles auto resolves to the rule of `hetsched run --tile auto`: square tiles of 1024 halved
# to 256 until each worker has about 4 tiles, never larger than N. Here, N = 96: tile 96.
"$HETSCHED" bench --sched eager --sizes 96 --tiles auto --repeat 1 --quiet \
	--csv "$d/auto.csv" >"$d/stdout" 2>"$d/stderr" && check_csv "$d/auto.csv" eager 96 96 1 1
ok $? "--tiles auto gives N when N < 256"

# --sched all: exactly the policies StarPU lists (asked independently, from a plain StarPU
# program), in StarPU's order.
starpu_count=$HS_TOP_BUILDDIR/tests/starpu_count
STARPU_SCHED=help "$starpu_count" >/dev/null 2>"$d/help.txt"
sed -n 's/^\([A-Za-z0-9_-]*\)[[:space:]]*->.*/\1/p' "$d/help.txt" >"$d/starpu-policies"
n=$(wc -l <"$d/starpu-policies")
[ "$n" -ge 5 ]
ok $? "StarPU lists $n policies under STARPU_SCHED=help"
"$HETSCHED" bench --sched all --sizes 32 --tiles 32 --repeat 1 --pass-timeout 60 --csv "$d/all.csv" \
	>"$d/stdout" 2>"$d/stderr" &&
	python3 - "$d/all.csv" "$d/starpu-policies" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
want = open(sys.argv[2]).read().split()
got = [r["sched"] for r in rows]
if got != want:
    print("# bench ran %r" % got); print("# StarPU offers %r" % want)
bad = [r["sched"] for r in rows if r["check_ok"] != "1"]
if bad: print("# check failed under %r" % bad)
sys.exit(1 if got != want or bad else 0)
PY
ok $? "--sched all runs each of the $n policies once, in StarPU's order, checks OK"
finish
