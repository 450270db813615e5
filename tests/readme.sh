# readme.sh: what README.md tells a newcomer about the tree is true: the man page is read from
# the build tree with `man -l doc/hetsched.1` (the file is there and renders), and the closing
# line of `make check` is quoted as it really appears: the README's example has the shape of
# the line tests/summary.sh prints, and summary.sh prints that shape from a harness log.
. "$HS_TOP_SRCDIR/tests/tap.sh"
plan 3
readme=$HS_TOP_SRCDIR/README.md
d=$HS_TMPDIR

grep -q '`man -l doc/hetsched.1`' "$readme" && [ -f "$HS_TOP_SRCDIR/doc/hetsched.1" ]
ok $? "README says how to read the man page from the tree (man -l doc/hetsched.1), and it is there"
if command -v man >/dev/null 2>&1; then
	(cd "$HS_TOP_SRCDIR" && MANWIDTH=100 man -l doc/hetsched.1 2>/dev/null) | grep -q 'hetsched'
	ok $? "man -l doc/hetsched.1 renders it"
else
	ok 0 "# SKIP no man here"
fi

# The README's quoted closing line, and summary.sh's on a harness log with those counts.
line=$(tr '\n' ' ' <"$readme" | sed -n 's/.*ends with one line of counts[^`]*`\([^`]*\)`.*/\1/p')
printf '# TOTAL: 9\n# PASS:  6\n# SKIP:  2\n# XFAIL: 0\n# FAIL:  1\n# XPASS: 0\n# ERROR: 0\nFAIL: x.sh 1 - y\n' >"$d/test-suite.log"
printed=$(sh "$HS_TOP_SRCDIR/tests/summary.sh" "$d/test-suite.log" | tail -n 1)
shape='^[0-9][0-9]* passed, [0-9][0-9]* failed, [0-9][0-9]* skipped$'
echo "$line" | grep -q "$shape" && [ "$printed" = "6 passed, 1 failed, 2 skipped" ]
ok $? "README's closing line '$line' has the shape of summary.sh's ('$printed')"
finish
