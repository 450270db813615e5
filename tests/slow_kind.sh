# slow_kind.sh: a slow kind of worker never costs time, calibrated or not (issue 18). On a fresh
# STARPU_HOME (no model at all) with one CPU worker and one OpenCL-on-CPU worker (PoCL, about six
# times slower than an OpenBLAS core), dmda would send the OpenCL worker tiles to measure it; one
# 1024^3 task takes it longer than the CPU takes over the whole pass of two such tasks, so
# hetsched offers it none (the speeds come from the probe of hetsched_init; the margin is wide,
# so that a probe slowed down by a loaded machine does not decide). With HETSCHED_ALL_KINDS=1 the rule is
# off and the OpenCL worker gets tiles: the rule, not the policy, kept them away. With small
# tiles the OpenCL worker is offered a share of them, and the results stay right.
. "$HS_TOP_SRCDIR/tests/tap.sh"
[ "$HS_WORKERS" = opencl ] || skip_all "needs the OpenCL-on-CPU worker (run as ocl/slow_kind.sh)"
plan 3
d=$HS_TMPDIR
mixed="--ncpu 1 --nopencl 1 --opencl-on-cpu --sched dmda --check --json"
tasks() { # FILE: "cpu opencl ok" from run --json
	"$PYTHON_NUMPY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["tasks_by_kind"]["cpu"], d["tasks_by_kind"]["opencl"], int(d["check"]["ok"]))' "$1"
}
fresh() { rm -rf "$d/home" && mkdir -p "$d/home"; }

fresh
STARPU_HOME=$d/home "$HETSCHED" run --batch 1024 --in 1024 --out 2048 --tile 1024 $mixed \
	>"$d/big.json" 2>"$d/err" && set -- $(tasks "$d/big.json")
diag "fresh home, tile 1024: cpu $1 opencl $2 tasks, check $3; $(cat "$d/err")"
[ "${2:-x}" = 0 ] && [ "${1:-0}" -eq 2 ] && [ "${3:-0}" = 1 ]
ok $? "fresh STARPU_HOME, 1024^3 tasks: the OpenCL worker gets neither of the 2, result right"

fresh
STARPU_HOME=$d/home HETSCHED_ALL_KINDS=1 "$HETSCHED" run --batch 1024 --in 1024 --out 1024 \
	--tile 512 $mixed >"$d/all.json" 2>"$d/err" && set -- $(tasks "$d/all.json")
diag "HETSCHED_ALL_KINDS=1, tile 512: cpu $1 opencl $2 tasks, check $3; $(cat "$d/err")"
[ "${2:-0}" -gt 0 ] && [ "${3:-0}" = 1 ]
ok $? "HETSCHED_ALL_KINDS=1: dmda gives the uncalibrated OpenCL worker tasks (the rule is off)"

fresh
STARPU_HOME=$d/home "$HETSCHED" run --batch 1024 --in 1024 --out 1024 --tile 128 $mixed \
	>"$d/small.json" 2>"$d/err" && set -- $(tasks "$d/small.json")
diag "fresh home, tile 128: cpu $1 opencl $2 tasks of 512, check $3; $(cat "$d/err")"
[ "${1:-0}" -gt 0 ] && [ $((${1:-0} + ${2:-0})) -eq 512 ] && [ "${2:-512}" -lt 256 ] &&
	[ "${3:-0}" = 1 ]
ok $? "fresh STARPU_HOME, 128^2 tiles: the OpenCL worker takes at most a minority, result right"
finish
