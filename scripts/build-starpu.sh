#!/bin/sh
# build-starpu.sh [options] [PREFIX]: build StarPU from Debian's own source package and install it
# into a prefix: PREFIX if given, else a cache folder named after the version and the options
# (see "Cache" below). The prefix alone is printed on stdout at the end; everything else goes to
# stderr, so that `prefix=$(scripts/build-starpu.sh --suite forky --opencl --mpi)` works.
#
# Which StarPU: `apt-get source starpu` from one Debian suite, through a private apt configuration
# (a deb-src line in a file of its own, private lists and cache: the system's sources are never
# touched). Checked suites:
#   bookworm  StarPU 1.3.10 (starpu 1.3.10+dfsg-2, Debian 12's package)
#   forky     StarPU 1.4.10 (starpu 1.4.10+dfsg-2)
#   sid       whatever unstable holds (1.4.10 when forky does)
# (trixie's index names 1.4.7 but its files were not found on the mirror.)
# Debian's patches are applied by dpkg-source; ours come on top, per version:
# scripts/starpu-cuda13.patch for 1.3, scripts/starpu-1.4-cuda13.patch for 1.4 (both let StarPU
# build against CUDA 13's headers; they change nothing without CUDA).
#
# StarPU is configured minimally: shared library only, no documentation, examples, tests,
# Fortran, OpenMP runtime, SOCL, StarPU-FFT, StarPUPy, FxT, GLPK, HDF5 or BLAS; --maxcpus CPU
# workers at most (StarPU 1.4's own default is the build machine's core count, Debian's 1.3.10
# package has 4); every backend off unless asked for. CUDA in particular is off unless --cuda is
# given: StarPU's configure would otherwise pick up a toolkit in /usr/local/cuda by itself.
#
# Options:
#   --suite S       Debian suite to take the source package from (default: $HETSCHED_DEBIAN_SUITE,
#                   else this system's codename)
#   --cuda[=DIR]    CUDA on, with the toolkit in DIR (default: $CUDA_HOME, else the one holding
#                   nvcc on PATH, else /usr/local/cuda); up to 8 GPUs
#   --opencl        StarPU's OpenCL driver (needs ocl-icd-opencl-dev, opencl-headers)
#   --mpi           StarPU-MPI (libstarpumpi, starpumpi-1.N.pc; needs libopenmpi-dev, openmpi-bin)
#   --simgrid       simulated execution with SimGrid (needs libsimgrid-dev, libboost-dev); not
#                   with --mpi (that would need SimGrid's SMPI)
#   --maxcpus N     maximum number of CPU workers, STARPU_MAXCPUS (default 256)
#   --jobs N        parallel make (default: nproc)
#   --workdir DIR   downloads and build trees (default: CACHE/work): the source package of each
#                   suite is kept there (DIR/SUITE), so that later runs need no network
#   --refresh       fetch the suite's index and source package again (a newer upload is then
#                   built under a new cache name)
#   --keep-build    keep the build tree (default: removed once installed)
#   --no-install-deps  never call apt-get install (fail with the list of what is missing)
#
# Cache: without PREFIX, StarPU goes to CACHE/starpu-VERSION-OPTIONS-HASH, where CACHE is
# $HETSCHED_CACHE, else /var/cache/hetsched when writable, else ~/.cache/hetsched; OPTIONS names
# the backends (e.g. opencl-mpi) and HASH covers everything that changes the result: the Debian
# version, the suite, configure's arguments, the patch, the CUDA toolkit, STARPU_NVCCFLAGS. A
# prefix counts as complete when its stamp file (.hetsched-starpu-stamp, written last) holds that
# same description; it is then reused as is, without network. With PREFIX the same stamp decides.
#
# Environment: HETSCHED_DEBIAN_MIRROR (default http://deb.debian.org/debian), HETSCHED_CACHE,
# STARPU_NVCCFLAGS (extra nvcc flags, e.g. -arch=sm_90).
# Exit: 0 installed (or already there); 1 failure; 2 usage; 77 cannot run here (not Debian, no
# CUDA toolkit for --cuda, no network for a source not downloaded yet).
set -eu

me=build-starpu
usage() {
	echo "usage: $0 [--suite S] [--cuda[=DIR]] [--opencl] [--mpi] [--simgrid] [--maxcpus N]" >&2
	echo "       [--jobs N] [--workdir DIR] [--refresh] [--keep-build] [--no-install-deps] [PREFIX]" >&2
	echo "  (--help for details)" >&2
	exit 2
}
say() { echo "$me: $*" >&2; }
fail() {
	say "FAIL: $*"
	exit 1
}
skip() {
	say "SKIP: $*"
	exit 77
}
number() { # number OPTION VALUE
	case $2 in '' | *[!0-9]*) echo "$me: $1 needs a number, got '$2'" >&2; usage ;; esac
}

