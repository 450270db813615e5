# tap.sh: TAP helpers for shell tests (sourced). plan N; ok COND-STATUS MESSAGE; skip_all WHY.
tap_n=0
tap_failed=0
plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
# ok STATUS MESSAGE: STATUS 0 is a pass.
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $tap_n - $2"; else echo "not ok $tap_n - $2"; tap_failed=1; fi
}
# diag TEXT: a comment line in the log.
diag() { echo "$*" | sed 's/^/# /'; }
# need_numpy: skip the whole test when no Python with numpy was found by configure.
need_numpy() { [ -n "$PYTHON_NUMPY" ] || skip_all "no Python with numpy"; }
finish() { exit $tap_failed; }
# wait_for_line PID FILE REGEX [SECONDS]: wait until FILE holds a line matching REGEX (grep -E),
# process PID has ended, or SECONDS (default 60; 600 under valgrind) have passed. A test that
# signals a background command first waits for a line that the command prints once its handlers
# are in place: a background command of a script starts with SIGINT ignored, so a signal sent
# before the command installs its handler is lost. Empty FILE before starting the command
# (`: >FILE`): the command's own `2>FILE` is done in the child after the fork, possibly after this
# function's first look, which would then find the line a previous command left there.
wait_for_line() {
	_limit=$((${4:-60} * 10))
	[ -n "${HS_VALGRIND:-}" ] && _limit=$((_limit * 10))
	_i=0
	while [ $_i -lt $_limit ] && kill -0 "$1" 2>/dev/null && ! grep -q -E "$3" "$2"; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
# wait_bounded PID SECONDS: wait for PID like `wait`, but kill it (status 137) when it outlives
# SECONDS, so that a lost signal fails one check instead of hanging the suite.
wait_bounded() {
	# The guard's output goes nowhere: the TAP driver reads this script's stdout to its end.
	(sleep "$2" && kill -KILL "$1") >/dev/null 2>&1 &
	_guard=$!
	wait "$1"
	_rc=$?
	kill "$_guard" 2>/dev/null
	wait "$_guard" 2>/dev/null
	return $_rc
}
