# fault_host_memory.sh: a problem larger than the node's memory is refused before anything is
# allocated or started: exit 2 at once, one line giving both sizes in GiB (the problem's, as
# hetsched counts it, and this node's, as /proc/meminfo gives it), no StarPU start (its
# STARPU_HOME stays empty), no output file; for generated and for loaded (--input) inputs.
. "$HS_TOP_SRCDIR/tests/tap.sh"
need_numpy
plan 4
d=$HS_TMPDIR
mem_kib=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
"$PYTHON_NUMPY" -c "import numpy; numpy.save('$d/x.npy', numpy.ones((4, 100000), 'f4'))" ||
	{ echo "Bail out! numpy failed"; exit 1; }
# batch x in -> out: x, W, b, y, and y gathered; the expected GiB from the same count.
for args in "--batch 4000000 --in 100000 --out 100000" "--input $d/x.npy --out 40000000"; do
	start=$(date +%s%N)
	"$HETSCHED" run $args --save "$d/y.npy" >"$d/out" 2>"$d/err"
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	diag "$(cat "$d/err")"
	[ $rc -eq 2 ] && [ "$(wc -l <"$d/err")" -eq 1 ] && [ ! -s "$d/out" ] && [ ! -e "$d/y.npy" ] &&
		[ -z "$(ls -A "$STARPU_HOME")" ] && [ $ms -lt 5000 ]
	ok $? "run $args: exit $rc after $ms ms, nothing started, nothing written"
	python3 - "$d/err" "$mem_kib" <<'PY'
import re, sys
line = open(sys.argv[1]).read()
m = re.search(r"needs ([0-9.]+) GiB but this node has ([0-9.]+) GiB", line)
if not m:
    print("# no 'needs X GiB but this node has Y GiB' in: %s" % line.strip()); sys.exit(1)
need, have = float(m.group(1)), float(m.group(2))
node = int(sys.argv[2]) / 2**20
print("# needs %.2f GiB, node %.2f GiB (/proc/meminfo %.2f)" % (need, have, node))
sys.exit(0 if need > have and abs(have - node) <= 0.02 * node + 0.01 else 1)
PY
	ok $? "the message gives both sizes, the node's as /proc/meminfo has it"
done
finish
