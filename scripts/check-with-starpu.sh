#!/bin/sh
# scripts/check-with-starpu.sh [build-starpu.sh options]: the test suite against another StarPU
# than the system's. scripts/build-starpu.sh builds that StarPU, or finds it in its cache (e.g.
# `--suite forky --opencl --mpi`: StarPU 1.4.10 with OpenCL and StarPU-MPI); a copy of hetsched's
# sources (tracked and new files of a git checkout, as scripts/copy-sources.sh makes it) is then
# configured against it (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig, --enable-werror, --with-starpu=X.Y)
# in a build folder of its own, built, and `make check` is run there. The tree's own build is left
# alone. The folder is $HS_STARPU_BUILDDIR, default ${TMPDIR:-/tmp}/hetsched-starpu-X.Y.Z-OPTIONS:
# src/ (the copy) and build/ (VPATH); a second run rebuilds only what changed.
# Ends with the closing line of that make check, naming the StarPU:
#   StarPU 1.4.10 (PREFIX): N passed, N failed, N skipped
# Environment: HETSCHED_CONFIGURE_FLAGS (more configure options), HS_STARPU_BUILDDIR,
# HS_STARPU_SUMMARY (a file that also receives that closing line, for quickstart.sh).
# Exit: make check's status (0 when every test passed); 77 when StarPU cannot be built here (see
# build-starpu.sh); 2 when the build of StarPU or hetsched fails.
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "check-with-starpu: $*"; }

prefix=$(sh "$srcdir/scripts/build-starpu.sh" "$@")
rc=$?
[ $rc = 0 ] || { say "scripts/build-starpu.sh $* exited $rc"; [ $rc = 77 ] && exit 77; exit 2; }
config_h=$(ls "$prefix"/include/starpu/1.*/starpu_config.h 2>/dev/null | sort -V | tail -n 1)
[ -n "$config_h" ] || { say "no starpu_config.h under $prefix"; exit 2; }
series=$(basename "$(dirname "$config_h")")
version=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --modversion "starpu-$series") || exit 2
build=${HS_STARPU_BUILDDIR:-${TMPDIR:-/tmp}/hetsched-$(basename "$prefix")}

sh "$srcdir/scripts/copy-sources.sh" "$srcdir" "$build/src" || exit 2
mkdir -p "$build/build"
if [ ! -x "$build/src/configure" ] ||
	[ -n "$(find "$build/src/configure.ac" -newer "$build/src/configure" 2>/dev/null)" ]; then
	(cd "$build/src" && autoreconf -fi) >"$build/autoreconf.log" 2>&1 ||
		{ tail -n 20 "$build/autoreconf.log" >&2; say "autoreconf failed, see $build/autoreconf.log"; exit 2; }
fi
# Configured once per StarPU prefix and flags; config.status then follows configure.ac's changes.
signature="$prefix|${HETSCHED_CONFIGURE_FLAGS:-}"
if [ ! -f "$build/build/config.status" ] || [ "$(cat "$build/build/.starpu-signature" 2>/dev/null)" != "$signature" ]; then
	say "configuring $build/build against StarPU $version in $prefix"
	rm -f "$build/build/.starpu-signature"
	# shellcheck disable=SC2086 # the flags are a list of words
	(cd "$build/build" && PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
		../src/configure --enable-werror --with-starpu="$series" ${HETSCHED_CONFIGURE_FLAGS:-}) \
		>"$build/configure.log" 2>&1 ||
		{ tail -n 25 "$build/configure.log" >&2; say "configure failed, see $build/configure.log"; exit 2; }
	echo "$signature" >"$build/build/.starpu-signature"
	grep 'checking which StarPU to use' "$build/configure.log" | sed 's/^/  /'
fi
start=$(date +%s)
make -C "$build/build" -j"$(nproc 2>/dev/null || echo 2)" >"$build/make.log" 2>&1 || {
	grep -E 'error|warning' "$build/make.log" | head -n 30 >&2
	tail -n 10 "$build/make.log" >&2
	say "the build against StarPU $version failed, see $build/make.log"
	exit 2
}
rc=0
make -C "$build/build" check || rc=$?
say "make check against StarPU $version took $(($(date +%s) - start)) s, exit $rc"
line="StarPU $version ($prefix): $(sh "$srcdir/tests/summary.sh" "$build/build/tests/test-suite.log" | tail -n 1)"
echo "$line"
[ -z "${HS_STARPU_SUMMARY:-}" ] || echo "$line" >"$HS_STARPU_SUMMARY"
exit $rc
