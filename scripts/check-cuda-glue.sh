#!/bin/sh
# check-cuda-glue.sh [--starpu PREFIX] BUILDDIR SRCDIR: build hetsched's library and CLI against a
# StarPU that has CUDA, so that every `#ifdef STARPU_USE_CUDA` path is compiled (with -Wall -Wextra
# -Werror), on a machine that has the CUDA toolkit but no GPU and whose own StarPU (Debian's)
# lacks CUDA.
#
# With --starpu PREFIX (make check-cuda-glue CUDA_GLUE_STARPU=PREFIX), that StarPU is the one
# installed in PREFIX, e.g. `scripts/build-starpu.sh --suite forky --cuda` (StarPU 1.4.10 against
# this toolkit): nothing is fetched, the link resolves every symbol, and the build goes to
# BUILDDIR/cuda-glue/build-<PREFIX's name>.
#
# Otherwise that StarPU is Debian's contrib build of the same release (libstarpu-contrib-dev and its
# library), whose starpu_cuda.h includes nvml.h, which the CUDA toolkit here lacks: that header
# comes from Debian's non-free libnvidia-ml-dev (CUDA 11.8's, the one the contrib build used).
# The three .deb files are fetched with `apt-get download` through a private apt configuration
# (the system's sources, lists and caches are never touched), unpacked with `dpkg -x` under
# BUILDDIR/cuda-glue/root, and given a pkg-config file whose prefix points there.
# hetsched is then configured (--with-cuda --enable-werror --without-mpi) in
# BUILDDIR/cuda-glue/build and `make libhetsched.la hetsched` is run there. Nothing is run: the
# contrib library needs CUDA 11's runtime (libcudart.so.11.0), which is absent, so the link leaves
# the symbols of StarPU's own dependencies unresolved (--unresolved-symbols=ignore-in-shared-libs).
#
# Exit: 0 built; 1 failed (configure, build, or CUDA not in the library); 2 usage; 77 skipped (no
# network to fetch the packages and none cached, not Debian, no nvcc, no apt-get or dpkg).
# Everything it makes lives in BUILDDIR/cuda-glue (the .deb files are kept there: a second run
# downloads nothing and reconfigures only when configure changed).
#
# Environment: HETSCHED_DEBIAN_MIRROR (default http://deb.debian.org/debian), HETSCHED_DEBIAN_SUITE
# (default: this system's codename), CUDA_HOME (default: nvcc on PATH, else /usr/local/cuda),
# MAKEFLAGS as usual (the build runs with -j$(nproc) unless MAKEFLAGS says otherwise).
set -eu

