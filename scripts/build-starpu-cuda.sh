#!/bin/sh
# build-starpu-cuda.sh [options] PREFIX: build StarPU with CUDA from the distribution's own source
# package (Debian's `starpu`, 1.3.10 on bookworm) against the local CUDA toolkit, and install it
# into PREFIX (PREFIX/lib/pkgconfig/starpu-1.3.pc, PREFIX/include/starpu/1.3, ...).
#
# Why: Debian's StarPU has no CUDA, and its contrib build needs CUDA 11's runtime. StarPU 1.3 does
# not build against CUDA 13 as released, so scripts/starpu-cuda13.patch (documented there) is
# applied on top of Debian's own patches.
#
# The source comes from `apt-get source starpu` through a private apt configuration (a deb-src
# line in a file of its own, private lists and cache: the system's sources are never touched).
# Only what the build strictly needs is installed (when missing, as root): a C/C++ compiler and
# make (build-essential), pkg-config, libhwloc-dev (topology and binding; without it StarPU
# neither binds nor sees NUMA), and dpkg-dev (dpkg-source, for apt-get source). The CUDA toolkit
# is not a package here: it is found at --cuda DIR, $CUDA_HOME, or /usr/local/cuda. With
# --opencl, ocl-icd-opencl-dev too.
#
# StarPU is configured minimally: CUDA on, up to 256 CPU workers (Debian's build has 4, which
# leaves most cores of a GPU node idle) and 8 GPUs, shared library only, no documentation,
# examples, tests, Fortran, MPI, OpenMP runtime, SOCL, StarPU-FFT, FxT, GLPK, HDF5 or BLAS;
# OpenCL off unless --opencl.
#
# Options:
#   --jobs N       parallel make (default: nproc)
#   --workdir DIR  where the source is fetched and built (default: ${TMPDIR:-/tmp}/starpu-cuda-build);
#                  kept, so that a second run reuses the download and, if nothing changed, the build
#   --cuda DIR     CUDA toolkit (default: $CUDA_HOME, else the one holding nvcc on PATH, else
#                  /usr/local/cuda)
#   --opencl       also build StarPU's OpenCL driver
#   --no-install-deps  never call apt-get install (fail with the list of what is missing)
# Environment: HETSCHED_DEBIAN_MIRROR (default http://deb.debian.org/debian), HETSCHED_DEBIAN_SUITE
# (default: this system's codename), STARPU_NVCCFLAGS (extra nvcc flags, e.g. -arch=sm_90).
# Exit: 0 installed; 1 failure; 2 usage; 77 cannot run here (no toolkit, not Debian, no network
# for the source).
set -eu

usage() {
	echo "usage: $0 [--jobs N] [--workdir DIR] [--cuda DIR] [--opencl] [--no-install-deps] PREFIX" >&2
	echo "  (--help for details)" >&2
	exit 2
}
say() { echo "build-starpu-cuda: $*"; }
fail() {
	say "FAIL: $*" >&2
	exit 1
}
skip() {
	say "SKIP: $*" >&2
	exit 77
}

JOBS=$(nproc 2>/dev/null || echo 2)
WORKDIR=${TMPDIR:-/tmp}/starpu-cuda-build
CUDA_DIR=
OPENCL=no
INSTALL_DEPS=yes
PREFIX=
while [ $# -gt 0 ]; do
	case $1 in
	--jobs) [ $# -ge 2 ] || usage; JOBS=$2; shift 2 ;;
	--jobs=*) JOBS=${1#*=}; shift ;;
	--workdir) [ $# -ge 2 ] || usage; WORKDIR=$2; shift 2 ;;
	--workdir=*) WORKDIR=${1#*=}; shift ;;
	--cuda) [ $# -ge 2 ] || usage; CUDA_DIR=$2; shift 2 ;;
	--cuda=*) CUDA_DIR=${1#*=}; shift ;;
	--opencl) OPENCL=yes; shift ;;
	--no-install-deps) INSTALL_DEPS=no; shift ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "build-starpu-cuda: unknown option $1" >&2; usage ;;
	*) [ -z "$PREFIX" ] || usage; PREFIX=$1; shift ;;
	esac
