# messages.sh: what a newcomer reads on the first runs (issue 21).
#  - StarPU's own warnings (model not calibrated enough, too big deviation, bus calibration) stay
#    off by default: one line of hetsched's instead, naming the shape, saying the first runs may
#    be slower and how `hetsched calibrate` fixes it; gone once calibrated; StarPU's lines come
#    back with --verbose or STARPU_SILENT=0.
#  - cores that this StarPU's STARPU_MAXCPUS leaves idle are named in one line by info and run
#    (a 16-core node made with HWLOC_SYNTHETIC).
#  - workers asked for and not there: none of a kind that cannot exist is exit 2 with the
#    reason; fewer than asked is one line; no internal -1 in the no-worker message.
#  - calibrate prints the real model folder and host name, and "1 kind of worker".
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 13
d=$HS_TMPDIR
# nworkers KIND: the workers of that kind in `hetsched info --json` on stdin.
nworkers() { python3 -c 'import json, sys; print(sum(w["kind"] == sys.argv[1] for w in json.load(sys.stdin)["workers"]))' "$1" 2>/dev/null || echo 0; }
small="--batch 256 --in 256 --out 256 --tile 128 --ncpu 1 --nopencl 0"
unset STARPU_SILENT

# 1-4: the calibration line, and StarPU's own lines only when asked for.
"$HETSCHED" run $small >/dev/null 2>"$d/first"
rc=$?
[ $rc = 0 ] && [ "$(grep -c . "$d/first")" = 1 ] &&
	grep -qx "hetsched: run: StarPU's performance models are not calibrated yet for this shape (256 x 256 -> 256, tile 128: [0-9]* of the (task shape, worker kind) pairs lacks\{0,1\} samples), so the first runs may be slower; \`hetsched calibrate --sizes 256 --tile 128\` calibrates them" "$d/first"
ok $? "first run: exit $rc, one line of hetsched's on stderr, no StarPU line ($(cat "$d/first"))"
rm -rf "$STARPU_HOME"/.starpu
"$HETSCHED" run $small --verbose >/dev/null 2>"$d/verbose"
grep -q '^\[starpu\]' "$d/verbose" && grep -q "not calibrated yet" "$d/verbose"
ok $? "--verbose: StarPU's own lines too ($(grep -c '^\[starpu\]' "$d/verbose") of them)"
rm -rf "$STARPU_HOME"/.starpu
STARPU_SILENT=0 "$HETSCHED" run $small >/dev/null 2>"$d/silent0"
grep -q '^\[starpu\]' "$d/silent0"
ok $? "STARPU_SILENT=0: StarPU's own lines ($(grep -c '^\[starpu\]' "$d/silent0"))"
"$HETSCHED" calibrate --sizes 256 --tile 128 --ncpu 1 --nopencl 0 >"$d/cal" 2>"$d/cal.err"
"$HETSCHED" run $small >/dev/null 2>"$d/after"
[ ! -s "$d/after" ]
ok $? "after hetsched calibrate: nothing on stderr ($(cat "$d/after"))"

# 5: calibrate's own text.
host=${STARPU_HOSTNAME:-$(hostname | cut -d. -f1)}
grep -qx "size 256, tile 128: calibrated after [0-9]* pass\(es\)\{0,1\} ([0-9]* task classes, 1 kind of worker)" "$d/cal" &&
	grep -qxF "performance models: $STARPU_HOME/.starpu/sampling/codelets/45 (hetsched_rand.$host, hetsched_linear.$host)" "$d/cal" &&
	[ -f "$STARPU_HOME/.starpu/sampling/codelets/45/hetsched_linear.$host" ]
ok $? "calibrate names the model folder and host it wrote, and 1 kind of worker ($(tr '\n' '|' <"$d/cal"))"

# 6-7: cores above STARPU_MAXCPUS, on a node of 16 cores (hwloc's synthetic topology). hwloc
# ignores HWLOC_SYNTHETIC when HWLOC_COMPONENTS is set (the sanitizer builds set it): name the
# synthetic component first.
syn_components="synthetic${HWLOC_COMPONENTS:+,$HWLOC_COMPONENTS}"
HWLOC_COMPONENTS=$syn_components HWLOC_SYNTHETIC="package:1 core:16 pu:1" "$HETSCHED" info --json >"$d/syn.json" 2>/dev/null
max=$(nworkers cpu <"$d/syn.json")
if [ "$max" -ge 16 ] || [ "$max" = 0 ]; then
	ok 0 "# SKIP this StarPU starts $max CPU workers on 16 cores: no cap to report"
	ok 0 "# SKIP idem"
