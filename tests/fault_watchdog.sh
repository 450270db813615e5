# fault_watchdog.sh: a task that never finishes (the preloaded hang_task.so submits one right
# after StarPU starts, for this test only) ends the run when --watchdog is given: exit 1 within
# about twice the period, one line naming the stall, no output file. Without --watchdog the same run
# is still stuck after 5 s (that is what the option is for); with it, a normal run is not
# disturbed; and the option's value is checked.
. "$HS_TOP_SRCDIR/tests/tap.sh"
"$HETSCHED" help run | grep -q -- '--watchdog' || skip_all "this hetsched has no --watchdog"
plan 5
# Under AddressSanitizer the preloaded library comes before ASan's runtime: allowed here.
shim=$HS_TOP_BUILDDIR/tests/.libs/hang_task.so
hang="LD_PRELOAD=$shim${LD_PRELOAD:+:$LD_PRELOAD}"
asan="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
d=$HS_TMPDIR
small="--batch 64 --in 64 --out 64"

start=$(date +%s%N)
timeout 60 env "$hang" "$asan" "$HETSCHED" run $small --watchdog 1 --save "$d/y.npy" \
	>"$d/out" 2>"$d/err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
diag "$(cat "$d/err")"
[ $rc -eq 1 ] && [ $ms -lt 15000 ] && [ "$(wc -l <"$d/err")" -eq 1 ] &&
	grep -q 'watchdog' "$d/err" && [ ! -e "$d/y.npy" ]
ok $? "hung task, --watchdog 1: exit $rc after $ms ms, one line, no output"

env "$hang" "$asan" "$HETSCHED" run $small >"$d/out" 2>"$d/err" &
pid=$!
sleep 5
kill -0 $pid 2>/dev/null
alive=$?
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
[ $alive -eq 0 ]
ok $? "hung task, no --watchdog: still running after 5 s (killed by the test)"

timeout 120 "$HETSCHED" run --batch 512 --in 512 --out 512 --watchdog 30 --check --quiet \
	>"$d/out" 2>"$d/err"
rc=$?
[ $rc -eq 0 ]
ok $? "normal run with --watchdog 30 --check: exit $rc $(cat "$d/err")"

for bad in 0 -1 abc 1e9; do
	"$HETSCHED" run $small --watchdog "$bad" >"$d/out" 2>"$d/err"
	rc=$?
	[ $rc -eq 2 ] && grep -q 'watchdog' "$d/err" || break
done
[ $rc -eq 2 ]
ok $? "--watchdog 0, -1, abc, 1e9: exit 2 naming the option ($(head -n 1 "$d/err"))"
"$HETSCHED" help run | grep -q -- '--watchdog S'
ok $? "the help lists --watchdog"
finish