done
[ -n "$PREFIX" ] || usage
case $JOBS in '' | *[!0-9]*) echo "build-starpu-cuda: --jobs needs a number, got '$JOBS'" >&2; usage ;; esac
mkdir -p "$PREFIX" "$WORKDIR" || fail "cannot create $PREFIX or $WORKDIR"
PREFIX=$(cd "$PREFIX" && pwd)
WORKDIR=$(cd "$WORKDIR" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PATCH=$HERE/starpu-cuda13.patch
[ -f "$PATCH" ] || fail "no $PATCH"
start=$(date +%s)

# ------------------------------------------------------------------ CUDA toolkit
if [ -z "$CUDA_DIR" ]; then
	if [ -n "${CUDA_HOME:-}" ]; then
		CUDA_DIR=$CUDA_HOME
	elif command -v nvcc >/dev/null 2>&1; then
		CUDA_DIR=$(dirname "$(dirname "$(command -v nvcc)")")
	else
		CUDA_DIR=/usr/local/cuda
	fi
fi
[ -x "$CUDA_DIR/bin/nvcc" ] || skip "no CUDA toolkit: $CUDA_DIR/bin/nvcc missing (use --cuda DIR)"
CUDA_DIR=$(cd "$CUDA_DIR" && pwd -P)
CUDA_LIB=$CUDA_DIR/lib64
[ -d "$CUDA_LIB" ] || CUDA_LIB=$CUDA_DIR/lib
CUDA_VERSION=$("$CUDA_DIR/bin/nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')
say "CUDA $CUDA_VERSION at $CUDA_DIR"

# ------------------------------------------------------------------ build dependencies
need_pkgs=
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
command -v dpkg-query >/dev/null 2>&1 || skip "not a Debian system (no dpkg-query)"
for p in build-essential pkg-config libhwloc-dev dpkg-dev; do
	have "$p" || need_pkgs="$need_pkgs $p"
done
[ $OPENCL = no ] || have ocl-icd-opencl-dev || need_pkgs="$need_pkgs ocl-icd-opencl-dev"
if [ -n "$need_pkgs" ]; then
	[ $INSTALL_DEPS = yes ] && [ "$(id -u)" = 0 ] ||
		fail "missing packages:$need_pkgs (apt-get install -y --no-install-recommends$need_pkgs)"
	say "installing:$need_pkgs"
	apt-get -q update >/dev/null 2>&1 || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need_pkgs ||
		fail "apt-get install$need_pkgs failed"
fi

# ------------------------------------------------------------------ source package
APTDIR=$WORKDIR/apt
SRCDIR=$(ls -d "$WORKDIR"/starpu-[0-9]*/ 2>/dev/null | head -n 1 | sed 's|/$||')
if [ -z "$SRCDIR" ] || [ ! -f "$SRCDIR/.hetsched-source-ok" ]; then
	MIRROR=${HETSCHED_DEBIAN_MIRROR:-http://deb.debian.org/debian}
	SUITE=${HETSCHED_DEBIAN_SUITE:-}
	if [ -z "$SUITE" ] && [ -r /etc/os-release ]; then
		SUITE=$(. /etc/os-release && [ "${ID:-}" = debian ] && echo "${VERSION_CODENAME:-}" || true)
	fi
	[ -n "$SUITE" ] || skip "not Debian (no VERSION_CODENAME in /etc/os-release): set HETSCHED_DEBIAN_SUITE"
	KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/sources.list.d"
	echo "deb-src [signed-by=$KEYRING] $MIRROR $SUITE main" >"$APTDIR/sources.list"
	set -- -o Dir::Etc::SourceList="$APTDIR/sources.list" \
		-o Dir::Etc::SourceParts="$APTDIR/sources.list.d" \
		-o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o APT::Sandbox::User=root -o Acquire::Retries=1 -o Acquire::http::Timeout=30
	say "apt-get source starpu (private deb-src: $SUITE main from $MIRROR)"
	if ! apt-get "$@" -q update >"$WORKDIR/apt-update.log" 2>&1 ||
		grep -q '^[WE]: Failed to fetch' "$WORKDIR/apt-update.log"; then
		tail -n 5 "$WORKDIR/apt-update.log" >&2
		skip "cannot fetch the deb-src index (no network?)"
	fi
	rm -rf "$WORKDIR"/starpu-[0-9]* "$WORKDIR"/starpu_*
	(cd "$WORKDIR" && apt-get "$@" -q source starpu) >"$WORKDIR/apt-source.log" 2>&1 ||
		{ tail -n 5 "$WORKDIR/apt-source.log" >&2; fail "apt-get source starpu failed"; }
	SRCDIR=$(ls -d "$WORKDIR"/starpu-[0-9]*/ | head -n 1 | sed 's|/$||')
	# Debian's patches are applied by dpkg-source; ours comes on top. The one Debian patch
	# (disable-proprietary) edits examples/Makefile.am only, and examples are not built: nothing
	# needs autoreconf.
	(cd "$SRCDIR" && patch -p1 --forward <"$PATCH") >"$WORKDIR/patch.log" 2>&1 ||
		{ cat "$WORKDIR/patch.log" >&2; fail "$PATCH does not apply to $SRCDIR"; }
	sed 's/^/  /' "$WORKDIR/patch.log"
	touch "$SRCDIR/.hetsched-source-ok"
fi
VERSION=$(sed -n 's/^PACKAGE_VERSION=.\([^'"'"']*\).*/\1/p' "$SRCDIR/configure" | head -n 1)
say "source: $SRCDIR (StarPU $VERSION, $(sed -n '1s/^[^(]*(\([^)]*\)).*/Debian \1/p' "$SRCDIR/debian/changelog" 2>/dev/null))"

# ------------------------------------------------------------------ configure
BUILD=$WORKDIR/build
mkdir -p "$BUILD"
opencl_flag=--disable-opencl
[ $OPENCL = no ] || opencl_flag=--enable-opencl
set -- --prefix="$PREFIX" --disable-static \
	--with-cuda-dir="$CUDA_DIR" --with-cuda-lib-dir="$CUDA_LIB" --enable-maxcudadev=8 \
	--enable-maxcpus=256 "$opencl_flag" \
	--disable-build-doc --disable-build-examples --disable-build-tests --disable-fortran \
	--disable-mpi --disable-openmp --disable-socl --disable-starpufft --disable-glpk \
	--disable-hdf5 --enable-blas-lib=none --without-fxt
signature="$SRCDIR|$*|${STARPU_NVCCFLAGS:-}|$(cksum <"$PATCH")"
if [ ! -f "$BUILD/config.status" ] || [ "$(cat "$BUILD/.hetsched-signature" 2>/dev/null)" != "$signature" ]; then
	say "configure $*"
	rm -f "$BUILD/.hetsched-signature"
	# LIBRARY_PATH may point at CUDA's stubs (libcuda.so without a driver): configure's link
	# tests then pass, which is what we want here; the installed library needs the real driver.
	(cd "$BUILD" && "$SRCDIR/configure" "$@" NVCCFLAGS="${STARPU_NVCCFLAGS:-}") \
		>"$WORKDIR/configure.log" 2>&1 ||
		{ tail -n 30 "$WORKDIR/configure.log" >&2; fail "StarPU's configure failed (see $WORKDIR/configure.log, $BUILD/config.log)"; }
	echo "$signature" >"$BUILD/.hetsched-signature"
fi
grep -q '^#define STARPU_USE_CUDA 1' "$BUILD/include/starpu_config.h" ||
	fail "StarPU's configure left CUDA off (see $BUILD/config.log: grep -i cuda)"
grep -E '(CUDA|OpenCL) +enabled:|Maximum number of (CPUs|CUDA devices):|hwloc:|FxT trace enabled:|StarPU MPI enabled:' \
	"$WORKDIR/configure.log" | sed 's/^[[:space:]]*/  /'

# ------------------------------------------------------------------ build and install
say "make -j$JOBS (log: $WORKDIR/make.log)"
if ! make -C "$BUILD" -j"$JOBS" >"$WORKDIR/make.log" 2>&1; then
	grep -E -B2 -A6 'error:|Error [0-9]' "$WORKDIR/make.log" | head -n 60 >&2
	fail "StarPU's build failed (see $WORKDIR/make.log)"
fi
make -C "$BUILD" install >"$WORKDIR/install.log" 2>&1 ||
	{ tail -n 20 "$WORKDIR/install.log" >&2; fail "make install failed (see $WORKDIR/install.log)"; }

PC=$PREFIX/lib/pkgconfig/starpu-1.3.pc
[ -f "$PC" ] || PC=$(ls "$PREFIX"/lib/pkgconfig/starpu-1.[0-9]*.pc | sort -V | tail -n 1)
grep -q '^#define STARPU_USE_CUDA 1' "$PREFIX"/include/starpu/1.*/starpu_config.h ||
	fail "installed starpu_config.h lacks STARPU_USE_CUDA"
LIB=$(ls "$PREFIX"/lib/libstarpu-1.*.so.[0-9]* | head -n 1)
say "installed StarPU $VERSION with CUDA $CUDA_VERSION into $PREFIX in $(($(date +%s) - start)) s"
say "  pkg-config: PKG_CONFIG_PATH=$(dirname "$PC") pkg-config --cflags --libs $(basename "$PC" .pc)"
say "  $(basename "$LIB") needs: $(objdump -p "$LIB" | sed -n 's/^ *NEEDED *//p' | tr '\n' ' ')"
say "  $(grep -E '#define STARPU_(MAXCPUS|MAXCUDADEVS|NMAXBUFS|USE_OPENCL) ' "$PREFIX"/include/starpu/1.*/starpu_config.h | sed 's/#define //' | tr '\n' ';' | sed 's/;/; /g')"
