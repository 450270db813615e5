# fault_signals.sh: SIGINT and SIGTERM in the middle of a long `hetsched run` end it within 2 s
# with exit status 1 and a line saying so, and leave nothing behind: no --save, --save-input or
# --trace file (nor their temporaries), no partial report on stdout.
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 4
d=$HS_TMPDIR
for sig in INT TERM; do
	rm -f "$d"/y.npy* "$d"/x.npy* "$d"/t.json*
	# Emptied here, not by the command's redirection: that one runs in the child, maybe after
	# wait_for_line has found the SIGINT round's 'repeat 1/' line (SIGTERM then lands too early).
	: >"$d/err"
	"$HETSCHED" run --batch 4096 --in 4096 --out 4096 --repeat 1000 --save "$d/y.npy" \
		--save-input "$d/x.npy" --trace "$d/t.json" >"$d/out" 2>"$d/err" &
	pid=$!
	# Signal once the forward passes run (the first repeat is reported).
	wait_for_line $pid "$d/err" '^repeat 1/'
	start=$(date +%s%N)
	kill -$sig $pid
	wait_bounded $pid 60
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	[ $rc -eq 1 ] && [ $ms -lt 2000 ] && tail -n 1 "$d/err" | grep -q 'interrupted'
	ok $? "SIG$sig during the run: exit $rc after $ms ms: $(tail -n 1 "$d/err")"
	left=$(ls "$d" | grep -E '^(y\.npy|x\.npy|t\.json)')
	[ -z "$left" ] && [ ! -s "$d/out" ]
	ok $? "SIG$sig: no output file or temporary left (${left:-none}), nothing on stdout"
done
finish
