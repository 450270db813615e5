#!/bin/sh
# scripts/copy-sources.sh SRCDIR DEST: copy hetsched's sources into DEST for a build of its own
# (scripts/check-sanitizers.sh, fuzz/run.sh): the tracked and new files when SRCDIR is a git
# checkout, the whole folder minus build products otherwise. tar keeps modification times, so a
# build already in DEST rebuilds only what changed since the last copy. Exit status 0, or 2.
srcdir=$1
dest=$2
mkdir -p "$dest" || exit 2
if git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 tar cf - --ignore-failed-read 2>/dev/null) | (cd "$dest" && tar xpf -)
else
	(cd "$srcdir" && tar cf - --exclude='*.o' --exclude='*.lo' --exclude='.libs' \
		--exclude=config.status --exclude=config.log --exclude=Makefile .) |
		(cd "$dest" && tar xpf -)
fi || { echo "$0: cannot copy the sources of $srcdir to $dest" >&2; exit 2; }