usage() {
	echo "usage: $0 [--starpu PREFIX] BUILDDIR SRCDIR" >&2
	echo "  builds hetsched against Debian's CUDA-enabled StarPU (contrib), or the one in PREFIX," >&2
	echo "  in BUILDDIR/cuda-glue" >&2
	exit 2
}
STARPU_PREFIX=
if [ "${1:-}" = --starpu ]; then
	[ $# -ge 2 ] || usage
	STARPU_PREFIX=$2
	shift 2
fi
[ $# -eq 2 ] || usage
case $1 in -h | --help) usage ;; esac
[ -d "$1" ] || { echo "check-cuda-glue: BUILDDIR '$1' is not a directory" >&2; usage; }
[ -f "$2/configure.ac" ] || { echo "check-cuda-glue: SRCDIR '$2' has no configure.ac" >&2; usage; }
BUILDDIR=$(cd "$1" && pwd)
SRCDIR=$(cd "$2" && pwd)
if [ -n "$STARPU_PREFIX" ]; then
	[ -d "$STARPU_PREFIX" ] || { echo "check-cuda-glue: --starpu '$STARPU_PREFIX' is not a directory" >&2; usage; }
	STARPU_PREFIX=$(cd "$STARPU_PREFIX" && pwd)
fi

say() { echo "check-cuda-glue: $*"; }
skip() {
	say "SKIP: $*" >&2
	exit 77
}
fail() {
	say "FAIL: $*" >&2
	exit 1
}

start=$(date +%s)
WORK=$BUILDDIR/cuda-glue
APTDIR=$WORK/apt
DEBDIR=$WORK/debs
ROOT=$WORK/root
PCDIR=$WORK/pkgconfig
COPY=$WORK/src
BUILD=$WORK/build
MAKELOG=$WORK/make.log
CONFLOG=$WORK/configure.log
if [ -n "$STARPU_PREFIX" ]; then
	BUILD=$WORK/build-$(basename "$STARPU_PREFIX")
	MAKELOG=$BUILD.make.log
	CONFLOG=$BUILD.configure.log
fi
mkdir -p "$WORK"

# ------------------------------------------------------------------ tools
command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 ||
	skip "needs apt-get and dpkg (Debian): the CUDA-enabled StarPU comes from Debian's contrib archive"
if [ -n "${CUDA_HOME:-}" ]; then
	NVCC=$CUDA_HOME/bin/nvcc
elif command -v nvcc >/dev/null 2>&1; then
	NVCC=$(command -v nvcc)
else
	NVCC=/usr/local/cuda/bin/nvcc
fi
[ -x "$NVCC" ] || skip "no nvcc (looked at \$CUDA_HOME/bin, PATH, /usr/local/cuda/bin): install a CUDA toolkit"
CUDA_HOME=$(cd "$(dirname "$NVCC")/.." && pwd)
say "nvcc: $NVCC ($("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*/CUDA \1/p'))"

if [ -n "$STARPU_PREFIX" ]; then
	# ------------------------------------------------------------------ a StarPU in a prefix
	PC=$(ls "$STARPU_PREFIX"/lib/pkgconfig/starpu-1.[0-9]*.pc 2>/dev/null | sort -V | tail -n 1)
	[ -n "$PC" ] || fail "no starpu-1.N.pc in $STARPU_PREFIX/lib/pkgconfig"
	CONFIG_H=$(ls "$STARPU_PREFIX"/include/starpu/1.*/starpu_config.h 2>/dev/null | sort -V | tail -n 1)
	grep -q '^#define STARPU_USE_CUDA 1' "$CONFIG_H" ||
		fail "$CONFIG_H does not define STARPU_USE_CUDA: not a CUDA build (scripts/build-starpu.sh --cuda)"
	PCDIR=$STARPU_PREFIX/lib/pkgconfig
	FROM="$STARPU_PREFIX"
	say "pkg-config: $PC ($(PKG_CONFIG_PATH=$PCDIR pkg-config --modversion "$(basename "$PC" .pc)"))"
else
# ------------------------------------------------------------------ fetch the contrib StarPU
MIRROR=${HETSCHED_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=${HETSCHED_DEBIAN_SUITE:-}
if [ -z "$SUITE" ] && [ -r /etc/os-release ]; then
	SUITE=$(. /etc/os-release && [ "${ID:-}" = debian ] && echo "${VERSION_CODENAME:-}" || true)
fi
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# The packages fetched by an earlier run are reused as they are (and offline).
if [ -f "$ROOT/.unpacked" ] && [ -f "$ROOT/usr/include/nvml.h" ]; then
	say "using the StarPU unpacked earlier: $(cat "$ROOT/.unpacked")"
elif [ -f "$DEBDIR/.complete" ]; then
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	for deb in "$DEBDIR"/*.deb; do
		dpkg -x "$deb" "$ROOT" || fail "dpkg -x $deb failed"
	done
	cp "$DEBDIR/.complete" "$ROOT/.unpacked"
	say "unpacked the packages fetched earlier: $(cat "$ROOT/.unpacked")"
else
	[ -n "$SUITE" ] || skip "not Debian (no VERSION_CODENAME in /etc/os-release): set HETSCHED_DEBIAN_SUITE"
	[ -r "$KEYRING" ] || skip "no $KEYRING (apt-get install debian-archive-keyring)"
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/sources.list.d" \
		"$APTDIR/preferences.d" "$DEBDIR"
	# Only contrib and non-free, and only binary packages: their indexes are small (~250 kB).
	echo "deb [signed-by=$KEYRING] $MIRROR $SUITE contrib non-free" >"$APTDIR/sources.list"
	: >"$APTDIR/preferences"
	# Everything apt reads or writes is private, except the system's apt.conf (proxy settings)
	# and dpkg status (read only). APT::Sandbox::User=root: the private folders belong to root.
	set -- -o Dir::Etc::SourceList="$APTDIR/sources.list" \
		-o Dir::Etc::SourceParts="$APTDIR/sources.list.d" \
		-o Dir::Etc::Preferences="$APTDIR/preferences" \
		-o Dir::Etc::PreferencesParts="$APTDIR/preferences.d" \
		-o Dir::State::Lists="$APTDIR/lists" \
		-o Dir::Cache="$APTDIR/cache" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o APT::Sandbox::User=root -o Acquire::Retries=1 -o Acquire::http::Timeout=30
	say "apt-get update (private: $SUITE contrib non-free from $MIRROR)"
	if ! apt-get "$@" -q update >"$APTDIR/update.log" 2>&1 ||
		grep -q '^[WE]: Failed to fetch' "$APTDIR/update.log"; then
		sed 's/^/  /' "$APTDIR/update.log" | tail -n 5 >&2
		skip "cannot fetch the contrib and non-free indexes (no network?)"
	fi
	DEV=libstarpu-contrib-dev
	NVML=libnvidia-ml-dev
	# The library package's name carries the soname (libstarpu-contrib-1.3-9): read it from the
	# -dev package's dependencies rather than hard-coding it.
	LIB=$(apt-cache "$@" depends "$DEV" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: \(libstarpu-contrib-[0-9.]*-[0-9]*\)$/\1/p' | head -n 1)
	[ -n "$LIB" ] || skip "$DEV not found in $SUITE contrib (apt-cache depends $DEV gave no libstarpu-contrib-X-N)"
	VERSION=$(apt-cache "$@" policy "$DEV" | sed -n 's/^ *Candidate: //p')
	say "packages: $DEV $VERSION, $LIB, $NVML $(apt-cache "$@" policy "$NVML" | sed -n 's/^ *Candidate: //p')"
	rm -f "$DEBDIR"/*.deb "$DEBDIR/.complete"
	if ! (cd "$DEBDIR" && apt-get "$@" -q download "$DEV" "$LIB" "$NVML") >"$APTDIR/download.log" 2>&1; then
		sed 's/^/  /' "$APTDIR/download.log" | tail -n 5 >&2
		skip "cannot download $DEV, $LIB and $NVML (no network?)"
	fi
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	for deb in "$DEBDIR"/*.deb; do
		dpkg -x "$deb" "$ROOT" || fail "dpkg -x $deb failed"
	done
	(cd "$DEBDIR" && ls *.deb | tr '\n' ' ') >"$DEBDIR/.complete"
	cp "$DEBDIR/.complete" "$ROOT/.unpacked"
	say "unpacked into $ROOT: $(cat "$ROOT/.unpacked")"
fi

# ------------------------------------------------------------------ pkg-config file
# Only the main library's .pc is exposed (the -dev package also ships starpumpi-*.pc pointing
# at libraries of packages not fetched), with its prefix moved to the unpacked tree and that
# tree's include folder (nvml.h) added to its Cflags.
PC=$(ls "$ROOT"/usr/lib/*/pkgconfig/starpu-1.[0-9]*.pc 2>/dev/null | sort -V | tail -n 1)
[ -n "$PC" ] || fail "no starpu-1.N.pc in the unpacked packages ($ROOT)"
CONFIG_H=$(ls "$ROOT"/usr/include/starpu/1.*/starpu_config.h 2>/dev/null | sort -V | tail -n 1)
grep -q '^#define STARPU_USE_CUDA 1' "$CONFIG_H" ||
	fail "$CONFIG_H does not define STARPU_USE_CUDA: not a CUDA build of StarPU"
mkdir -p "$PCDIR"
rm -f "$PCDIR"/*.pc
sed -e "s|^prefix=.*|prefix=$ROOT/usr|" -e 's|^Cflags:\(.*\)$|Cflags:\1 -I${includedir}|' "$PC" \
	>"$PCDIR/$(basename "$PC")"
say "pkg-config: $PCDIR/$(basename "$PC") ($(PKG_CONFIG_PATH=$PCDIR pkg-config --modversion "$(basename "$PC" .pc)"), prefix $ROOT/usr)"
FROM="Debian contrib"
fi

# ------------------------------------------------------------------ a clean source tree
# Automake refuses a VPATH build from a source tree configured in place (quickstart.sh and CI
# configure in place), and the objects there would shadow ours. So the sources are copied, by
# the copy every extra check uses (scripts/copy-sources.sh: git's files in a checkout, the whole
# tree minus build products in a release tarball).
if [ -f "$SRCDIR/config.status" ] || [ "$SRCDIR" = "$BUILDDIR" ]; then
	sh "$SRCDIR/scripts/copy-sources.sh" "$SRCDIR" "$COPY" || fail "cannot copy the sources into $COPY"
	TOP=$COPY
	say "sources: copy of $SRCDIR in $COPY"
else
	TOP=$SRCDIR
	say "sources: $SRCDIR (VPATH)"
fi
if [ ! -x "$TOP/configure" ] || [ "$TOP/configure.ac" -nt "$TOP/configure" ] ||
	[ -n "$(find "$TOP/m4" -name '*.m4' -newer "$TOP/configure" 2>/dev/null)" ]; then
	say "autoreconf -fi in $TOP"
	(cd "$TOP" && autoreconf -fi) >"$WORK/autoreconf.log" 2>&1 ||
		{ tail -n 20 "$WORK/autoreconf.log" >&2; fail "autoreconf failed (see $WORK/autoreconf.log)"; }
fi

# ------------------------------------------------------------------ configure
mkdir -p "$BUILD"
# StarPU's headers include cuda_runtime.h, cublas.h and cusparse.h when STARPU_USE_CUDA is set,
# so even configure's check of starpu.h needs the toolkit's headers (as -isystem: not ours to
# warn about). The link leaves CUDA 11's symbols, needed by libstarpu only, unresolved.
GLUE_CPPFLAGS="-isystem $CUDA_HOME/include"
GLUE_LDFLAGS="-Wl,--unresolved-symbols=ignore-in-shared-libs"
# A StarPU built against this toolkit links whole.
[ -z "$STARPU_PREFIX" ] || GLUE_LDFLAGS=
signature="$TOP/configure|$CUDA_HOME|$PCDIR|$GLUE_CPPFLAGS|$GLUE_LDFLAGS"
if [ ! -f "$BUILD/config.status" ] || [ "$TOP/configure" -nt "$BUILD/config.status" ] ||
	[ "$(cat "$BUILD/.glue-signature" 2>/dev/null)" != "$signature" ]; then
	say "configure in $BUILD"
	rm -f "$BUILD/.glue-signature"
	if ! (cd "$BUILD" && "$TOP/configure" --with-cuda="$CUDA_HOME" --enable-werror --without-mpi \
		PKG_CONFIG_PATH="$PCDIR" CPPFLAGS="$GLUE_CPPFLAGS" LDFLAGS="$GLUE_LDFLAGS" \
		NVCCFLAGS="-Xcompiler=-Werror") >"$CONFLOG" 2>&1; then
		tail -n 25 "$CONFLOG" >&2
		fail "configure failed (see $CONFLOG and $BUILD/config.log)"
	fi
	echo "$signature" >"$BUILD/.glue-signature"
else
	say "configure: up to date in $BUILD"
fi
summary=$(sed -n '/^hetsched .* configured$/,$p' "$CONFLOG")
echo "$summary" | sed 's/^/  /'
echo "$summary" | grep -q 'CUDA backend \.* yes, in the library' ||
	fail "configure did not put CUDA in the library (summary above; see $BUILD/config.log)"

# ------------------------------------------------------------------ build
case " ${MAKEFLAGS:-} " in
*" -j"* | *" j"* | *"--jobs"*) jobs= ;;
*) jobs=-j$(nproc 2>/dev/null || echo 2) ;;
esac
# The CUDA glue is always recompiled, so that each run shows (and checks) it even when nothing
# else changed; dependency tracking rebuilds the rest when needed.
glue_c=$(cd "$TOP" && grep -l -E '^#(if|ifdef).*STARPU_USE_CUDA' codelets/*.c src/*.c src/cli/*.c 2>/dev/null || true)
for f in $glue_c codelets/rand_cuda.cu codelets/linear_cuda.cu codelets/status_check.c; do
	o=${f%.*}
	rm -f "$BUILD/$o.lo" "$BUILD/$o.o" "$BUILD/$(dirname "$o")/.libs/$(basename "$o").o"
	rm -f "$BUILD/$(dirname "$o")"/*-"$(basename "$o")".lo "$BUILD/$(dirname "$o")"/*-"$(basename "$o")".o
	rm -f "$BUILD/$(dirname "$o")"/.libs/*-"$(basename "$o")".o
done
say "make $jobs libhetsched.la hetsched (V=1, log: $MAKELOG)"
if ! make -C "$BUILD" $jobs V=1 libhetsched.la hetsched >"$MAKELOG" 2>&1; then
	{ grep -E 'error|undefined|No rule|Stop\.' "$MAKELOG" || tail -n 25 "$MAKELOG"; } | head -n 40 >&2
	fail "the build failed (see $MAKELOG)"
fi

# ------------------------------------------------------------------ what was compiled
echo "check-cuda-glue: nvcc commands (libtool's, PIC objects for the library):"
grep -q '^libtool: compile: .*nvcc ' "$MAKELOG" || fail "no nvcc command in $MAKELOG"
grep '^libtool: compile: .*nvcc ' "$MAKELOG" | sed -e 's/^libtool: compile: */  /'
echo "check-cuda-glue: C files with STARPU_USE_CUDA code, compiled with $(sed -n 's/^HS_WARN_CFLAGS = //p' "$BUILD/Makefile"):"
for f in $glue_c; do
	grep -q "^libtool: compile: .* -c [^ ]*$f " "$MAKELOG" || fail "$f was not compiled (see $MAKELOG)"
	echo "  $f"
done
# The CUDA variants really are in the library: it calls StarPU's CUDA API (dynamic symbols) and
# the launchers, which are internal (hidden: in the full symbol table, not exported).
LIBSO=$(ls "$BUILD"/.libs/libhetsched.so.* 2>/dev/null | head -n 1)
[ -n "$LIBSO" ] || fail "no $BUILD/.libs/libhetsched.so.*"
missing=
for sym in starpu_cuda_get_local_stream starpu_cublas_get_local_handle cublasSgemm_v2 cublasGemmEx; do
	nm -D "$LIBSO" | grep -q " $sym\(@.*\)\{0,1\}$" || missing="$missing $sym"
done
for sym in hetsched__rand_cuda_launch hetsched__bias_rows_cuda_launch hetsched__relu_cuda_launch \
	hetsched__linear16_cuda hetsched__linear16_end_cuda_launch; do
	nm "$LIBSO" | grep -q " [Tt] $sym$" || missing="$missing $sym"
done
[ -z "$missing" ] || fail "libhetsched lacks the CUDA glue: no symbol$missing"
exported=$(nm -D --defined-only "$LIBSO" | awk '$3 ~ /^hetsched__/ { print $3 }' | tr '\n' ' ')
[ -z "$exported" ] || fail "libhetsched exports internal symbols: $exported"
say "libhetsched: $(basename "$LIBSO") references starpu_cuda_get_local_stream, starpu_cublas_get_local_handle, cublasSgemm_v2, cublasGemmEx and holds the CUDA launchers"
say "libhetsched needs: $(objdump -p "$LIBSO" | sed -n 's/^ *NEEDED *//p' | tr '\n' ' ')"
[ -x "$BUILD/hetsched" ] || fail "no $BUILD/hetsched"
note="not run: no CUDA 11 runtime here"
[ -z "$STARPU_PREFIX" ] || note="not run: no GPU here"
say "OK: libhetsched.la and hetsched built with CUDA against $(basename "$PC" .pc) $(PKG_CONFIG_PATH=$PCDIR pkg-config --modversion "$(basename "$PC" .pc)") from $FROM in $(($(date +%s) - start)) s ($note)"
