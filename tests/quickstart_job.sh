# quickstart_job.sh: the main job that ./quickstart.sh runs (its last line, `exec ./hetsched run
# ...`) finishes here with exit 0 and "check: OK".
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 2
line=$(grep '^exec ./hetsched run' "$HS_TOP_SRCDIR/quickstart.sh" | tail -n 1)
[ -n "$line" ]
ok $? "quickstart.sh runs hetsched run as its main job: ${line#exec }"
args=${line#exec ./hetsched run}
# shellcheck disable=SC2086
"$HETSCHED" run $args >"$HS_TMPDIR/out" 2>&1
rc=$?
sed 's/^/# /' "$HS_TMPDIR/out"
[ $rc -eq 0 ] && grep -q '^check: OK' "$HS_TMPDIR/out"
ok $? "the main job exits 0 with check: OK"
finish
