# run_bad_input.sh: every kind of bad input is refused by `hetsched run` with exit 2, a one-line
# message holding a key word, and no output file; an interrupted run exits 1 within 2 s with
# no output file.
. "$HS_TOP_SRCDIR/tests/tap.sh"
need_numpy
d=$HS_TMPDIR
"$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/make_model.py" "$d/m" --layers 16,32,8 --batch 10 >/dev/null &&
	"$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/make_model.py" --bad "$d/bad" >/dev/null ||
	{ echo "Bail out! make_model.py failed"; exit 1; }
small="--batch 64 --in 64 --out 64"
# expected exit | key word (grep -i -E) | arguments
cases=$(cat <<EOF2
2|batch|--batch 0
2|batch|--batch -5
2|batch|--batch abc
2|in|--in 0 --out 8 --batch 8
2|out|--out 12x
2|hidden|--hidden 4,,5
2|hidden|--hidden 0
2|repeat|--repeat 0
2|larger|$small --tile 100000
2|unknown scheduling policy.*dmda|$small --sched nope
2|activation|$small --activation swish
2|activation|$small --hidden 8 --activation relu,tanh,gelu
2|leave room.*--activation.*onnx|--input $d/m/x.npy --model $d/m/model_npy
2|torch.save|--input $d/m/x.npy --model $d/bad/torch_save.pt
2|normalisation|--input $d/m/x.npy --model $d/bad/layernorm.safetensors
2|--layers fc1,fc2|--input $d/m/x.npy --model $d/bad/named.safetensors
2|not an ONNX model|--input $d/m/x.npy --model $d/bad/notonnx.onnx
2|missing.npy|--input $d/missing.npy
2|truncated|--input $d/bad/truncated.npy
2|magic|--input $d/bad/badmagic.npy
2|dtype|--input $d/bad/int32.npy
2|fortran|--input $d/bad/fortran.npy
2|truncated.safetensors|--input $d/m/x.npy --model $d/bad/truncated.safetensors
2|badjson.safetensors|--input $d/m/x.npy --model $d/bad/badjson.safetensors
2|hugeheader.safetensors|--input $d/m/x.npy --model $d/bad/hugeheader.safetensors
2|badoffsets.safetensors|--input $d/m/x.npy --model $d/bad/badoffsets.safetensors
2|dtype|--input $d/m/x.npy --model $d/bad/i32.safetensors
2|mismatch.safetensors|--input $d/m/x.npy --model $d/bad/mismatch.safetensors
2|empty.safetensors|--input $d/m/x.npy --model $d/bad/empty.safetensors
2|match|--in 20 --batch 4 --model $d/m/model.safetensors
2|too large.*GiB|--batch 4000000 --in 100000 --out 100000
2|hidden.*model|--input $d/m/x.npy --model $d/m/model.safetensors --hidden 8
EOF2
)
n=$(echo "$cases" | wc -l)
plan $((n + 5))
IFS='
'
for c in $cases; do
	code=${c%%|*}; rest=${c#*|}; word=${rest%%|*}; args=${rest#*|}
	rm -f "$d/out.npy"
	IFS=' '
	# shellcheck disable=SC2086
	"$HETSCHED" run $args --save "$d/out.npy" >"$d/stdout" 2>"$d/stderr"
	rc=$?
	IFS='
'
	lines=$(wc -l <"$d/stderr")
	st=0
	[ $rc -eq "$code" ] && grep -qiE -- "$word" "$d/stderr" && [ "$lines" -eq 1 ] &&
		[ ! -e "$d/out.npy" ] || st=1
	[ $st -ne 0 ] && diag "exit $rc, $lines lines: $(cat "$d/stderr")"
	ok $st "run $args -> exit $code, one line with '$word', no output: $(head -n 1 "$d/stderr")"
done
IFS=' '

# An output path that cannot be written is refused before any work.
for target in "/nonexistent-dir/y.npy" "$d"; do
	"$HETSCHED" run $small --save "$target" >"$d/stdout" 2>"$d/stderr"
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <"$d/stderr")" -eq 1 ]
	ok $? "unwritable --save $target -> exit $rc: $(cat "$d/stderr")"
done
"$HETSCHED" run $small --trace "/nonexistent-dir/t.json" >"$d/stdout" 2>"$d/stderr"
[ $? -eq 2 ]
ok $? "unwritable --trace -> exit 2: $(cat "$d/stderr")"

# SIGINT in the middle of a long run (once the first repeat is reported): exit 1 within 2 s
# (60 s under valgrind, whose exit checks the heap), no output file, no temporary left.
rm -f "$d/out.npy"
: >"$d/stderr" # emptied before the start: see wait_for_line
"$HETSCHED" run --batch 512 --in 512 --out 512 --repeat 1000000 --save "$d/out.npy" \
	>"$d/stdout" 2>"$d/stderr" &
pid=$!
wait_for_line $pid "$d/stderr" '^repeat 1/'
limit_ms=2000
[ -n "${HS_VALGRIND:-}" ] && limit_ms=60000
start=$(date +%s%N)
kill -INT $pid
wait_bounded $pid 120
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 1 ] && [ $elapsed_ms -lt $limit_ms ] && tail -n 1 "$d/stderr" | grep -q interrupted
ok $? "SIGINT: exit $rc after $elapsed_ms ms (limit $limit_ms): $(tail -n 1 "$d/stderr")"
[ -z "$(ls "$d" | grep '^out\.npy')" ]
ok $? "SIGINT: no output file nor temporary left ($(ls "$d" | tr '\n' ' '))"
finish
