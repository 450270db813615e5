#!/bin/sh
# summary.sh LOG: the closing line of make check, "N passed, N failed, N skipped", from the
# counts the test harness wrote into test-suite.log (errors and unexpected passes count as failed).
log=$1
if [ ! -f "$log" ]; then echo "0 passed, 1 failed"; exit 0; fi
count() { sed -n "s/^# $1: *\([0-9]*\).*/\1/p" "$log" | head -n 1; }
pass=$(count PASS); fail=$(count FAIL); skip=$(count SKIP); xfail=$(count XFAIL)
xpass=$(count XPASS); error=$(count ERROR)
pass=$(( ${pass:-0} + ${xfail:-0} ))
fail=$(( ${fail:-0} + ${xpass:-0} + ${error:-0} ))
# Failures first, so that a CI log shows which test broke and why without the suite log.
if [ "$fail" -gt 0 ]; then
	echo "failed checks (from $log):"
	grep -E '^(FAIL|ERROR|XPASS): |^Bail out!' "$log" | sort -u | head -n 40 | sed 's/^/  /'
fi
echo "${pass} passed, ${fail} failed, ${skip:-0} skipped"
