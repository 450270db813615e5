# fault_model_file.sh: a damaged performance-model file (StarPU rewrites hetsched_linear.<host>
# in place at shutdown: a crash, a full disk or a killed rank leaves it truncated; or garbage) no
# longer stops the runs after it. StarPU alone aborts them (exit 134, perfmodel_history.c
# assertions); hetsched checks the model files under the start lock, moves a damaged one aside
# (renamed PATH.damaged-<time>, kept byte for byte), says so in one line, and runs: the result
# is checked, a fresh model file is written. A whole file is left alone, with nothing said.
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 15
d=$HS_TMPDIR
models=$STARPU_HOME/.starpu/sampling/codelets/45
run() { "$HETSCHED" run --batch 256 --in 256 --out 256 --tile 128 --ncpu 1 --nopencl 0 --ncuda 0 --check --quiet "$@"; }

run 2>"$d/err0"
rc=$?
model=$(ls "$models"/hetsched_linear.* 2>/dev/null | grep -v '\.damaged-' | head -n 1)
[ $rc = 0 ] && [ -s "$model" ] && ! grep -q damaged "$d/err0"
ok $? "a first run exits 0 ($rc), writes $(basename "${model:-no model}") and says nothing of a damaged model"
cp "$model" "$d/whole"

# damage HOW: a run after the model was damaged HOW (the file's copy is in $d/bad.HOW).
damage() {
	case $1 in
	cut-at-a-line) head -n $(($(wc -l <"$d/whole") - 3)) "$d/whole" >"$model" ;;
	truncated) head -c $(($(wc -c <"$d/whole") / 2)) "$d/whole" >"$model" ;;
	garbage) printf 'hello\n\001\002 not a model\n%s\n' "$(head -c 300 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$model" ;;
	esac
	cp "$model" "$d/bad.$1"
	rm -f "$models"/*.damaged-*
	run 2>"$d/err.$1"
	rc=$?
	ok $([ $rc = 0 ] && echo 0 || echo 1) "$1 model: the run exits 0, its check OK ($rc; $(tail -n 1 "$d/err.$1"))"
	n=$(grep -c . "$d/err.$1")
	grep -q "^hetsched: performance model $model is damaged (.*): moved aside to $model\.damaged-[0-9-]*; its task shapes will be calibrated again$" "$d/err.$1" && [ "$n" = 1 ]
	ok $? "$1 model: one line on stderr names the file and where it went ($n lines)"
	aside=$(ls "$models"/hetsched_linear.*.damaged-* 2>/dev/null | head -n 1)
	[ -n "$aside" ] && cmp -s "$aside" "$d/bad.$1"
	ok $? "$1 model: kept, unchanged, as $(basename "${aside:-nothing}")"
	head -n 3 "$model" | grep -qx 45 && ! cmp -s "$model" "$d/bad.$1"
	ok $? "$1 model: StarPU wrote a fresh model file (format 45)"
}
damage truncated
damage cut-at-a-line
damage garbage

# A whole model, and the file just rewritten: left alone, nothing said.
cp "$model" "$d/fresh"
run 2>"$d/err.again"
[ $? = 0 ] && [ ! -s "$d/err.again" ] && [ "$(ls "$models" | grep -c '\.damaged-')" = 1 ]
ok $? "a run with whole models exits 0, says nothing and moves nothing ($(cat "$d/err.again"))"
rm -f "$models"/*.damaged-*
cp "$d/whole" "$model"
run 2>"$d/err.whole"
[ $? = 0 ] && [ ! -s "$d/err.whole" ] && [ -z "$(ls "$models" | grep '\.damaged-')" ]
ok $? "the first run's model put back: read as it is"
finish
