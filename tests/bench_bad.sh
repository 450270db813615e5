# bench_bad.sh: every kind of bad input is refused by `hetsched bench` before any work, with
# exit 2, a one-line message holding a key word, and nothing written (no CSV, no plot folder,
# no trace folder); --plot without gnuplot exits 1 the same way; an interrupted study exits 1
# within 2 s and leaves no CSV, no report and no temporary file.
. "$HS_TOP_SRCDIR/tests/tap.sh"
d=$HS_TMPDIR
touch "$d/afile"
ok_args="--sched eager --sizes 64 --tiles 32 --repeat 1"
# expected exit | key word (grep -i -E) | arguments (after a valid set with every output, so
# they override it)
cases=$(cat <<EOF2
2|unknown policy 'nope'.*valid:.*dmda|--sched nope
2|unknown policy 'DMDA'|--sched eager,DMDA
2|sched.*empty|--sched ''
2|sched.*empty item|--sched dmda,,eager
2|sched.*empty item|--sched dmda,
2|all.*combined|--sched all,dmda
2|twice|--sched dmda,dmda
2|sizes.*empty|--sizes ''
2|sizes.*empty item.*1024,,x|--sizes 1024,,x
2|sizes: each must be an integer from 1 to [0-9]*, got 'x'|--sizes 1024,x
2|sizes: each must be an integer from 1 to [0-9]*, got '0'|--sizes 0
2|sizes: each must be an integer from 1 to [0-9]*, got '0'|--sizes 64,0
2|sizes.*'-64'|--sizes -64
2|sizes.*'6e3'|--sizes 6e3
2|tiles.*empty|--tiles ''
2|tiles: each must be an integer from 1 to [0-9]*, got '0'|--tiles 0
2|tiles.*'big'|--tiles 32,big
2|tile 128 is larger than size 64|--tiles 128
2|tile 96 is larger than size 64|--sizes 64,128 --tiles 32,96
2|repeat|--repeat 0
2|layers|--layers 0
2|layers.*at most 64|--layers 65
2|too large.*GiB|--sizes 2000000
2|max-warmup.*below|--warmup 5 --max-warmup 2
2|needs a value|--sizes
2|unknown option '--frobnicate'|--frobnicate
2|unexpected argument 'extra'|extra
2|ncpu|--ncpu -1
2|csv.*nonexistent-dir|--csv /nonexistent-dir/out.csv
2|csv.*folder|--csv $d
2|csv.*afile.*not a folder|--csv $d/afile/out.csv
2|plot.*nonexistent-dir.*does not exist|--plot /nonexistent-dir/plots
2|plot.*afile.*not a folder|--plot $d/afile
2|trace-dir.*nonexistent-dir|--trace-dir /nonexistent-dir/traces
2|trace-dir.*afile.*not a folder|--trace-dir $d/afile
EOF2
)
n=$(echo "$cases" | wc -l)
plan $((n + 3))

# nothing_written: no CSV, no plot or trace folder, no temporary file left in $d.
nothing_written() {
	[ -z "$(ls "$d" | grep -v -e '^afile$' -e '^stdout$' -e '^stderr$' -e '^bin$')" ]
}
IFS='
'
for c in $cases; do
	code=${c%%|*}; rest=${c#*|}; word=${rest%%|*}; args=${rest#*|}
	IFS=' '
	# Usage errors print the usage after their line: only the first line is the message.
	# shellcheck disable=SC2086
	eval "\"\$HETSCHED\" bench $ok_args --csv \"\$d/out.csv\" --plot \"\$d/plots\" \
		--trace-dir \"\$d/traces\" $args" >"$d/stdout" 2>"$d/stderr"
	rc=$?
	IFS='
'
	lines=$(grep -c . "$d/stderr")
	first=$(head -n 1 "$d/stderr")
	st=0
	case $args in --frobnicate | extra | --sizes) grep -q 'usage: hetsched bench' "$d/stderr" || st=1 ;;
	*) [ "$lines" -eq 1 ] || st=1 ;; esac
	[ $rc -eq "$code" ] && echo "$first" | grep -qiE -- "$word" && nothing_written || st=1
	[ $st -ne 0 ] && diag "exit $rc, $lines lines: $(cat "$d/stderr"); files: $(ls "$d" | tr '\n' ' ')"
	ok $st "bench $args -> exit $code, '$word', nothing written: $first"
	rm -rf "$d/out.csv" "$d/plots" "$d/traces"
done
IFS=' '

# --plot without gnuplot on PATH: exit 1 before any work, nothing written. The libtool wrapper
# of an uninstalled hetsched needs ls, hence a PATH that holds ls alone.
mkdir -p "$d/bin" && ln -sf "$(command -v ls)" "$d/bin/ls"
PATH=$d/bin "$HETSCHED" bench $ok_args --csv "$d/out.csv" --plot "$d/plots" >"$d/stdout" 2>"$d/stderr"
rc=$?
[ $rc -eq 1 ] && [ "$(grep -c . "$d/stderr")" -eq 1 ] && grep -q 'needs gnuplot' "$d/stderr" && nothing_written
ok $? "--plot without gnuplot -> exit $rc: $(cat "$d/stderr")"

# SIGINT in the middle of a long study (once its first configuration is reported, the second
# being minutes long): exit 1 within 2 s, nothing written, no temporary file.
: >"$d/stderr" # emptied before the start: see wait_for_line
"$HETSCHED" bench --sched eager --sizes 64,4096 --tiles 64 --repeat 100 --csv "$d/out.csv" \
	--plot "$d/plots" >"$d/stdout" 2>"$d/stderr" &
pid=$!
wait_for_line $pid "$d/stderr" '\[1/2\]'
start=$(date +%s%N)
kill -INT $pid
wait_bounded $pid 60
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 1 ] && [ $elapsed_ms -lt 2000 ] && tail -n 1 "$d/stderr" | grep -q interrupted
ok $? "SIGINT: exit $rc after $elapsed_ms ms: $(tail -n 1 "$d/stderr")"
nothing_written
ok $? "SIGINT: no CSV, no report, no temporary left ($(ls "$d" | tr '\n' ' '))"
finish