JOBS=$(nproc 2>/dev/null || echo 2)
SUITE=${HETSCHED_DEBIAN_SUITE:-}
WORKDIR=
CUDA=no
CUDA_DIR=
OPENCL=no
MPI=no
SIMGRID=no
MAXCPUS=256
REFRESH=no
KEEP_BUILD=no
INSTALL_DEPS=yes
PREFIX=
while [ $# -gt 0 ]; do
	case $1 in
	--suite) [ $# -ge 2 ] || usage; SUITE=$2; shift 2 ;;
	--suite=*) SUITE=${1#*=}; shift ;;
	--cuda) CUDA=yes; shift ;;
	--cuda=*) CUDA=yes; CUDA_DIR=${1#*=}; shift ;;
	--opencl) OPENCL=yes; shift ;;
	--mpi) MPI=yes; shift ;;
	--simgrid) SIMGRID=yes; shift ;;
	--maxcpus) [ $# -ge 2 ] || usage; MAXCPUS=$2; shift 2 ;;
	--maxcpus=*) MAXCPUS=${1#*=}; shift ;;
	--jobs) [ $# -ge 2 ] || usage; JOBS=$2; shift 2 ;;
	--jobs=*) JOBS=${1#*=}; shift ;;
	--workdir) [ $# -ge 2 ] || usage; WORKDIR=$2; shift 2 ;;
	--workdir=*) WORKDIR=${1#*=}; shift ;;
	--refresh) REFRESH=yes; shift ;;
	--keep-build) KEEP_BUILD=yes; shift ;;
	--no-install-deps) INSTALL_DEPS=no; shift ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "$me: unknown option $1" >&2; usage ;;
	*) [ -z "$PREFIX" ] || usage; PREFIX=$1; shift ;;
	esac
done
number --jobs "$JOBS"
number --maxcpus "$MAXCPUS"
[ "$MAXCPUS" -ge 1 ] || { echo "$me: --maxcpus must be >= 1, got $MAXCPUS" >&2; usage; }
[ $SIMGRID = no ] || [ $MPI = no ] ||
	{ echo "$me: --simgrid with --mpi needs SimGrid's SMPI, which this script does not set up" >&2; usage; }
HERE=$(cd "$(dirname "$0")" && pwd)
start=$(date +%s)

command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 ||
	skip "not a Debian system (no dpkg-query or apt-get): the source comes from Debian's archive"
if [ -z "$SUITE" ] && [ -r /etc/os-release ]; then
	SUITE=$(. /etc/os-release && [ "${ID:-}" = debian ] && echo "${VERSION_CODENAME:-}" || true)
fi
[ -n "$SUITE" ] || skip "not Debian (no VERSION_CODENAME in /etc/os-release): pass --suite"
case $SUITE in *[!a-z0-9-]*) echo "$me: --suite: not a suite name: '$SUITE'" >&2; usage ;; esac

# ------------------------------------------------------------------ cache and work folders
if [ -n "${HETSCHED_CACHE:-}" ]; then
	CACHE=$HETSCHED_CACHE
elif mkdir -p /var/cache/hetsched 2>/dev/null && [ -w /var/cache/hetsched ]; then
	CACHE=/var/cache/hetsched
else
	CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/hetsched
fi
[ -n "$WORKDIR" ] || WORKDIR=$CACHE/work
mkdir -p "$CACHE" "$WORKDIR" || fail "cannot create $CACHE or $WORKDIR"
CACHE=$(cd "$CACHE" && pwd)
WORKDIR=$(cd "$WORKDIR" && pwd)

