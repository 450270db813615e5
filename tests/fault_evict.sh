# fault_evict.sh (run as ocl/fault_evict.sh): a problem larger than the device's memory but not
# the host's completes, and right: 2048 x 2048 -> 2048 in tiles of 512 holds 48 MiB of x, W and
# y, the OpenCL device gets 8 MiB (STARPU_LIMIT_OPENCL_MEM), so StarPU must evict tiles to main
# memory and bring them back. Checked with --check, on the OpenCL worker alone (every task on
# the device) and with a CPU worker beside it (where the policy splits the work as it likes).
. "$HS_TOP_SRCDIR/tests/tap.sh"
[ "$HS_WORKERS" = opencl ] || skip_all "needs the OpenCL-on-CPU worker (run as ocl/fault_evict.sh)"
plan 2
d=$HS_TMPDIR
export STARPU_LIMIT_OPENCL_MEM=8
for workers in "--ncpu 0 --nopencl 1" "--ncpu 1 --nopencl 1"; do
	timeout 600 "$HETSCHED" run $workers --opencl-on-cpu --batch 2048 --in 2048 --out 2048 \
		--tile 512 --check --json >"$d/json" 2>"$d/err"
	rc=$?
	python3 - "$d/json" "$workers" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except ValueError as e:
    print("# no JSON: %s" % e); sys.exit(1)
k, c = r["tasks_by_kind"], r["check"]
print("# %s: tasks by kind %r, check %r (max rel err %.3g, %s)"
      % (sys.argv[2], k, c["ok"], c["max_rel_err"], c["method"]))
# OpenCL alone: every task on the device, so tiles must go out and back. With a CPU worker the
# policy may keep the device idle: only the result is checked.
only_opencl = "--ncpu 0" in sys.argv[2]
sys.exit(0 if c["ok"] and (not only_opencl or (k["cpu"] == 0 and k["opencl"] > 0)) else 1)
PY
	[ $? -eq 0 ] && [ $rc -eq 0 ]
	ok $? "48 MiB problem, 8 MiB device, $workers: exit $rc, --check OK $(head -n 1 "$d/err")"
done
finish
