#!/bin/sh
# gather-deps.sh [--src DIR | --dist TARBALL] STARPU_PREFIX OUTDIR: make the folder that
# tests/gpu/run-on-gpu.sh needs on a GPU machine that has a C compiler, make and the CUDA toolkit
# but no package manager and no network:
#   OUTDIR/lib/            libstarpu (a CUDA build from scripts/build-starpu.sh --cuda: StarPU 1.3
#                          with --suite bookworm, 1.4 with --suite forky) and every shared
#                          library it, hwloc, OpenBLAS and jansson need beyond glibc, libgcc_s,
#                          libstdc++ and CUDA's own (those come from the GPU machine), with the
#                          .so links the linker wants
#   OUTDIR/include/        StarPU's, hwloc's, OpenBLAS's (cblas.h) and jansson's headers
#   OUTDIR/lib/pkgconfig/  starpu-1.N.pc, hwloc.pc, openblas.pc, jansson.pc, relocatable
#                          (prefix=${pcfiledir}/../..)
#   OUTDIR/bin/            pkg-config (pkgconf and its library: the GPU machine may lack one)
#   OUTDIR/hetsched-src.tar.gz  hetsched's sources with a configure generated here, so that the
#                          GPU machine needs no autotools (see tests/gpu/README.md)
#   OUTDIR/MANIFEST.txt    what is inside, versions, and the CUDA libraries the GPU machine must have
# The folder must stay under 60 MiB (OpenBLAS is most of it).
#
# Sources: --src DIR (default: the work tree holding this script) is snapshotted as git sees it
# (tracked files plus untracked ones not ignored, so work in progress is included) and
# `autoreconf -fi` is run on the snapshot; --dist TARBALL takes a `make dist` tarball instead.
# Exit: 0 done; 1 failure; 2 usage.
set -eu

usage() {
	echo "usage: $0 [--src DIR | --dist TARBALL] STARPU_PREFIX OUTDIR" >&2
	echo "  STARPU_PREFIX: what scripts/build-starpu.sh --cuda installed; OUTDIR: the folder to make" >&2
	exit 2
}
say() { echo "gather-deps: $*"; }
fail() {
	say "FAIL: $*" >&2
	exit 1
}

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
DIST=
while [ $# -gt 0 ]; do
	case $1 in
	--src) [ $# -ge 2 ] || usage; SRC=$2; shift 2 ;;
	--dist) [ $# -ge 2 ] || usage; DIST=$2; shift 2 ;;
	-h | --help) usage ;;
	-*) echo "gather-deps: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || usage
PREFIX=$1
OUT=$2
[ -d "$PREFIX" ] || { echo "gather-deps: STARPU_PREFIX '$PREFIX' is not a directory" >&2; usage; }
PREFIX=$(cd "$PREFIX" && pwd)
# The series comes from the headers' folder (include/starpu/1.N): a StarPU 1.4 prefix also holds
# starpu-1.0.pc ... starpu-1.3.pc, pointing at itself.
STARPU_CONFIG_H=$(ls "$PREFIX"/include/starpu/1.*/starpu_config.h 2>/dev/null | sort -V | tail -n 1)
[ -n "$STARPU_CONFIG_H" ] || { echo "gather-deps: no $PREFIX/include/starpu/1.N/starpu_config.h: not a StarPU prefix" >&2; usage; }
STARPU_MOD=starpu-$(basename "$(dirname "$STARPU_CONFIG_H")")
STARPU_PC=$PREFIX/lib/pkgconfig/$STARPU_MOD.pc
[ -f "$STARPU_PC" ] || { echo "gather-deps: no $STARPU_PC: not a StarPU prefix" >&2; usage; }
grep -q '^#define STARPU_USE_CUDA 1' "$STARPU_CONFIG_H" ||
	fail "$STARPU_CONFIG_H has no STARPU_USE_CUDA: build StarPU with scripts/build-starpu.sh --cuda"
if [ -n "$DIST" ]; then
	[ -f "$DIST" ] || { echo "gather-deps: --dist '$DIST' is not a file" >&2; usage; }
	DIST=$(cd "$(dirname "$DIST")" && pwd)/$(basename "$DIST")
else
	[ -f "$SRC/configure.ac" ] || { echo "gather-deps: --src '$SRC' has no configure.ac" >&2; usage; }
	SRC=$(cd "$SRC" && pwd)