# ------------------------------------------------------------------ CUDA toolkit
CUDA_VERSION=
if [ $CUDA = yes ]; then
	if [ -z "$CUDA_DIR" ]; then
		if [ -n "${CUDA_HOME:-}" ]; then
			CUDA_DIR=$CUDA_HOME
		elif command -v nvcc >/dev/null 2>&1; then
			CUDA_DIR=$(dirname "$(dirname "$(command -v nvcc)")")
		else
			CUDA_DIR=/usr/local/cuda
		fi
	fi
	[ -x "$CUDA_DIR/bin/nvcc" ] || skip "no CUDA toolkit: $CUDA_DIR/bin/nvcc missing (use --cuda=DIR)"
	CUDA_DIR=$(cd "$CUDA_DIR" && pwd -P)
	CUDA_LIB=$CUDA_DIR/lib64
	[ -d "$CUDA_LIB" ] || CUDA_LIB=$CUDA_DIR/lib
	CUDA_VERSION=$("$CUDA_DIR/bin/nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')
	say "CUDA $CUDA_VERSION at $CUDA_DIR"
fi

# ------------------------------------------------------------------ the source package
# Downloaded once per suite into WORKDIR/SUITE (.dsc, .orig and .debian tarballs): later runs,
# and cache look-ups, need no network.
SRCPKG=$WORKDIR/$SUITE
APTDIR=$SRCPKG/apt
dsc_of() { ls "$1"/starpu_*.dsc 2>/dev/null | sort -V | tail -n 1; }
DSC=$(dsc_of "$SRCPKG")
if [ -z "$DSC" ] || [ $REFRESH = yes ]; then
	command -v dpkg-source >/dev/null 2>&1 || {
		[ $INSTALL_DEPS = yes ] && [ "$(id -u)" = 0 ] || fail "missing package: dpkg-dev (for dpkg-source)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends dpkg-dev >&2 ||
			fail "apt-get install dpkg-dev failed"
	}
	MIRROR=${HETSCHED_DEBIAN_MIRROR:-http://deb.debian.org/debian}
	KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -r "$KEYRING" ] || skip "no $KEYRING (apt-get install debian-archive-keyring)"
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/sources.list.d"
	echo "deb-src [signed-by=$KEYRING] $MIRROR $SUITE main" >"$APTDIR/sources.list"
	set -- -o Dir::Etc::SourceList="$APTDIR/sources.list" \
		-o Dir::Etc::SourceParts="$APTDIR/sources.list.d" \
		-o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o APT::Sandbox::User=root -o Acquire::Retries=1 -o Acquire::http::Timeout=30
	say "apt-get source starpu (private deb-src: $SUITE main from $MIRROR)"
	if ! apt-get "$@" -q update >"$SRCPKG/apt-update.log" 2>&1 ||
		grep -q '^[WE]: Failed to fetch' "$SRCPKG/apt-update.log"; then
		tail -n 5 "$SRCPKG/apt-update.log" >&2
		skip "cannot fetch the $SUITE deb-src index (no network, or no such suite?)"
	fi
	# Into a fresh folder, then moved: an interrupted download never looks complete.
	rm -rf "$SRCPKG/download"
	mkdir "$SRCPKG/download"
	if ! (cd "$SRCPKG/download" && apt-get "$@" -q --download-only source starpu) \
		>"$SRCPKG/apt-source.log" 2>&1; then
		tail -n 5 "$SRCPKG/apt-source.log" >&2
		skip "apt-get source starpu failed for $SUITE (see $SRCPKG/apt-source.log)"
	fi
	[ -n "$(dsc_of "$SRCPKG/download")" ] || fail "apt-get source left no starpu_*.dsc (see $SRCPKG/apt-source.log)"
	rm -f "$SRCPKG"/starpu_*
	mv "$SRCPKG"/download/* "$SRCPKG/"
	rmdir "$SRCPKG/download"
	DSC=$(dsc_of "$SRCPKG")
fi
DEBVERSION=$(sed -n 's/^Version: *//p' "$DSC" | head -n 1)
# 1.4.10+dfsg-2 -> 1.4.10
VERSION=$(echo "$DEBVERSION" | sed -e 's/^[0-9]*://' -e 's/[+~-].*//')
MAJMIN=$(echo "$VERSION" | cut -d. -f1-2)
case $MAJMIN in
1.3) PATCH=$HERE/starpu-cuda13.patch ;;
1.4) PATCH=$HERE/starpu-1.4-cuda13.patch ;;
*) fail "StarPU $VERSION ($DSC): this script knows 1.3 and 1.4 only" ;;
esac
[ -f "$PATCH" ] || fail "no $PATCH"
say "source package: starpu $DEBVERSION ($SUITE), StarPU $VERSION; patch $(basename "$PATCH")"

# ------------------------------------------------------------------ configure's arguments
onoff() { if [ "$2" = yes ]; then echo "--enable-$1"; else echo "--disable-$1"; fi; }
set -- --disable-static --enable-maxcpus="$MAXCPUS" \
	"$(onoff opencl $OPENCL)" "$(onoff mpi $MPI)" \
	--disable-build-doc --disable-build-examples --disable-build-tests --disable-fortran \
	--disable-openmp --disable-socl --disable-starpufft --disable-glpk --disable-hdf5 \
	--enable-blas-lib=none --without-fxt
