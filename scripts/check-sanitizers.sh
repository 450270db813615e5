#!/bin/sh
# scripts/check-sanitizers.sh [asan|valgrind] [MAKE ARGS...]: the test suite under AddressSanitizer
# + UndefinedBehaviorSanitizer (asan, the default: ./configure --enable-sanitizers, make check)
# or the core tests under valgrind's memcheck (valgrind: make check-valgrind), in a build of its
# own, so that the tree's build (configured in place, which rules out a VPATH build from it) is
# left alone. The build lives in $HS_SAN_BUILDDIR (default ${TMPDIR:-/tmp}/hetsched-<mode>): a
# copy of the sources (tracked and new files of a git checkout), configured once; a second run
# only rebuilds what changed. Exit status: make's (0 when every test passed).
set -u
mode=${1:-asan}
[ $# -gt 0 ] && shift
case $mode in
asan) flags=--enable-sanitizers target=check ;;
valgrind) flags=--enable-valgrind target=check-valgrind ;;
*) echo "usage: scripts/check-sanitizers.sh [asan|valgrind] [MAKE ARGS...]" >&2; exit 2 ;;
esac
srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=${HS_SAN_BUILDDIR:-${TMPDIR:-/tmp}/hetsched-$mode}

sh "$srcdir/scripts/copy-sources.sh" "$srcdir" "$build" || exit 2
if [ ! -f "$build/config.status" ]; then
	echo "check-sanitizers: configuring $build ($flags)"
	(cd "$build" && { [ -x configure ] || autoreconf -fi; } >autoreconf.log 2>&1 &&
		./configure $flags ${HETSCHED_CONFIGURE_FLAGS:-} >configure.log 2>&1) || {
		echo "check-sanitizers: configure failed, see $build/configure.log" >&2
		exit 2
	}
fi
start=$(date +%s)
make -C "$build" -j"$(nproc 2>/dev/null || echo 2)" >"$build/make.log" 2>&1 || {
	tail -n 30 "$build/make.log" >&2
	exit 2
}
make -C "$build" "$target" "$@"
rc=$?
echo "check-sanitizers: make $target ($mode) took $(($(date +%s) - start)) s, exit $rc"
exit $rc
