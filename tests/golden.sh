# golden.sh: the texts users read are those of tests/golden/, byte for byte (as hwloc's tests
# check lstopo's outputs): the help texts, the CSV header and row count of a small bench, and
# the exit status and messages of run and bench for bad input. One TAP test per golden file;
# a difference is shown as diff -u (golden first, then what this hetsched printed).
#
#   make check TESTS=golden.sh                          diff the build tree's hetsched
#   HETSCHED=/path/to/hetsched sh tests/golden.sh --update
#                                                       rewrite tests/golden/ from that binary
#
# Regenerate only from a binary whose behaviour is the reference (the goldens were made from
# main at a605f64), and read the diff before committing it. Machine-dependent parts are
# normalised (the temporary folder becomes @TMP@, the node's memory @MEM@) or left out
# (--version, the CSV's data values). StarPU's list of policies is kept: it is StarPU 1.3's.
# StarPU 1.4 adds four modular policies to it (modular-dmda, -dmdap, -dmdar, -dmdas, between
# modular-ws and modular-heft); they are taken out, so that the same goldens hold for both.
update=
[ "${1:-}" = --update ] && update=1
if [ -z "${HS_TOP_SRCDIR:-}" ]; then
	HS_TOP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
fi
. "$HS_TOP_SRCDIR/tests/tap.sh"
golden=$HS_TOP_SRCDIR/tests/golden
if [ -z "${HETSCHED:-}" ]; then
	echo "golden.sh: set HETSCHED to the hetsched to run" >&2
	exit 2
fi
if [ -n "$update" ] || [ -z "${HS_TMPDIR:-}" ]; then
	# Outside hs-test-env: a world of our own, as hs-test-env would give.
	HS_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/hetsched-golden.XXXXXX") || exit 1
	trap 'rm -rf "$HS_TMPDIR"' EXIT
	STARPU_HOME=$HS_TMPDIR/starpu-home
	mkdir -p "$STARPU_HOME"
	STARPU_SILENT=1 STARPU_NOPENCL=0
	export STARPU_HOME STARPU_SILENT STARPU_NOPENCL
	[ -n "${PYTHON_NUMPY:-}" ] || PYTHON_NUMPY=$(command -v python3)
fi
d=$HS_TMPDIR
out=$d/golden-out
mkdir -p "$out"

# Cases: one line each, "ARGS" after `hetsched` (eval'd: quotes and $d work). Bad inputs come
# from cli_usage.sh, run_bad_input.sh and bench_bad.sh.
cli_cases=$(cat <<'EOF2'

frobnicate
info --bogus
run --bogus
run --frob=1 --bogus
run --batch
help nope
info extra
EOF2
)
# run_bad_input.sh's cases that need no file, each with its --save as there.
run_cases=$(cat <<'EOF2'
run --batch 0 --save $d/out.npy
run --batch -5 --save $d/out.npy
run --batch abc --save $d/out.npy
run --in 0 --out 8 --batch 8 --save $d/out.npy
run --out 12x --save $d/out.npy
run --hidden 4,,5 --save $d/out.npy
run --hidden 0 --save $d/out.npy
run --repeat 0 --save $d/out.npy
run --batch 64 --in 64 --out 64 --tile 100000 --save $d/out.npy
run --batch 64 --in 64 --out 64 --sched nope --save $d/out.npy
run --batch 64 --in 64 --out 64 --activation tanh --save $d/out.npy
run --input $d/missing.npy --save $d/out.npy
run --batch 4000000 --in 100000 --out 100000 --save $d/out.npy
run --batch 64 --in 64 --out 64 --save /nonexistent-dir/y.npy
run --batch 64 --in 64 --out 64 --save $d
run --batch 64 --in 64 --out 64 --trace /nonexistent-dir/t.json
calibrate --tile 4096 --sizes 512
calibrate --sizes 512,abc
EOF2
)
# run_bad_input.sh's cases on files that make_model.py writes (numpy needed).
run_file_cases=$(cat <<'EOF2'
run --input $d/bad/truncated.npy --save $d/out.npy
run --input $d/bad/badmagic.npy --save $d/out.npy
run --input $d/bad/int32.npy --save $d/out.npy
run --input $d/bad/fortran.npy --save $d/out.npy
run --input $d/bad/3d.npy --save $d/out.npy
run --input $d/m/x.npy --model $d/bad/truncated.safetensors --save $d/out.npy
run --input $d/m/x.npy --model $d/bad/badjson.safetensors --save $d/out.npy
run --input $d/m/x.npy --model $d/bad/hugeheader.safetensors --save $d/out.npy
run --input $d/m/x.npy --model $d/bad/badoffsets.safetensors --save $d/out.npy
run --input $d/m/x.npy --model $d/bad/i32.safetensors --save $d/out.npy
run --input $d/m/x.npy --model $d/bad/mismatch.safetensors --save $d/out.npy
run --input $d/m/x.npy --model $d/bad/empty.safetensors --save $d/out.npy
run --in 20 --batch 4 --model $d/m/model.safetensors --save $d/out.npy
run --input $d/m/x.npy --model $d/m/model.safetensors --hidden 8 --save $d/out.npy
EOF2
)
# bench_bad.sh's cases, after the same valid set with every output ($d expands at eval).
# shellcheck disable=SC2016
b='bench --sched eager --sizes 64 --tiles 32 --repeat 1 --csv $d/out.csv --plot $d/plots --trace-dir $d/traces'
bench_cases=$(sed "s|^|$b |" <<'EOF2'
--sched nope
--scenario hot
--scenario stream --layers 2
--scenario cold --batch-size 64
--sched eager,DMDA
--sched ''
--sched dmda,,eager
--sched dmda,
--sched all,dmda
--sched dmda,dmda
--sizes ''
--sizes 1024,,x
--sizes 1024,x
--sizes 0
--sizes 64,0
--sizes -64
--sizes 6e3
--tiles ''
--tiles 0
--tiles 32,big
--tiles 128
--sizes 64,128 --tiles 32,96
--repeat 0
--layers 0
--layers 65
--sizes 2000000
--warmup 5 --max-warmup 2
--sizes
--frobnicate
extra
--ncpu -1
--csv /nonexistent-dir/out.csv
--csv $d
--csv $d/afile/out.csv
--plot /nonexistent-dir/plots
--plot $d/afile
--trace-dir /nonexistent-dir/traces
--trace-dir $d/afile
EOF2
)

