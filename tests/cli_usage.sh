# cli_usage.sh: the command line refuses what it does not know with exit 2 and usage on stderr,
# and answers --help, --version and help <command> on stdout with exit 0.
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 14
out=$HS_TMPDIR/out err=$HS_TMPDIR/err

expect() { # expect CODE WHERE(stdout|stderr) PATTERN ARGS...
	code=$1 where=$2 pattern=$3; shift 3
	"$HETSCHED" "$@" >"$out" 2>"$err"; rc=$?
	file=$out; [ "$where" = stderr ] && file=$err
	if [ $rc -eq "$code" ] && grep -q -- "$pattern" "$file"; then st=0; else st=1; fi
	[ $st -ne 0 ] && diag "exit $rc (want $code); stdout: $(head -c 300 "$out"); stderr: $(head -c 300 "$err")"
	ok $st "hetsched $* -> exit $code, '$pattern' on $where"
}
expect 2 stderr 'usage: hetsched'
expect 2 stderr "unknown command 'frobnicate'" frobnicate
expect 2 stderr 'usage: hetsched' frobnicate
expect 2 stderr "unknown option '--bogus'" info --bogus
expect 2 stderr 'usage: hetsched info' info --bogus
expect 2 stderr "unknown option '--bogus'" run --bogus
expect 2 stderr 'usage: hetsched run' run --frob=1 --bogus
expect 2 stderr "needs a value" run --batch
expect 0 stdout 'usage: hetsched <command>' --help
expect 0 stdout '^hetsched [0-9]' --version
expect 0 stdout 'usage: hetsched run' help run
expect 0 stdout 'usage: hetsched info' info --help
expect 2 stderr "unknown command 'nope'" help nope
expect 2 stderr "unexpected argument 'extra'" info extra
finish