fi
for tool in pkg-config ldd objdump tar gzip; do
	command -v $tool >/dev/null 2>&1 || fail "needs $tool"
done
for mod in hwloc openblas jansson; do
	pkg-config --exists $mod || fail "pkg-config finds no $mod here (apt-get install libhwloc-dev libopenblas-dev libjansson-dev)"
done

# OUTDIR is replaced only if it is empty or an earlier result of this script.
if [ -e "$OUT" ]; then
	[ -d "$OUT" ] || fail "$OUT exists and is not a folder"
	if [ -n "$(ls -A "$OUT")" ] && [ ! -f "$OUT/MANIFEST.txt" ]; then
		fail "$OUT is not empty and was not made by gather-deps.sh: refusing to replace it"
	fi
	rm -rf "$OUT"
fi
mkdir -p "$OUT/lib/pkgconfig" "$OUT/include" "$OUT/bin"
OUT=$(cd "$OUT" && pwd)

# ------------------------------------------------------------------ StarPU
cp -a "$PREFIX/include/starpu" "$OUT/include/"
for f in "$PREFIX"/lib/libstarpu-1.*.so*; do cp -a "$f" "$OUT/lib/"; done
# Relocatable, and without the build machine's CUDA include folder (StarPU puts it in Cflags):
# run-on-gpu.sh passes the GPU machine's own (-isystem $CUDA_HOME/include).
sed -e 's|^prefix=.*|prefix=${pcfiledir}/../..|' -e 's|^exec_prefix=.*|exec_prefix=${prefix}|' \
	-e 's|^libdir=.*|libdir=${prefix}/lib|' -e 's|^includedir=.*|includedir=${prefix}/include|' \
	-e '/^Cflags:/s| -I/[^ ]*||g' "$STARPU_PC" >"$OUT/lib/pkgconfig/$STARPU_MOD.pc"
for tool in starpu_machine_display starpu_perfmodel_display starpu_calibrate_bus; do
	[ -x "$PREFIX/bin/$tool" ] && cp "$PREFIX/bin/$tool" "$OUT/bin/"
done
# StarPU is built with -g: its debugging information would be most of its size.
if command -v strip >/dev/null 2>&1; then
	for f in "$OUT"/lib/libstarpu-1.*.so.*.* "$OUT"/bin/starpu_*; do
		[ -f "$f" ] && [ ! -L "$f" ] && strip --strip-unneeded "$f"
	done
fi

# ------------------------------------------------------------------ hwloc, OpenBLAS, jansson
# Headers: each library's own, copied flat into include/ (no names collide).
incdir() { pkg-config --cflags-only-I "$1" | tr ' ' '\n' | sed -n 's/^-I//p' | head -n 1; }
incdir_or_usr() { d=$(incdir "$1"); echo "${d:-/usr/include}"; }
HWLOC_INC=$(incdir_or_usr hwloc)
cp -a "$HWLOC_INC/hwloc.h" "$HWLOC_INC/hwloc" "$OUT/include/"
# Debian keeps hwloc/autogen/config.h in the multiarch folder.
multiarch=$(cc -print-multiarch 2>/dev/null || true)
if [ -n "$multiarch" ] && [ -d "/usr/include/$multiarch/hwloc" ]; then
	cp -a "/usr/include/$multiarch/hwloc/." "$OUT/include/hwloc/"
fi
OPENBLAS_INC=$(incdir_or_usr openblas)
for h in cblas.h f77blas.h openblas_config.h; do
	[ -f "$OPENBLAS_INC/$h" ] && cp -L "$OPENBLAS_INC/$h" "$OUT/include/"
done
[ -f "$OUT/include/cblas.h" ] || fail "no cblas.h in $OPENBLAS_INC"
JANSSON_INC=$(incdir_or_usr jansson)
cp -L "$JANSSON_INC/jansson.h" "$JANSSON_INC/jansson_config.h" "$OUT/include/"

