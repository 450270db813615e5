#!/bin/sh
# scripts/copy-sources.sh SRCDIR DEST: copy hetsched's sources into DEST for a build of its own
# (scripts/check-cuda-glue.sh, scripts/check-sanitizers.sh, fuzz/run.sh): the tracked and new
# files when SRCDIR is the top of a git checkout; otherwise (a release tarball, even one unpacked
# inside some other git checkout, whose .gitignore would hide the generated Makefile.in and
# configure) the distributed files (make distdir) when SRCDIR is configured, the whole folder
# minus build products when it is not. tar keeps modification times, so a build already in DEST
# rebuilds only what changed since the last copy. Exit status 0, or 2.
srcdir=$1
dest=$2
mkdir -p "$dest" || exit 2
top=$(git -C "$srcdir" rev-parse --show-toplevel 2>/dev/null) || top=
if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(cd "$srcdir" && pwd -P)" ]; then
	(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 tar cf - --ignore-failed-read 2>/dev/null) | (cd "$dest" && tar xpf -)
elif [ -f "$srcdir/Makefile" ]; then
	# A release tree configured in place: exactly the distributed files (make distdir), not
	# its config.h, hs-test-env or objects, which would overwrite those of DEST's own build.
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-copy.XXXXXX") || exit 2
	{ make -s -C "$srcdir" distdir distdir="$tmp/d" >"$tmp/distdir.log" 2>&1 ||
		{ tail -n 5 "$tmp/distdir.log" >&2; false; }; } &&
		(cd "$tmp/d" && tar cf - .) | (cd "$dest" && tar xpf -)
	rc=$?
	rm -rf "$tmp"
	[ $rc = 0 ]
else
	(cd "$srcdir" && tar cf - --exclude='*.o' --exclude='*.lo' --exclude='.libs' \
		--exclude=config.status --exclude=config.log --exclude=Makefile .) |
		(cd "$dest" && tar xpf -)
fi || { echo "$0: cannot copy the sources of $srcdir to $dest" >&2; exit 2; }
