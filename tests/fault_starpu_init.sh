# fault_starpu_init.sh: worker configurations StarPU cannot start, or would start otherwise than
# asked, end `hetsched run` at once with one line giving the reason and no output file:
#   no worker at all (--ncpu 0 --nopencl 0 --ncuda 0): StarPU refuses, exit 1;
#   STARPU_HOME naming a file: StarPU 1.3 would abort with a backtrace; exit 1;
#   STARPU_NCPU=abc: StarPU 1.3 would abort with a backtrace; exit 2 (bad input);
#   --ncpu 4096 or STARPU_NCPU=100000: above STARPU_MAXCPUS, StarPU 1.3 would silently start
#   fewer workers (oversubscribed); exit 2.
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 5
d=$HS_TMPDIR
small="--batch 64 --in 64 --out 64 --save $d/y.npy"
: >"$d/not-a-folder"
# expected exit | key words (grep -E) | environment (- for none) | options
cases=$(cat <<EOF2
1|no worker|-|--ncpu 0 --nopencl 0 --ncuda 0
1|STARPU_HOME.*not a writable folder|STARPU_HOME=$d/not-a-folder|
2|STARPU_NCPU must be an integer|STARPU_NCPU=abc|
2|ncpu 4096.*at most [0-9]+|-|--ncpu 4096
2|STARPU_NCPU 100000.*at most [0-9]+|STARPU_NCPU=100000|
EOF2
)
IFS='
'
for c in $cases; do
	code=${c%%|*}; rest=${c#*|}; words=${rest%%|*}; rest=${rest#*|}
	env=${rest%%|*}; opts=${rest#*|}
	rm -f "$d/y.npy"
	IFS=' '
	# shellcheck disable=SC2086
	[ "$env" = - ] && env=HS_FAULT_ENV=none
	timeout 60 env "$env" "$HETSCHED" run $small $opts >"$d/out" 2>"$d/err"
	rc=$?
	IFS='
'
	[ $rc -eq "$code" ] && [ "$(wc -l <"$d/err")" -eq 1 ] && grep -qE "$words" "$d/err" &&
		[ ! -e "$d/y.npy" ]
	ok $? "${env#HS_FAULT_ENV=none} $opts: exit $rc (want $code): $(head -n 1 "$d/err")"
done
finish
