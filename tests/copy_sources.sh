# copy_sources.sh: scripts/copy-sources.sh, which check-cuda-glue.sh, check-sanitizers.sh and
# fuzz/run.sh use to copy the sources, copies a release tree whole: a tarball unpacked outside
# git, and one unpacked inside another git checkout whose .gitignore names generated files
# (Makefile.in, configure), where asking git for "the files it knows" would drop them and the
# copy's configure stop at "cannot find input file: tests/Makefile.in".
. "$HS_TOP_SRCDIR/tests/tap.sh"
command -v git >/dev/null 2>&1 || skip_all "no git"
plan 5
d=$HS_TMPDIR
copy=$HS_TOP_SRCDIR/scripts/copy-sources.sh

# A release tree configured and built in place: generated files, and build products.
release() {
	mkdir -p "$1/tests" "$1/src/.libs"
	echo 'AC_INIT' >"$1/configure.ac"
	echo '#!/bin/sh' >"$1/configure"
	echo 'generated' >"$1/tests/Makefile.in"
	echo 'generated' >"$1/Makefile.in"
	# A configured tree's Makefile, reduced to its distdir rule.
	printf 'distdir:\n\tmkdir -p $(distdir)/tests\n\tcp -p configure.ac configure Makefile.in $(distdir)/\n\tcp -p tests/Makefile.in $(distdir)/tests/\n' >"$1/Makefile"
	echo 'object' >"$1/src/x.o"
}
# check TREE DEST WHAT
check() {
	sh "$copy" "$1" "$2"
	ok $? "$3: copy-sources.sh exits 0"
	[ -f "$2/tests/Makefile.in" ] && [ -f "$2/Makefile.in" ] && [ -f "$2/configure" ] &&
		[ ! -e "$2/Makefile" ] && [ ! -e "$2/src/x.o" ]
	ok $? "$3: Makefile.in, tests/Makefile.in and configure copied, build products not ($(cd "$2" && find . -type f | sort | tr '\n' ' '))"
}

# Outside git: in a folder of /tmp (the build tree may itself be inside a git checkout).
plain=$(mktemp -d "${TMPDIR:-/tmp}/hs-copy.XXXXXX") || exit 1
trap 'rm -rf "$plain"' EXIT
release "$plain/hetsched-0.1.0"
check "$plain/hetsched-0.1.0" "$d/copy-plain" "tarball outside git"

# Inside a git checkout that ignores the generated files (as hetsched's own .gitignore does).
mkdir -p "$d/outer"
git -C "$d/outer" init -q && printf 'Makefile\nMakefile.in\n/configure\n*.o\n' >"$d/outer/.gitignore"
release "$d/outer/unpacked/hetsched-0.1.0"
check "$d/outer/unpacked/hetsched-0.1.0" "$d/copy-nested" "tarball inside another git checkout"

# A git checkout of hetsched itself: the files git knows, untracked new ones included.
mkdir -p "$d/repo/tests"
git -C "$d/repo" init -q && printf 'Makefile\n*.o\n' >"$d/repo/.gitignore"
echo 'AC_INIT' >"$d/repo/configure.ac" && echo 'in' >"$d/repo/tests/Makefile.in" &&
	echo '#!/bin/sh' >"$d/repo/configure" && echo 'built' >"$d/repo/Makefile" && echo o >"$d/repo/x.o"
git -C "$d/repo" add configure.ac >/dev/null
sh "$copy" "$d/repo" "$d/copy-repo"
[ -f "$d/copy-repo/configure.ac" ] && [ -f "$d/copy-repo/tests/Makefile.in" ] &&
	[ ! -e "$d/copy-repo/Makefile" ] && [ ! -e "$d/copy-repo/x.o" ]
ok $? "git checkout: tracked and new files copied, ignored ones not"
finish