if [ $CUDA = yes ]; then
	set -- "$@" --enable-cuda --with-cuda-dir="$CUDA_DIR" --with-cuda-lib-dir="$CUDA_LIB" --enable-maxcudadev=8
else
	set -- "$@" --disable-cuda
fi
[ $SIMGRID = no ] || set -- "$@" --enable-simgrid
# 1.4 only: the Python interface is built when Python's headers are found; not wanted here.
[ "$MAJMIN" = 1.3 ] || set -- "$@" --disable-starpupy
CONFIGURE_ARGS=$*

# ------------------------------------------------------------------ cache key
options=
[ $CUDA = no ] || options="$options-cuda$CUDA_VERSION"
[ $OPENCL = no ] || options="$options-opencl"
[ $MPI = no ] || options="$options-mpi"
[ $SIMGRID = no ] || options="$options-simgrid"
[ -n "$options" ] || options=-cpu
[ "$MAXCPUS" = 256 ] || options="$options-maxcpus$MAXCPUS"
signature="starpu $DEBVERSION from $SUITE
configure $CONFIGURE_ARGS
patch $(basename "$PATCH") $(cksum <"$PATCH")
cuda ${CUDA_DIR:-none} ${CUDA_VERSION:-} nvccflags ${STARPU_NVCCFLAGS:-}"
HASH=$(printf '%s\n' "$signature" | cksum | cut -d' ' -f1)
HASH=$(printf '%08x' "$HASH")
[ -n "$PREFIX" ] || PREFIX=$CACHE/starpu-$VERSION$options-$HASH
STAMP=.hetsched-starpu-stamp
prefix_complete() { # the stamp is written last, after the checks below
	[ -f "$PREFIX/$STAMP" ] && [ "$(sed -n '1,4p' "$PREFIX/$STAMP")" = "$signature" ] &&
		[ -f "$PREFIX/include/starpu/$MAJMIN/starpu_config.h" ] &&
		[ -f "$PREFIX/lib/pkgconfig/starpu-$MAJMIN.pc" ] &&
		ls "$PREFIX"/lib/libstarpu-"$MAJMIN".so.* >/dev/null 2>&1
}
if prefix_complete; then
	say "reusing $PREFIX (complete: $(sed -n 's/^built //p' "$PREFIX/$STAMP"))"
	say "  PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --cflags --libs starpu-$MAJMIN"
	echo "$PREFIX"
	exit 0
fi

# ------------------------------------------------------------------ build dependencies
need_pkgs=
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
deps="build-essential pkg-config libhwloc-dev dpkg-dev patch"
[ $OPENCL = no ] || deps="$deps ocl-icd-opencl-dev opencl-headers"
[ $MPI = no ] || deps="$deps libopenmpi-dev openmpi-bin"
[ $SIMGRID = no ] || deps="$deps libsimgrid-dev libboost-dev"
for p in $deps; do
	have "$p" || need_pkgs="$need_pkgs $p"
done
if [ -n "$need_pkgs" ]; then
	[ $INSTALL_DEPS = yes ] && [ "$(id -u)" = 0 ] ||
		fail "missing packages:$need_pkgs (apt-get install -y --no-install-recommends$need_pkgs)"
	say "installing:$need_pkgs"
	apt-get -q update >/dev/null 2>&1 || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need_pkgs >&2 ||
		fail "apt-get install$need_pkgs failed"
fi

# ------------------------------------------------------------------ unpack and patch
# One build tree per cache name; always unpacked afresh (a minute at most), so that a tree left
# by an interrupted run is never trusted.
BUILDROOT=$WORKDIR/build-$VERSION$options-$HASH
rm -rf "$BUILDROOT"
mkdir -p "$BUILDROOT"
LOG=$BUILDROOT/log
mkdir "$LOG"
dpkg-source --no-check -x "$DSC" "$BUILDROOT/src" >"$LOG/unpack.log" 2>&1 ||
	{ tail -n 5 "$LOG/unpack.log" >&2; fail "dpkg-source -x $DSC failed"; }
SRCDIR=$BUILDROOT/src
# Debian's patches only touch examples and documentation, which are not built: nothing needs
# autoreconf.
(cd "$SRCDIR" && patch -p1 --forward <"$PATCH") >"$LOG/patch.log" 2>&1 ||
	{ cat "$LOG/patch.log" >&2; fail "$PATCH does not apply to StarPU $DEBVERSION"; }
sed 's/^/  /' "$LOG/patch.log" >&2