# normalise: the temporary folder is @TMP@, the node's memory @MEM@ GiB.
normalise() {
	sed -e "s|$d|@TMP@|g" -e 's/this node has [0-9.]* GiB/this node has @MEM@ GiB/' \
		-e 's/modular-ws, modular-dmda, modular-dmdap, modular-dmdar, modular-dmdas, /modular-ws, /'
}

# errors CASES: for each case, the command, its exit status, then its stdout and stderr
# (indented), normalised. Nothing a case writes survives it.
errors() {
	IFS='
'
	for args in $1; do
		IFS=' '
		eval "\"\$HETSCHED\" $args" >"$d/stdout" 2>"$d/stderr"
		rc=$?
		IFS='
'
		printf '$ hetsched %s\n' "$args" | sed 's|\$d|@TMP@|g'
		echo "exit $rc"
		sed 's/^/stdout: /' "$d/stdout" | normalise
		sed 's/^/stderr: /' "$d/stderr" | normalise
		rm -rf "$d/out.npy" "$d/out.csv" "$d/plots" "$d/traces"
	done
	IFS=' '
}

# The golden files, in order: NAME and how to make its text.
names="help.txt"
for c in info run bench calibrate; do names="$names help-$c.txt $c--help.txt"; done
names="$names bench-csv.txt cli-errors.txt run-errors.txt run-file-errors.txt bench-errors.txt"

# make NAME: writes NAME's text to $out/NAME; returns 1 when the command's exit status or
# stderr is wrong for a text that is only stdout (help), 77 when something it needs is absent.
make_text() {
	case $1 in
	help.txt | help-*.txt | *--help.txt)
		case $1 in
		help.txt) set -- "$1" --help ;;
		help-*) c=${1#help-}; set -- "$1" help "${c%.txt}" ;;
		*) set -- "$1" "${1%--help.txt}" --help ;;
		esac
		name=$1; shift
		"$HETSCHED" "$@" >"$out/$name" 2>"$d/stderr"
		rc=$?
		if [ $rc -ne 0 ] || [ -s "$d/stderr" ]; then
			diag "hetsched $*: exit $rc (want 0), stderr: $(cat "$d/stderr")"
			return 1
		fi
		;;
	bench-csv.txt)
		# The issue's study: the header line and how many rows of how many fields.
		rm -rf "$d/bench" && mkdir "$d/bench" &&
			(cd "$d/bench" && "$HETSCHED" bench --sched eager,dmda --sizes 256 --repeat 2 \
				--csv a.csv >"$d/stdout" 2>"$d/stderr")
		rc=$?
		if [ $rc -ne 0 ] || [ ! -f "$d/bench/a.csv" ]; then
			diag "bench: exit $rc (want 0): $(tail -n 5 "$d/stderr")"
			return 1
		fi
		{
			head -n 1 "$d/bench/a.csv"
			echo "data rows: $(tail -n +2 "$d/bench/a.csv" | grep -c .)"
			tail -n +2 "$d/bench/a.csv" | awk -F, '{ print NF }' | sort -u |
				sed 's/^/fields per data row: /'
		} >"$out/$1"
		;;
	cli-errors.txt) errors "$cli_cases" >"$out/$1" ;;
	run-errors.txt) errors "$run_cases" >"$out/$1" ;;
	run-file-errors.txt)
		[ -n "${PYTHON_NUMPY:-}" ] || return 77
		"$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/make_model.py" "$d/m" --layers 16,32,8 \
			--batch 10 >/dev/null &&
			"$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/make_model.py" --bad "$d/bad" >/dev/null ||
			{ diag "make_model.py failed"; return 1; }
		errors "$run_file_cases" >"$out/$1"
		;;
	bench-errors.txt)
		touch "$d/afile"
		errors "$bench_cases" >"$out/$1"
		;;
	esac
}

if [ -n "$update" ]; then
	mkdir -p "$golden"
	for name in $names; do
		make_text "$name"
		rc=$?
		if [ $rc -ne 0 ]; then
			echo "golden.sh: could not make $name (status $rc)" >&2
			exit 1
		fi
		cp "$out/$name" "$golden/$name"
		echo "wrote $golden/$name"
	done
	exit 0
fi

# shellcheck disable=SC2086
plan "$(echo $names | wc -w)"
for name in $names; do
	make_text "$name"
	rc=$?
	if [ $rc -eq 77 ]; then
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $name: needs Python with numpy"
		continue
	fi
	st=$rc
	if [ $rc -eq 0 ] && ! diff -u "$golden/$name" "$out/$name" >"$d/diff"; then
		diag "$(cat "$d/diff")"
		st=1
	fi
	ok $st "output equals tests/golden/$name"
done
finish