else
	line="hetsched: this StarPU runs at most $max CPU workers (STARPU_MAXCPUS) and this node has 16 cores: $((16 - max)) cores stay idle; a StarPU built with --enable-maxcpus (scripts/build-starpu.sh) uses them all"
	HWLOC_COMPONENTS=$syn_components HWLOC_SYNTHETIC="package:1 core:16 pu:1" "$HETSCHED" info >/dev/null 2>"$d/syn.info"
	grep -qxF "$line" "$d/syn.info" && [ "$(grep -c . "$d/syn.info")" = 1 ]
	ok $? "info on 16 cores, $max CPU workers: one line names the idle cores and the way out ($(cat "$d/syn.info"))"
	HWLOC_COMPONENTS=$syn_components HWLOC_SYNTHETIC="package:1 core:16 pu:1" "$HETSCHED" run --batch 64 --in 64 --out 64 --nopencl 0 --quiet 2>"$d/syn.run"
	grep -qxF "$line" "$d/syn.run"
	ok $? "run says it too ($(head -n 1 "$d/syn.run"))"
fi
# ... and not when STARPU_NCPU or --ncpu chose fewer, nor on this node's own cores.
"$HETSCHED" info >/dev/null 2>"$d/own.info"
! grep -q STARPU_MAXCPUS "$d/own.info"
ok $? "info on this node's $(nproc) cores: no such line"

# 8-13: workers asked for and not there.
features=$("$HETSCHED" info --json 2>/dev/null)
if echo "$features" | grep -q '"cuda": *false'; then
	"$HETSCHED" run --batch 64 --in 64 --out 64 --ncuda 1 --save "$d/y.npy" 2>"$d/ncuda"
	rc=$?
	[ $rc = 2 ] && [ ! -e "$d/y.npy" ] &&
		grep -qxF "hetsched: ncuda 1: this StarPU was built without CUDA, so it has no CUDA worker to give" "$d/ncuda"
	ok $? "--ncuda 1 without CUDA: exit 2 ($rc), one line, nothing written ($(cat "$d/ncuda"))"
else
	ok 0 "# SKIP this hetsched has CUDA"
fi
if echo "$features" | grep -q '"opencl": *true' && [ "$(echo "$features" | nworkers opencl)" = 0 ]; then
	"$HETSCHED" run --batch 64 --in 64 --out 64 --nopencl 1 2>"$d/nopencl"
	rc=$?
	[ $rc = 2 ] && grep -qxF "hetsched: nopencl 1: StarPU found no OpenCL device to run OpenCL workers on (an OpenCL CPU device, such as PoCL's, counts only with --opencl-on-cpu or STARPU_OPENCL_ON_CPUS=1)" "$d/nopencl"
	ok $? "--nopencl 1 without an OpenCL GPU: exit 2 ($rc), says --opencl-on-cpu ($(cat "$d/nopencl"))"
	"$HETSCHED" run --batch 64 --in 64 --out 64 --ncpu 0 --nopencl 1 2>"$d/none"
	rc=$?
	[ $rc = 2 ] && grep -qxF "hetsched: StarPU found no worker for this configuration (ncpu 0, ncuda StarPU's default, nopencl 1): an OpenCL CPU device, such as PoCL's, counts only with --opencl-on-cpu or STARPU_OPENCL_ON_CPUS=1" "$d/none"
	ok $? "--ncpu 0 --nopencl 1: no -1, says --opencl-on-cpu, exit 2 ($rc; $(cat "$d/none"))"
	npocl=$("$HETSCHED" info --json --ncpu 1 --nopencl 1 --opencl-on-cpu 2>/dev/null | nworkers opencl)
	if [ "$npocl" -ge 1 ]; then
		"$HETSCHED" run --batch 64 --in 64 --out 64 --ncpu 1 --nopencl $((npocl + 1)) --opencl-on-cpu --check --quiet 2>"$d/fewer"
		rc=$?
		[ $rc = 0 ] && grep -qxF "hetsched: nopencl $((npocl + 1)): StarPU started $npocl OpenCL worker$([ "$npocl" = 1 ] || echo s), as many as this node has devices for" "$d/fewer"
		ok $? "--nopencl $((npocl + 1)) with $npocl OpenCL CPU device: runs (exit $rc), one line says so ($(cat "$d/fewer"))"
	else
		ok 0 "# SKIP no OpenCL CPU device (PoCL)"
	fi
else
	ok 0 "# SKIP no OpenCL in this build, or an OpenCL GPU is there"
	ok 0 "# SKIP idem"
	ok 0 "# SKIP idem"
fi
"$HETSCHED" run --batch 64 --in 64 --out 64 --ncpu 0 --nopencl 0 --ncuda 0 2>"$d/zero"
rc=$?
[ $rc = 1 ] && grep -qxF "hetsched: StarPU found no worker for this configuration (ncpu 0, ncuda 0, nopencl 0)" "$d/zero"
ok $? "no worker at all: exit 1 ($rc; $(cat "$d/zero"))"
finish