# Libraries: the real files of -lhwloc, -lopenblas, -ljansson (through the alternatives).
libfile() {
	d=$(pkg-config --libs-only-L "$1" | tr ' ' '\n' | sed -n 's/^-L//p' | head -n 1)
	for dir in $d /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
		[ -e "$dir/lib$2.so" ] && { readlink -f "$dir/lib$2.so"; return 0; }
	done
	return 1
}
# Copy one library under its soname, and the linker's libNAME.so link to it.
add_lib() {
	src=$1
	soname=$(objdump -p "$src" | sed -n 's/^ *SONAME *//p')
	[ -n "$soname" ] || soname=$(basename "$src")
	[ -e "$OUT/lib/$soname" ] || cp -L "$src" "$OUT/lib/$soname"
	echo "$soname"
}
for spec in hwloc:hwloc openblas:openblas jansson:jansson; do
	mod=${spec%%:*}
	name=${spec#*:}
	f=$(libfile "$mod" "$name") || fail "cannot find lib$name.so for $mod"
	soname=$(add_lib "$f")
	ln -sf "$soname" "$OUT/lib/lib$name.so"
	version=$(pkg-config --modversion "$mod")
	cat >"$OUT/lib/pkgconfig/$mod.pc" <<EOF
# Made by hetsched's tests/gpu/gather-deps.sh from this system's $mod.pc: relocatable.
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: $mod
Description: $mod $version, gathered for a machine without a package manager
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -l$name
EOF
done

# pkg-config: pkgconf and its library (behind a wrapper that finds them).
PKGCONF=$(command -v pkgconf || true)
if [ -n "$PKGCONF" ]; then
	cp -L "$PKGCONF" "$OUT/bin/pkgconf"
	cat >"$OUT/bin/pkg-config" <<'EOF'
#!/bin/sh
# pkg-config for this folder: pkgconf gathered from the build machine, with its library.
here=$(cd "$(dirname "$0")" && pwd)
LD_LIBRARY_PATH=$here/../lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} exec "$here/pkgconf" "$@"
EOF
	chmod +x "$OUT/bin/pkg-config"
else
	say "warning: no pkgconf here: the GPU machine will need its own pkg-config"
fi

# Everything these need beyond the system's core libraries and CUDA's, recursively.
is_system_lib() {
	case $1 in
	linux-vdso.so.* | ld-linux*.so.* | libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | \
		librt.so.* | libresolv.so.* | libutil.so.* | libgcc_s.so.* | libstdc++.so.*) return 0 ;;
	esac
	return 1
}
is_cuda_lib() {
	case $1 in
	libcuda.so.* | libcudart.so.* | libcublas.so.* | libcublasLt.so.* | libcusparse.so.* | \
		libcusolver.so.* | libcufft.so.* | libnvidia-ml.so.* | libnvJitLink.so.* | libcurand.so.* | \
		libnvrtc.so.*) return 0 ;;
	esac
	return 1
}
cuda_needed=
pass=0
while :; do
	pass=$((pass + 1))
	added=0
	for f in "$OUT"/lib/*.so.* "$OUT"/bin/pkgconf; do
		[ -f "$f" ] && [ ! -L "$f" ] || continue
		for needed in $(objdump -p "$f" | sed -n 's/^ *NEEDED *//p'); do
			if is_system_lib "$needed" || [ -e "$OUT/lib/$needed" ]; then continue; fi
			if is_cuda_lib "$needed"; then
				case " $cuda_needed " in *" $needed "*) ;; *) cuda_needed="$cuda_needed $needed" ;; esac
				continue
			fi
			path=$(ldd "$f" 2>/dev/null | sed -n "s|^[[:space:]]*$needed => \(/[^ ]*\) .*|\1|p" | head -n 1)
			[ -n "$path" ] || fail "$(basename "$f") needs $needed, which is not found here"
			cp -L "$path" "$OUT/lib/$needed"
			added=1
		done
	done
	[ $added = 1 ] && [ $pass -lt 10 ] || break
done

# Self-check: the bundle's headers must need nothing beyond the C library, the compiler's and
# CUDA's own headers (dpkg says who owns each header a probe reads from outside the bundle).
CUDA_INC=$(sed -n 's|^Cflags:.* -I\(/[^ ]*\).*|\1|p' "$STARPU_PC" | head -n 1)
[ -n "$CUDA_INC" ] || CUDA_INC=/usr/local/cuda/include
printf '#include <starpu.h>\n#include <hwloc.h>\n#include <cblas.h>\n#include <jansson.h>\nint main(void) { return 0; }\n' \
	>"$OUT/probe.c"
