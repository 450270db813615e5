# fault_shared_home.sh: two `hetsched run` at once sharing one STARPU_HOME (as jobs of one user
# on one node do): both right (--check), and what they leave behind sound: StarPU itself loads
# the performance models they both wrote, with entries that all have samples (fault_perfmodel),
# a third run reads them without a complaint from StarPU, and `hetsched calibrate` works on
# them. Five rounds, each from an empty STARPU_HOME, so that both runs also calibrate the bus
# and write its files at the same time.
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 12
d=$HS_TMPDIR
pm=$HS_TOP_BUILDDIR/tests/fault_perfmodel
run="--ncpu 1 --batch 1024 --in 1024 --out 1024 --tile 256 --repeat 3 --check --quiet"
for round in 1 2 3 4 5; do
	rm -rf "$STARPU_HOME" && mkdir -p "$STARPU_HOME"
	"$HETSCHED" run $run --seed 1 >"$d/out1" 2>"$d/err1" &
	p1=$!
	"$HETSCHED" run $run --seed 2 >"$d/out2" 2>"$d/err2" &
	p2=$!
	wait $p1
	rc1=$?
	wait $p2
	rc2=$?
	[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]
	ok $? "round $round: two runs at once, one STARPU_HOME: exit $rc1 and $rc2 with --check $(cat "$d/err1" "$d/err2" | head -n 2)"
	"$pm" hetsched_linear hetsched_rand >"$d/pm" 2>&1
	rc=$?
	cat "$d/pm" | sed 's/^\([^#]\)/# \1/'
	[ $rc -eq 0 ]
	ok $? "round $round: StarPU loads both models, every entry sound"
done
env -u STARPU_SILENT "$HETSCHED" run $run >"$d/out" 2>"$d/err"
rc=$?
diag "$(cat "$d/err")"
[ $rc -eq 0 ] && ! grep -qiE 'corrupt|invalid|error|cannot|could not|unable' "$d/err"
ok $? "a third run reads the models without a complaint from StarPU (exit $rc)"
"$HETSCHED" calibrate --ncpu 1 --sizes 512 --tile 256 >"$d/out" 2>"$d/err"
rc=$?
[ $rc -eq 0 ] && grep -q 'calibrated' "$d/out" && "$pm" hetsched_linear >/dev/null
ok $? "hetsched calibrate works on them afterwards (exit $rc) $(head -n 1 "$d/err")"
finish
