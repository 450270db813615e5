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