headers=$(cc -H -fsyntax-only -I"$(dirname "$STARPU_CONFIG_H" | sed "s|^$PREFIX|$OUT|")" -I"$OUT/include" \
	-isystem "$CUDA_INC" "$OUT/probe.c" 2>&1 >/dev/null | sed -n 's/^\.\{1,\} //p' | sort -u |
	grep -v -e "^$OUT/" -e "^$CUDA_INC/" -e '^/usr/lib/gcc/') ||
	true
rm -f "$OUT/probe.c"
if command -v dpkg >/dev/null 2>&1 && [ -n "$headers" ]; then
	foreign=$(dpkg -S $headers 2>/dev/null | cut -d: -f1 | tr ', ' '\n\n' | sort -u |
		grep -v -E '^(libc6-dev|linux-libc-dev|libgcc-[0-9]+-dev|libc6-dev:amd64|)$' || true)
	[ -z "$foreign" ] || fail "the bundle's headers still read headers of: $foreign (not gathered)"
fi

# ------------------------------------------------------------------ hetsched's sources
if [ -n "$DIST" ]; then
	cp "$DIST" "$OUT/hetsched-src.tar.gz"
	src_from="make dist tarball $(basename "$DIST")"
else
	stage=$(mktemp -d "${TMPDIR:-/tmp}/hetsched-src.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	mkdir "$stage/hetsched"
	if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		out_rel=
		case $OUT/ in "$SRC"/*) out_rel=${OUT#"$SRC"/} ;; esac
		(cd "$SRC" && git ls-files -c -o --exclude-standard) |
			while IFS= read -r f; do
				[ -f "$SRC/$f" ] || continue
				case $f in cuda-glue/*) continue ;; esac
				if [ -n "$out_rel" ]; then case $f in "$out_rel"/*) continue ;; esac; fi
				printf '%s\n' "$f"
			done >"$stage/files"
		(cd "$SRC" && tar cf - -T "$stage/files") | (cd "$stage/hetsched" && tar xf -)
		src_from="git work tree $SRC ($(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$SRC" diff --quiet HEAD 2>/dev/null || echo ', with uncommitted changes'))"
	else
		fail "$SRC is not a git work tree: pass --dist TARBALL (make dist) instead"
	fi
	say "autoreconf -fi on a snapshot of $SRC"
	(cd "$stage/hetsched" && autoreconf -fi) >"$stage/autoreconf.log" 2>&1 ||
		{ tail -n 20 "$stage/autoreconf.log" >&2; fail "autoreconf failed on the snapshot"; }
	rm -rf "$stage/hetsched/autom4te.cache"
	(cd "$stage" && tar czf "$OUT/hetsched-src.tar.gz" hetsched)
fi

# ------------------------------------------------------------------ manifest and size
starpu_version=$(PKG_CONFIG_LIBDIR="$OUT/lib/pkgconfig" pkg-config --modversion "$STARPU_MOD")
cuda_version=$(sed -n 's/^#define STARPU_CUDA_VERSION *//p' "$STARPU_CONFIG_H" 2>/dev/null || true)
{
	echo "hetsched GPU bundle, made by tests/gpu/gather-deps.sh on $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "build machine: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), glibc $(ldd --version | head -n 1 | sed 's/.* //')"
	echo "starpu: $STARPU_MOD $starpu_version from $PREFIX (CUDA on$( [ -n "$cuda_version" ] && echo ", $cuda_version"))"
	echo "starpu_config: $(grep -E '#define STARPU_(MAXCPUS|MAXCUDADEVS|NMAXBUFS|USE_OPENCL|USE_MPI) ' "$STARPU_CONFIG_H" | sed 's/#define //' | tr '\n' ';')"
	for mod in hwloc openblas jansson; do echo "$mod: $(pkg-config --modversion $mod)"; done
	echo "sources: $src_from"
	echo "cuda-libraries-needed:$cuda_needed"
	echo "files:"
	(cd "$OUT" && find . -type f -o -type l | sort | while IFS= read -r f; do
		if [ -L "$f" ]; then echo "  $f -> $(readlink "$f")"; else echo "  $f $(wc -c <"$f")"; fi
	done)
} >"$OUT/MANIFEST.txt"
size_kib=$(du -sk "$OUT" | cut -f1)
say "made $OUT: $((size_kib / 1024)) MiB; the GPU machine must provide:$cuda_needed"
[ "$size_kib" -lt $((60 * 1024)) ] || fail "$OUT is $((size_kib / 1024)) MiB, over the 60 MiB limit"
