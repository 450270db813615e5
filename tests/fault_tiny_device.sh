# fault_tiny_device.sh (run as ocl/fault_tiny_device.sh): a device whose memory
# (STARPU_LIMIT_OPENCL_MEM=1, in MiB) is smaller than one tile. With the OpenCL worker alone,
# `hetsched run` fails at once (exit 1, one line with the sizes, no output file) instead of
# letting StarPU evict and retry for ever; with a CPU worker beside it, the run completes on the
# CPU and is right. Each run has a timeout: a hang is a failure, not a stuck test suite.
. "$HS_TOP_SRCDIR/tests/tap.sh"
[ "$HS_WORKERS" = opencl ] || skip_all "needs the OpenCL-on-CPU worker (run as ocl/fault_tiny_device.sh)"
plan 3
d=$HS_TMPDIR
export STARPU_LIMIT_OPENCL_MEM=1
big="--batch 2048 --in 2048 --out 2048 --tile 1024"

start=$(date +%s)
timeout 120 "$HETSCHED" run --ncpu 0 --nopencl 1 --opencl-on-cpu $big --save "$d/y.npy" \
	>"$d/out" 2>"$d/err"
rc=$?
secs=$(($(date +%s) - start))
diag "$(cat "$d/err")"
[ $rc -ne 124 ]
ok $? "OpenCL worker only, 1 MiB for 4 MiB tiles: no hang (exit $rc after $secs s)"
[ $rc -eq 1 ] && [ "$(wc -l <"$d/err")" -eq 1 ] && grep -q 'MiB.*smaller tiles' "$d/err" &&
	[ ! -s "$d/out" ] && [ -z "$(ls "$d" | grep '^y\.npy')" ]
ok $? "exit 1, one line with the sizes, no output: $(head -n 1 "$d/err")"

timeout 300 "$HETSCHED" run --ncpu 1 --nopencl 1 --opencl-on-cpu --batch 1024 --in 1024 \
	--out 1024 --tile 512 --check --json >"$d/json" 2>"$d/err"
rc=$?
python3 - "$d/json" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except ValueError as e:
    print("# no JSON: %s" % e); sys.exit(1)
print("# tasks by kind %r, check %r" % (r["tasks_by_kind"], r["check"]["ok"]))
sys.exit(0 if r["check"]["ok"] and r["tasks_by_kind"]["opencl"] == 0
         and r["tasks_by_kind"]["cpu"] > 0 else 1)
PY
[ $? -eq 0 ] && [ $rc -eq 0 ]
ok $? "CPU + OpenCL worker, same limit: exit $rc, every task on the CPU, --check OK"
finish