# ------------------------------------------------------------------ configure
BUILD=$BUILDROOT/build
mkdir -p "$BUILD"
say "configure --prefix=$PREFIX $CONFIGURE_ARGS"
# LIBRARY_PATH may point at CUDA's stubs (libcuda.so without a driver): configure's link tests
# then pass, which is what a CUDA build wants; the installed library needs the real driver.
(cd "$BUILD" && "$SRCDIR/configure" --prefix="$PREFIX" "$@" NVCCFLAGS="${STARPU_NVCCFLAGS:-}") \
	>"$LOG/configure.log" 2>&1 ||
	{ tail -n 30 "$LOG/configure.log" >&2; fail "StarPU's configure failed (see $LOG/configure.log, $BUILD/config.log)"; }
CONFIG_H=$BUILD/include/starpu_config.h
# What configure decided must be what was asked for: it silently drops a backend it cannot build.
want() { # want yes|no MACRO WHAT
	if grep -q "^#define $2 1" "$CONFIG_H"; then got=yes; else got=no; fi
	[ "$1" = "$got" ] || fail "asked for $3 $1, StarPU's configure gave $got ($2; see $LOG/configure.log)"
}
want $CUDA STARPU_USE_CUDA CUDA
want $MPI STARPU_USE_MPI MPI
want $SIMGRID STARPU_SIMGRID SimGrid
# In simulation, StarPU defines STARPU_USE_OPENCL for its simulated devices whatever was asked.
[ $SIMGRID = yes ] || want $OPENCL STARPU_USE_OPENCL OpenCL
grep -E '(CUDA|OpenCL) +enabled:|Maximum number of (CPUs|CUDA devices):|hwloc:|FxT trace enabled:|StarPU MPI enabled:|SimGrid enabled:' \
	"$LOG/configure.log" | sed 's/^[[:space:]]*/  /' >&2 || true

# ------------------------------------------------------------------ build and install
say "make -j$JOBS (log: $LOG/make.log)"
if ! make -C "$BUILD" -j"$JOBS" >"$LOG/make.log" 2>&1; then
	grep -E -B2 -A6 'error:|Error [0-9]' "$LOG/make.log" | head -n 60 >&2
	fail "StarPU's build failed (see $LOG/make.log)"
fi
# A prefix of the cache is replaced whole; one given on the command line is installed over.
case $PREFIX in "$CACHE"/starpu-*) rm -rf "$PREFIX" ;; esac
rm -f "$PREFIX/$STAMP"
make -C "$BUILD" install >"$LOG/install.log" 2>&1 ||
	{ tail -n 20 "$LOG/install.log" >&2; fail "make install failed (see $LOG/install.log)"; }

# ------------------------------------------------------------------ checks, then the stamp
PC=$PREFIX/lib/pkgconfig/starpu-$MAJMIN.pc
[ -f "$PC" ] || fail "no $PC after make install"
cmp -s "$CONFIG_H" "$PREFIX/include/starpu/$MAJMIN/starpu_config.h" ||
	fail "installed starpu_config.h differs from the build's"
LIB=$(ls "$PREFIX"/lib/libstarpu-"$MAJMIN".so.[0-9]* | head -n 1)
[ $MPI = no ] || [ -f "$PREFIX/lib/pkgconfig/starpumpi-$MAJMIN.pc" ] || fail "no starpumpi-$MAJMIN.pc"
got=$(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --modversion "starpu-$MAJMIN") ||
	fail "pkg-config cannot read $PC"
[ "$got" = "$VERSION" ] || fail "$PC says $got, expected $VERSION"
seconds=$(($(date +%s) - start))
{
	printf '%s\n' "$signature"
	echo "built $(date -u +%Y-%m-%dT%H:%MZ) in $seconds s, make -j$JOBS, on $(uname -n)"
} >"$PREFIX/$STAMP"
[ $KEEP_BUILD = yes ] || { cp -r "$LOG" "$PREFIX/.hetsched-build-logs"; rm -rf "$BUILDROOT"; }

say "installed StarPU $VERSION ($SUITE;$(echo "$options" | tr '-' ' ')) into $PREFIX in $seconds s"
say "  PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --cflags --libs starpu-$MAJMIN"
say "  $(basename "$LIB") needs: $(objdump -p "$LIB" | sed -n 's/^ *NEEDED *//p' | tr '\n' ' ')"
say "  $(grep -E '#define STARPU_(MAXCPUS|MAXCUDADEVS|NMAXBUFS|MAXIMPLEMENTATIONS|USE_CUDA|USE_OPENCL|USE_MPI|SIMGRID) ' "$PREFIX/include/starpu/$MAJMIN/starpu_config.h" | sed 's/#define //' | tr '\n' ';' | sed 's/;/; /g')"
echo "$PREFIX"
