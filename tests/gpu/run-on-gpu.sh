#!/bin/bash
# run-on-gpu.sh [options] BUNDLE: build hetsched on a machine with an NVIDIA GPU, the CUDA toolkit,
# a C compiler, make and python3, but no network and no package manager, and measure it there.
# BUNDLE is the folder that tests/gpu/gather-deps.sh made on a build machine (a CUDA StarPU, the
# libraries and headers of hwloc, OpenBLAS and jansson, pkg-config, and hetsched's sources with
# a generated configure: no autotools are needed here). See tests/gpu/README.md.
#
# In order, within a time budget (default 420 s; the whole script stays under 8 minutes):
#  1. builds hetsched (library, CLI, test programs) against the bundle, CUDA in the library;
#  2. a tiny CUDA program: cuBLAS sgemm on device-resident data (one call, N x N x N, no TF32),
#     the device's write (cudaMemset) and copy bandwidth, and hetsched's rand kernel alone;
#  3. tests/test_cuda_kernels and test_cuda_precision, then the numerical tests with
#     HS_WORKERS=cuda;
#  4. `hetsched calibrate`, then `hetsched run --check --json` for each size, policy (dmda,
#     dmdas, eager) and worker set (GPU only: --ncpu 0; CPU only: --ncuda 0; both), the runs
#     that the targets need first, CPU-only ones last (skipped when the budget runs out);
#  4b. tests/gpu/measure-data.sh, before the runs of 4: issue 18's figures (cold_16384 from host
#     files, the 131072 x 8192 stream file to file, with the CPU workers added, device memory
#     limited to a quarter, first pass on a fresh STARPU_HOME), PyTorch measured beside them;
#  4c. tests/gpu/measure-precision.sh, before 4b: issue 19's figures (TF32 and BF16-storage runs
#     against cublasGemmEx alone, rand against torch.rand/randn), PyTorch beside them;
#  5. a summary table: each figure beside its target. Targets: hetsched GPU-only (host to host)
#     >= 0.92 x cuBLAS at 16384 and >= 0.80 x at 8192 (these passes are "resident": x and W were
#     generated on the GPU by the warm-up, only y travels); hybrid CPU+GPU >= 1.00 x GPU-only
#     under dmda; rand's write rate on the GPU beside the device's write bandwidth; and the
#     targets of measure-data.sh, whose labels say what crossed the bus.
#
# Options:
#   --workdir DIR     build and results here (default ${TMPDIR:-/tmp}/hetsched-gpu); emptied first
#   --results DIR     also copy summary.txt and results.tar.gz (every JSON and log) there
#   --sizes LIST      N for the N x N x N problems (default 8192,16384)
#   --policies LIST   StarPU policies (default dmda,dmdas,eager)
#   --repeat R        forward passes per run; the best is reported (default 3)
#   --budget S        seconds after which no new step starts (default 420)
#   --build-only      build and run `hetsched info` only: needs no GPU (to check a bundle)
# Exit: 0 everything ran and every check passed (targets are reported, not enforced); 1 a build,
# test or check failed; 2 bad arguments or not a bundle; 77 no GPU here (nothing is run).
set -u -o pipefail

prog=run-on-gpu
usage() {
	[ $# -gt 0 ] && echo "$prog: $*" >&2
	echo "usage: $0 [--workdir DIR] [--results DIR] [--sizes N1,N2] [--policies P1,P2] [--repeat R] [--budget S] [--build-only] BUNDLE" >&2
	echo "  BUNDLE: the folder made by tests/gpu/gather-deps.sh (see tests/gpu/README.md)" >&2
	exit 2
}
say() { echo "$prog: $*"; }
die() {
	say "FAIL: $*" >&2
	exit 1
}

WORK=${TMPDIR:-/tmp}/hetsched-gpu
RESULTS=
SIZES=8192,16384
POLICIES=dmda,dmdas,eager
REPEAT=3
BUDGET=420
BUILD_ONLY=no
BUNDLE=
while [ $# -gt 0 ]; do
	case $1 in
	--workdir | --results | --sizes | --policies | --repeat | --budget)
		[ $# -ge 2 ] && [ -n "$2" ] || usage "$1 needs a value"
		case $1 in
		--workdir) WORK=$2 ;;
		--results) RESULTS=$2 ;;
		--sizes) SIZES=$2 ;;
		--policies) POLICIES=$2 ;;
		--repeat) REPEAT=$2 ;;
		--budget) BUDGET=$2 ;;
		esac
		shift 2
		;;
	--workdir=* | --results=* | --sizes=* | --policies=* | --repeat=* | --budget=*)
		set -- "${1%%=*}" "${1#*=}" "${@:2}"
		;;
	--build-only) BUILD_ONLY=yes; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) usage "unknown option $1" ;;
	*) [ -z "$BUNDLE" ] || usage "one BUNDLE only (got '$BUNDLE' and '$1')"; BUNDLE=$1; shift ;;
	esac
done
[ $# -eq 0 ] || { [ -z "$BUNDLE" ] && [ $# -eq 1 ] && BUNDLE=$1; } || usage "unexpected argument '$*'"
[ -n "$BUNDLE" ] || usage "no BUNDLE given"
is_count() { case $1 in '' | *[!0-9]* | 0*) return 1 ;; esac; }
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
[ ${#SIZE_LIST[@]} -gt 0 ] || usage "--sizes is empty"
for n in "${SIZE_LIST[@]}"; do
	is_count "$n" || usage "--sizes takes positive integers, got '$n'"
	[ "$n" -le 65536 ] || usage "--sizes: $n is too large (at most 65536)"
done
IFS=, read -r -a POLICY_LIST <<<"$POLICIES"
[ ${#POLICY_LIST[@]} -gt 0 ] || usage "--policies is empty"
for p in "${POLICY_LIST[@]}"; do
	[[ $p =~ ^[a-z][a-z0-9_-]*$ ]] || usage "--policies: '$p' is not a policy name"
done
is_count "$REPEAT" || usage "--repeat takes a positive integer, got '$REPEAT'"
is_count "$BUDGET" && [ "$BUDGET" -ge 30 ] || usage "--budget takes seconds (>= 30), got '$BUDGET'"
[ -d "$BUNDLE" ] || usage "BUNDLE '$BUNDLE' is not a folder"
BUNDLE=$(cd "$BUNDLE" && pwd)
if [ ! -f "$BUNDLE/MANIFEST.txt" ] || [ ! -f "$BUNDLE/hetsched-src.tar.gz" ] ||
	! ls "$BUNDLE"/lib/pkgconfig/starpu-1.*.pc >/dev/null 2>&1; then
	usage "$BUNDLE is not a bundle made by gather-deps.sh (no MANIFEST.txt, hetsched-src.tar.gz or lib/pkgconfig/starpu-1.N.pc)"
fi

# ------------------------------------------------------------------ a GPU, or nothing to do
count_gpus() {
	local n=0
	if command -v nvidia-smi >/dev/null 2>&1; then
		n=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
	fi
	if [ "$n" = 0 ]; then
		n=$(ls /dev/nvidia[0-9]* 2>/dev/null | wc -l)
	fi
	echo "$n"
}
NGPU=$(count_gpus)
if [ $BUILD_ONLY = no ] && [ "$NGPU" = 0 ]; then
	say "SKIP: no NVIDIA GPU here (nvidia-smi lists none and there is no /dev/nvidia0); nothing was built or run." >&2
	say "      Run this on the GPU machine, or pass --build-only to check the bundle and the build here." >&2
	exit 77
fi

T0=$SECONDS
elapsed() { echo $((SECONDS - T0)); }
left() { echo $((BUDGET - (SECONDS - T0))); }

# ------------------------------------------------------------------ tools of this machine
for tool in cc make tar gzip sed grep awk timeout; do
	command -v $tool >/dev/null 2>&1 || die "this machine has no $tool: it is needed to build hetsched"
done
PYTHON=$(command -v python3 || true)
[ -n "$PYTHON" ] || die "this machine has no python3: it is needed for the summary"
if [ -n "${CUDA_HOME:-}" ] && [ -x "$CUDA_HOME/bin/nvcc" ]; then
	NVCC=$CUDA_HOME/bin/nvcc
elif command -v nvcc >/dev/null 2>&1; then
	NVCC=$(command -v nvcc)
elif [ -x /usr/local/cuda/bin/nvcc ]; then
	NVCC=/usr/local/cuda/bin/nvcc
else
	die "no nvcc (CUDA_HOME, PATH, /usr/local/cuda/bin): the CUDA toolkit is needed"
fi
CUDA_HOME=$(cd "$(dirname "$NVCC")/.." && pwd)
CUDA_VERSION=$("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')

rm -rf "$WORK"
mkdir -p "$WORK/res" || die "cannot create $WORK"
WORK=$(cd "$WORK" && pwd)
RES=$WORK/res
SUMMARY=$WORK/summary.txt
: >"$WORK/steps.tsv" # step, status, detail
step() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$WORK/steps.tsv"; }
say "bundle $BUNDLE; work $WORK; CUDA $CUDA_VERSION at $CUDA_HOME; $NGPU GPU(s); budget $BUDGET s"
sed -n '1,10p' "$BUNDLE/MANIFEST.txt" | grep -v '^files:' | sed 's/^/  /'

# ------------------------------------------------------------------ CUDA libraries
# The bundle's StarPU was linked against the sonames MANIFEST.txt lists; find them here: in the
# toolkit, in the system's cache, or in PyTorch's nvidia-* wheels.
need=$(sed -n 's/^cuda-libraries-needed://p' "$BUNDLE/MANIFEST.txt")
need="$need libcublas.so libcudart.so"
cands="$CUDA_HOME/lib64 $CUDA_HOME/lib $CUDA_HOME/targets/x86_64-linux/lib /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu /usr/lib64"
py_nvidia=$("$PYTHON" -c 'import nvidia, os, glob
for p in nvidia.__path__:
    for d in sorted(glob.glob(os.path.join(p, "*", "lib"))): print(d)' 2>/dev/null | tr '\n' ' ' || true)
cands="$cands $py_nvidia"
LINKDIR=$WORK/cudalink
mkdir -p "$LINKDIR"
CUDA_LIBDIRS=
for so in $need; do
	found=
	for d in $cands; do
		if [ -e "$d/$so" ]; then found=$d/$so; break; fi
		# an unversioned name the linker wants: take the versioned library beside it
		case $so in *.so) v=$(ls "$d/$so".[0-9]* 2>/dev/null | sort -V | tail -n 1); [ -n "$v" ] && { found=$v; break; } ;; esac
	done
	if [ -z "$found" ]; then
		found=$(ldconfig -p 2>/dev/null | sed -n "s|^[[:space:]]*$so[. ].*=> \(.*\)$|\1|p" | head -n 1)
	fi
	[ -n "$found" ] || die "this machine lacks $so (needed by the bundle's StarPU or to link hetsched with cuBLAS); looked in: $cands"
	ln -sf "$(readlink -f "$found")" "$LINKDIR/$so"
	d=$(dirname "$(readlink -f "$found")")
	case ":$CUDA_LIBDIRS:" in *":$d:"*) ;; *) CUDA_LIBDIRS=${CUDA_LIBDIRS:+$CUDA_LIBDIRS:}$d ;; esac
done
export LD_LIBRARY_PATH=$BUNDLE/lib:$CUDA_LIBDIRS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
say "CUDA libraries from: $CUDA_LIBDIRS"

# ------------------------------------------------------------------ build
SRC=$WORK/src
BUILD=$WORK/build
mkdir -p "$SRC" "$BUILD"
tar xzf "$BUNDLE/hetsched-src.tar.gz" -C "$SRC" --strip-components=1 || die "cannot unpack $BUNDLE/hetsched-src.tar.gz"
[ -x "$SRC/configure" ] || die "the bundle's sources have no configure (gather-deps.sh runs autoreconf)"
if [ -x "$BUNDLE/bin/pkg-config" ] && "$BUNDLE/bin/pkg-config" --version >/dev/null 2>&1; then
	PKGCONFIG=$BUNDLE/bin/pkg-config
else
	PKGCONFIG=$(command -v pkg-config || command -v pkgconf || true)
	[ -n "$PKGCONFIG" ] || die "no pkg-config: neither the bundle's nor this machine's works"
fi
# Kernels for this GPU (sm_90 on Hopper) rather than JIT-compiled PTX, when nvcc can tell.
NVCCFLAGS_GPU=
printf '__global__ void k(void) {}\n' >"$WORK/arch.cu"
if [ "$NGPU" != 0 ] && "$NVCC" -arch=native -c "$WORK/arch.cu" -o "$WORK/arch.o" >/dev/null 2>&1; then
	NVCCFLAGS_GPU=-arch=native
fi
JOBS=$(nproc 2>/dev/null || echo 4)
say "configure (log: $WORK/configure.log)"
tb=$SECONDS
(cd "$BUILD" && "$SRC/configure" --with-cuda="$CUDA_HOME" --disable-opencl --without-mpi \
	PKG_CONFIG="$PKGCONFIG" PKG_CONFIG_LIBDIR="$BUNDLE/lib/pkgconfig" PKG_CONFIG_PATH= \
	NVCCFLAGS="$NVCCFLAGS_GPU" CPPFLAGS="-isystem $CUDA_HOME/include" \
	LDFLAGS="-L$LINKDIR -Wl,-rpath,$BUNDLE/lib -Wl,-rpath-link,$BUNDLE/lib${CUDA_LIBDIRS:+ -Wl,-rpath-link,$CUDA_LIBDIRS}") \
	>"$WORK/configure.log" 2>&1 || { tail -n 25 "$WORK/configure.log" >&2; die "configure failed (see $BUILD/config.log)"; }
sed -n '/^hetsched .* configured$/,$p' "$WORK/configure.log" | sed 's/^/  /'
grep -q 'CUDA backend \.* yes, in the library' "$WORK/configure.log" ||
	die "configure did not put CUDA in the library (see $WORK/configure.log)"
say "make -j$JOBS libhetsched.la hetsched (log: $WORK/make.log)"
make -C "$BUILD" -j"$JOBS" libhetsched.la hetsched >"$WORK/make.log" 2>&1 ||
	{ grep -E 'error|Error' "$WORK/make.log" | head -n 30 >&2; die "the build failed (see $WORK/make.log)"; }
TESTS_BUILT=
for t in test_cuda_kernels test_cuda_precision test_rand test_rand16 test_precision test_linear test_both; do
	if make -C "$BUILD/tests" -j"$JOBS" "$t" >>"$WORK/make.log" 2>&1; then
		TESTS_BUILT="$TESTS_BUILT $t"
	else
		say "could not build tests/$t (see $WORK/make.log)"
		step "build tests/$t" FAIL "see make.log"
	fi
done
HETSCHED=$BUILD/hetsched
step "build (configure + make)" PASS "$((SECONDS - tb)) s, nvcc ${NVCCFLAGS_GPU:-default arch}"
say "built in $((SECONDS - tb)) s"

export STARPU_HOME=$WORK/starpu-home STARPU_SILENT=1
mkdir -p "$STARPU_HOME"
"$HETSCHED" info --json >"$RES/info.json" 2>"$RES/info.err"
rc=$?
if [ $rc != 0 ]; then
	cat "$RES/info.err" >&2
	die "hetsched info failed (exit $rc)"
fi
"$HETSCHED" info 2>&1 | sed 's/^/  /' | head -n 25

if [ $BUILD_ONLY = yes ]; then
	say "--build-only: built and started hetsched; nothing measured"
	exit 0
fi
NCUDA=$("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for w in d.get("workers",[]) if w.get("kind")=="cuda"))' "$RES/info.json" 2>/dev/null || echo 0)
if [ "$NCUDA" = 0 ]; then
	say "SKIP: hetsched sees no CUDA worker although $NGPU GPU(s) are listed (driver? CUDA_VISIBLE_DEVICES?)" >&2
	exit 77
fi

# ------------------------------------------------------------------ device-resident references
# cuBLAS sgemm as linear.c calls it (y^T = w x^T + y^T, column-major), on data already on the
# GPU; write and copy bandwidth; and hetsched's rand kernel alone (the launcher linear.c uses).
cat >"$WORK/ref.cu" <<'EOF'
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#ifdef WITH_RAND
#include "cuda_kernels.h"
#endif
#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { fprintf(stderr, "%s: %s\n", #x, cudaGetErrorString(e)); exit(1); } } while (0)
#define CB(x) do { cublasStatus_t s = (x); if (s != CUBLAS_STATUS_SUCCESS) { fprintf(stderr, "%s: %d\n", #x, (int)s); exit(1); } } while (0)
template <class F> static float median_ms(F f, int reps, cudaStream_t st) {
	cudaEvent_t a, b; CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b));
	std::vector<float> t;
	f(); f(); CK(cudaStreamSynchronize(st));
	for (int i = 0; i < reps; i++) {
		CK(cudaEventRecord(a, st)); f(); CK(cudaEventRecord(b, st)); CK(cudaEventSynchronize(b));
		float ms; CK(cudaEventElapsedTime(&ms, a, b)); t.push_back(ms);
	}
	std::sort(t.begin(), t.end());
	return t[t.size() / 2];
}
int main(int argc, char **argv) {
	int ndev = 0;
	if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev == 0) { printf("devices 0\n"); return 77; }
	cudaDeviceProp p; CK(cudaGetDeviceProperties(&p, 0));
	printf("device %s|%d|%.1f|%d.%d\n", p.name, p.multiProcessorCount, p.totalGlobalMem / 1073741824.0, p.major, p.minor);
	cudaStream_t st; CK(cudaStreamCreate(&st));
	cublasHandle_t h; CB(cublasCreate(&h)); CB(cublasSetStream(h, st));
	CB(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH)); /* plain FP32: no TF32 */
	size_t big = (size_t)1 << 31; /* 2 GiB */
	char *buf; CK(cudaMalloc(&buf, big));
	float ms = median_ms([&] { CK(cudaMemsetAsync(buf, 1, big, st)); }, 10, st);
	printf("write_gbs %.1f\n", big / (ms * 1e-3) * 1e-9);
	ms = median_ms([&] { CK(cudaMemcpyAsync(buf + big / 2, buf, big / 2, cudaMemcpyDeviceToDevice, st)); }, 10, st);
	printf("copy_gbs %.1f\n", 2.0 * (big / 2) / (ms * 1e-3) * 1e-9);
	CK(cudaFree(buf));
	for (int i = 1; i < argc; i++) {
		/* "N" for N x N x N, or "MxNxK": y (M x N) = x (M x K) w^T (w: N x K). */
		int n = atoi(argv[i]), m = n, k = n;
		bool square = sscanf(argv[i], "%dx%dx%d", &m, &n, &k) != 3;
		if (square) m = k = n = atoi(argv[i]);
		size_t sz = (size_t)n * n * sizeof(float);
		float *x, *w, *y; CK(cudaMalloc(&x, (size_t)m * k * 4)); CK(cudaMalloc(&w, (size_t)n * k * 4)); CK(cudaMalloc(&y, (size_t)m * n * 4));
		CK(cudaMemset(x, 0, (size_t)m * k * 4)); CK(cudaMemset(w, 0, (size_t)n * k * 4)); CK(cudaMemset(y, 0, (size_t)m * n * 4));
		if (!square) {
			const float one = 1.0f;
			ms = median_ms([&] { CB(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, w, k, x, k, &one, y, n)); }, 5, st);
			printf("sgemm %s gflops %.1f ms %.3f\n", argv[i], 2.0 * m * n * (double)k / (ms * 1e-3) * 1e-9, ms);
			CK(cudaFree(x)); CK(cudaFree(w)); CK(cudaFree(y));
			continue;
		}
#ifdef WITH_RAND
		/* Inputs from the real generator (zeros would flatter the GEMM's power draw). */
		hetsched__rand_cuda_launch(x, HETSCHED__CUDA_F32, n, n, n, 1, 0, 0, 0.0f, 1.0f, 0, 0, st);
		hetsched__rand_cuda_launch(w, HETSCHED__CUDA_F32, n, n, n, 2, 0, 0, 0.0f, 1.0f, 0, 0, st);
		float rms = median_ms([&] { hetsched__rand_cuda_launch(y, HETSCHED__CUDA_F32, n, n, n, 3, 0, 0, 0.0f, 1.0f, 0, 0, st); }, 10, st);
		printf("rand %d uniform_gbs %.1f\n", n, sz / (rms * 1e-3) * 1e-9);
		rms = median_ms([&] { hetsched__rand_cuda_launch(y, HETSCHED__CUDA_F32, n, n, n, 3, 0, 1, 0.0f, 1.0f, 0, 0, st); }, 10, st);
		printf("rand %d normal_gbs %.1f\n", n, sz / (rms * 1e-3) * 1e-9);
#endif
		const float one = 1.0f;
		ms = median_ms([&] { CB(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &one, w, n, x, n, &one, y, n)); }, 10, st);
		printf("sgemm %d gflops %.1f ms %.3f\n", n, 2.0 * n * n * (double)n / (ms * 1e-3) * 1e-9, ms);
		CK(cudaFree(x)); CK(cudaFree(w)); CK(cudaFree(y));
	}
	return 0;
}
EOF
say "device-resident references (cuBLAS sgemm, bandwidth, rand kernel)"
KLIB=$BUILD/.libs/libhetsched_cudakernels.a
ref_built=no
if [ -f "$KLIB" ] && "$NVCC" $NVCCFLAGS_GPU -std=c++17 -O2 -DWITH_RAND -I"$SRC/codelets" -I"$SRC/include" \
	-I"$BUILD/include" -I"$BUILD" "$WORK/ref.cu" "$KLIB" -L"$LINKDIR" -lcublas -lcudart \
	-o "$WORK/ref" >"$WORK/ref-build.log" 2>&1; then
	ref_built=yes
elif "$NVCC" $NVCCFLAGS_GPU -std=c++17 -O2 "$WORK/ref.cu" -L"$LINKDIR" -lcublas -lcudart \
	-o "$WORK/ref" >>"$WORK/ref-build.log" 2>&1; then
	ref_built=yes
	say "rand kernel not measured: the reference program did not build with hetsched's launchers (see $WORK/ref-build.log)"
fi
if [ $ref_built = yes ]; then
	sizes_sp=${SIZES//,/ }
	timeout 120 "$WORK/ref" $sizes_sp >"$RES/reference.txt" 2>"$RES/reference.err"
	rc=$?
	sed 's/^/  /' "$RES/reference.txt"
	[ $rc = 0 ] && step "cuBLAS/bandwidth references" PASS "$(elapsed) s in" ||
		step "cuBLAS/bandwidth references" FAIL "exit $rc: $(head -c 200 "$RES/reference.err")"
else
	step "cuBLAS/bandwidth references" FAIL "did not build (see ref-build.log)"
fi
# PyTorch's matmul, when it is here: a second opinion on the reference (TF32 off).
"$PYTHON" - "${SIZE_LIST[@]}" >"$RES/torch.txt" 2>"$RES/torch.err" <<'EOF' || true
import sys, torch
torch.backends.cuda.matmul.allow_tf32 = False
for n in map(int, sys.argv[1:]):
    x = torch.rand(n, n, device="cuda"); w = torch.rand(n, n, device="cuda")
    for _ in range(2): y = x @ w.t()
    torch.cuda.synchronize()
    ts = []
    for _ in range(10):
        a = torch.cuda.Event(enable_timing=True); b = torch.cuda.Event(enable_timing=True)
        a.record(); y = x @ w.t(); b.record(); b.synchronize(); ts.append(a.elapsed_time(b))
    ts.sort(); ms = ts[len(ts) // 2]
    print(f"torch_sgemm {n} gflops {2.0 * n ** 3 / (ms * 1e-3) * 1e-9:.1f}")
EOF
sed 's/^/  /' "$RES/torch.txt"

# ------------------------------------------------------------------ tests with CUDA
FAILED=0
tap_counts() { # file -> "P passed, F failed, S skipped"
	local p f s
	p=$(grep -c '^ok ' "$1" || true)
	s=$(grep -c '^ok .*# *SKIP' "$1" || true)
	f=$(grep -c '^not ok' "$1" || true)
	echo "$((p - s)) passed, $f failed, $s skipped"
}
run_test() { # id label command...: TAP output into RES/id.tap
	local id=$1 label=$2 rc limit counts
	shift 2
	if [ "$(left)" -lt 20 ]; then step "$label" SKIPPED "time budget"; return; fi
	limit=$(($(left) < 150 ? $(left) : 150))
	mkdir -p "$WORK/th/$id" "$WORK/tmp-$id"
	# Each test gets its own StarPU home, seeded with the bus calibration that `hetsched info`
	# made, so that no test spends its time measuring the bus again.
	cp -R "$STARPU_HOME/." "$WORK/th/$id/" 2>/dev/null || true
	(cd "$WORK" && env STARPU_HOME="$WORK/th/$id" HS_TMPDIR="$WORK/tmp-$id" timeout "$limit" "$@") \
		>"$RES/$id.tap" 2>&1
	rc=$?
	counts=$(tap_counts "$RES/$id.tap")
	case $rc in
	0) step "$label" PASS "$counts" ;;
	77) step "$label" SKIP "$(grep -m1 -i 'skip' "$RES/$id.tap" | head -c 160)" ;;
	124) step "$label" FAIL "timed out after $limit s; $counts"; FAILED=1 ;;
	*) step "$label" FAIL "exit $rc; $counts"; FAILED=1 ;;
	esac
	say "$label: $(tail -n 1 "$WORK/steps.tsv" | cut -f2-)"
}
case " $TESTS_BUILT " in *" test_cuda_kernels "*)
	run_test test_cuda_kernels "tests/test_cuda_kernels" "$BUILD/tests/test_cuda_kernels" ;;
esac
case " $TESTS_BUILT " in *" test_cuda_precision "*)
	run_test test_cuda_precision "tests/test_cuda_precision" "$BUILD/tests/test_cuda_precision" ;;
esac
for t in test_rand test_rand16 test_precision test_linear test_both; do
	case " $TESTS_BUILT " in *" $t "*) ;; *) continue ;; esac
	run_test "$t" "tests/$t, HS_WORKERS=cuda" env HS_WORKERS=cuda HETSCHED="$HETSCHED" \
		HS_TOP_SRCDIR="$SRC" HS_TOP_BUILDDIR="$BUILD" PYTHON_NUMPY="$PYTHON" STARPU_NOPENCL=0 \
		"$BUILD/tests/$t"
	# The tests name their worker sets in their TAP lines: say so when none used CUDA.
	if [ -f "$RES/$t.tap" ] && ! grep -qi 'cuda' "$RES/$t.tap"; then
		step "tests/$t with CUDA workers" MISSING "no TAP line names a cuda worker set: the tests ran on CPU only"
	fi
done

# ------------------------------------------------------------------ issue 19: precisions
# TF32 and BF16-storage linear layers against cublasGemmEx alone, rand against torch.rand/randn
# (tests/gpu/measure-precision.sh), with at most a quarter of what is left (150 s at most).
if [ "$(left)" -gt 60 ]; then
	pbudget=$(($(left) / 4 < 150 ? $(left) / 4 : 150))
	say "issue 19 figures (tests/gpu/measure-precision.sh, budget $pbudget s)"
	env STARPU_HOME="$WORK/precision-home" PYTHON="$PYTHON" NVCC="$NVCC" NVCCFLAGS="$NVCCFLAGS_GPU" \
		bash "$SRC/tests/gpu/measure-precision.sh" --budget "$pbudget" --ncuda "$NCUDA" \
		--build "$BUILD" --src "$SRC" --linkdir "$LINKDIR" "$HETSCHED" "$RES" \
		>"$RES/measure-precision.log" 2>&1
	rc=$?
	sed 's/^/  /' "$RES/precision.txt" 2>/dev/null
	[ $rc = 0 ] && step "issue 19 figures (measure-precision.sh)" PASS "$(elapsed) s in" ||
		{ step "issue 19 figures (measure-precision.sh)" FAIL "exit $rc (see measure-precision.log)"; FAILED=1; }
else
	step "issue 19 figures (measure-precision.sh)" SKIPPED "time budget"
fi

# ------------------------------------------------------------------ issue 18: data from the host
# cold, stream, +CPU, limited device memory, first pass on a fresh STARPU_HOME; PyTorch beside
# (tests/gpu/measure-data.sh). Before the policy runs below: these are the targets now. It gets
# at most 60 % of what is left, so that the runs below keep a share.
if [ "$(left)" -gt 60 ]; then
	say "issue 18 figures (tests/gpu/measure-data.sh, budget $(($(left) * 6 / 10)) s)"
	env STARPU_HOME="$WORK/data-home" PYTHON="$PYTHON" bash "$SRC/tests/gpu/measure-data.sh" \
		--budget $(($(left) * 6 / 10)) --ncuda "$NCUDA" --ref "$WORK/ref" "$HETSCHED" "$RES" \
		>"$RES/measure-data.log" 2>&1
	rc=$?
	sed -n '/^figure/,$p' "$RES/data.txt" 2>/dev/null | sed 's/^/  /'
	[ $rc = 0 ] && step "issue 18 figures (measure-data.sh)" PASS "$(elapsed) s in" ||
		{ step "issue 18 figures (measure-data.sh)" FAIL "exit $rc (see measure-data.log)"; FAILED=1; }
else
	step "issue 18 figures (measure-data.sh)" SKIPPED "time budget"
fi

# ------------------------------------------------------------------ hetsched runs
calibrate_sizes=$SIZES
if [ "$(left)" -gt 120 ]; then
	say "hetsched calibrate --sizes $calibrate_sizes (CPU and GPU models for dm* policies)"
	tc=$SECONDS
	timeout $(($(left) / 5)) "$HETSCHED" calibrate --sizes "$calibrate_sizes" --quiet >"$RES/calibrate.log" 2>&1
	rc=$?
	case $rc in
	0) step "hetsched calibrate" PASS "$((SECONDS - tc)) s" ;;
	124) step "hetsched calibrate" PARTIAL "stopped after $((SECONDS - tc)) s (budget); runs calibrate as they go" ;;
	*) step "hetsched calibrate" FAIL "exit $rc: $(tail -n 1 "$RES/calibrate.log" | head -c 160)" ;;
	esac
fi

# One run: name size policy workers(gpu|cpu|both)
run_hetsched() {
	local n=$1 pol=$2 kind=$3 name="run-$1-$2-$3" workers rc limit
	case $kind in
	gpu) workers="--ncpu 0 --ncuda $NCUDA" ;;
	cpu) workers="--ncuda 0" ;;
	both) workers="--ncuda $NCUDA" ;;
	esac
	if [ "$(left)" -lt 15 ]; then
		printf '{"skipped": "time budget"}\n' >"$RES/$name.json"
		return
	fi
	# CPU only is slow at large sizes: estimated from the last CPU-only run, by N^3.
	if [ $kind = cpu ] && [ -n "$CPU_N" ]; then
		est=$(awk -v w="$CPU_WALL" -v m="$CPU_N" -v n="$n" 'BEGIN { printf "%d", w * (n / m) ^ 3 + 1 }')
		if [ "$est" -gt $(($(left) - 5)) ]; then
			printf '{"skipped": "would take about %s s, %s s left"}\n' "$est" "$(left)" >"$RES/$name.json"
			return
		fi
	fi
	limit=$(($(left) < 150 ? $(left) : 150))
	tr=$SECONDS
	timeout "$limit" "$HETSCHED" run --batch "$n" --in "$n" --out "$n" --sched "$pol" $workers \
		--seed 1 --repeat "$REPEAT" --check --json >"$RES/$name.json" 2>"$RES/$name.err"
	rc=$?
	if [ $rc = 124 ] && [ "$limit" -lt 150 ]; then
		printf '{"skipped": "stopped at the end of the time budget (%s s)"}\n' "$limit" >"$RES/$name.json"
		return
	elif [ $rc = 124 ]; then
		printf '{"failed": "timed out after %s s"}\n' "$limit" >"$RES/$name.json"
	elif [ $rc != 0 ] && ! grep -q '"gflops"' "$RES/$name.json"; then
		printf '{"failed": "exit %s: %s"}\n' "$rc" "$(tail -n 1 "$RES/$name.err" | tr -d '"\\' | head -c 200)" >"$RES/$name.json"
	fi
	[ $rc = 0 ] || FAILED=1
	if [ $kind = cpu ] && [ $rc = 0 ]; then CPU_N=$n CPU_WALL=$((SECONDS - tr)); fi
	say "$name: $("$PYTHON" -c 'import json,sys
d=json.load(open(sys.argv[1]))
if "gflops" in d: print("%.0f GFLOP/s, %.3f s, tasks %s, check %s" % (d["gflops"], d["elapsed_s"], d.get("tasks_by_kind"), d.get("check", {}).get("ok")))
else: print(d)' "$RES/$name.json" 2>/dev/null || echo "exit $rc")"
}
CPU_N= CPU_WALL=
mapfile -t SORTED < <(printf '%s\n' "${SIZE_LIST[@]}" | sort -n)
# Runs the targets need first (dmda, GPU only and both), then the other policies, then CPU only.
for n in "${SORTED[@]}"; do
	run_hetsched "$n" dmda gpu
	run_hetsched "$n" dmda both
done
for pol in "${POLICY_LIST[@]}"; do
	[ "$pol" = dmda ] && continue
	for n in "${SORTED[@]}"; do
		run_hetsched "$n" "$pol" gpu
		run_hetsched "$n" "$pol" both
	done
done
case " ${POLICY_LIST[*]} " in *" dmda "*) ;; *)
	for n in "${SORTED[@]}"; do run_hetsched "$n" dmda gpu; run_hetsched "$n" dmda both; done ;;
esac
for n in "${SORTED[@]}"; do
	for pol in "${POLICY_LIST[@]}"; do
		run_hetsched "$n" "$pol" cpu
	done
done

# ------------------------------------------------------------------ summary
"$PYTHON" - "$RES" "$WORK/steps.tsv" "$SIZES" "$POLICIES" "$(elapsed)" "$BUDGET" >"$SUMMARY" <<'EOF'
import glob, json, os, re, sys
res, steps_file, sizes, policies, took, budget = sys.argv[1:7]
sizes = sorted(int(s) for s in sizes.split(","))
policies = policies.split(",")
def load(name):
    try:
        with open(os.path.join(res, name)) as f: return json.load(f)
    except Exception: return None
ref = {}
try:
    for line in open(os.path.join(res, "reference.txt")): ref_line = line.split(); ref.setdefault(ref_line[0], []).append(ref_line[1:])
except OSError: pass
dev = ref.get("device", [["?"]])[0]
dev = " ".join(dev).split("|")
write_gbs = float(ref["write_gbs"][0][0]) if "write_gbs" in ref else None
copy_gbs = float(ref["copy_gbs"][0][0]) if "copy_gbs" in ref else None
sgemm = {int(r[0]): float(r[2]) for r in ref.get("sgemm", [])}
rand = {}
for r in ref.get("rand", []): rand[(int(r[0]), r[1])] = float(r[2])
torch = {}
try:
    for line in open(os.path.join(res, "torch.txt")):
        p = line.split(); torch[int(p[1])] = float(p[3])
except OSError: pass
info = load("info.json") or {}
runs = {}
for n in sizes:
    for pol in set(policies) | {"dmda"}:
        for kind in ("gpu", "cpu", "both"):
            d = load(f"run-{n}-{pol}-{kind}.json")
            if d is not None: runs[(n, pol, kind)] = d
def gf(n, pol, kind):
    d = runs.get((n, pol, kind))
    return d.get("gflops") if d and "gflops" in d else None
out = []
P = out.append
P("=" * 100)
P(f"hetsched on {dev[0]} ({dev[1] if len(dev) > 1 else '?'} SMs, {dev[2] if len(dev) > 2 else '?'} GiB), "
  f"StarPU {info.get('starpu_version', '?')}, {took} s of {budget} s budget")
cpu_workers = sum(1 for w in info.get("workers", []) if w.get("kind") == "cpu")
blas = next((d.get("blas_core") for d in runs.values() if d.get("blas_core")), "?")
P(f"workers: {cpu_workers} CPU + {sum(1 for w in info.get('workers', []) if w.get('kind') == 'cuda')} CUDA; OpenBLAS core {blas}")
P("-" * 100)
P(f"{'figure':<58} {'value':>14}  {'target':>10}  status")
def row(label, value, target=None, ok=None, fmt="{:.2f}"):
    v = "n/a" if value is None else fmt.format(value)
    t = "" if target is None else target
    s = "" if ok is None else ("MET" if ok else "MISSED")
    if value is None and target is not None: s = "NOT MEASURED"
    P(f"{label:<58} {v:>14}  {t:>10}  {s}")
for n in sizes:
    row(f"cuBLAS sgemm {n}^3, device-resident (GFLOP/s)", sgemm.get(n), fmt="{:.0f}")
    if n in torch: row(f"  torch x @ w.t() {n}^3, TF32 off (GFLOP/s)", torch[n], fmt="{:.0f}")
for n in sizes:
    target = 0.92 if n >= 16384 else 0.80 if n >= 8192 else None
    g = gf(n, "dmda", "gpu")
    row(f"hetsched GPU-only dmda {n}, resident (only y travels) (GFLOP/s)", g, fmt="{:.0f}")
    ratio = g / sgemm[n] if g and sgemm.get(n) else None
    row(f"  / cuBLAS device-resident", ratio, f">= {target:.2f}" if target else None,
        (ratio >= target) if (ratio is not None and target) else None)
for n in sizes:
    g, b = gf(n, "dmda", "gpu"), gf(n, "dmda", "both")
    row(f"hetsched CPU+GPU dmda {n} (GFLOP/s)", b, fmt="{:.0f}")
    ratio = b / g if b and g else None
    row(f"  / its GPU-only dmda run", ratio, ">= 1.00", (ratio >= 1.0) if ratio is not None else None)
for n in sizes:
    for dist in ("uniform_gbs", "normal_gbs"):
        r = rand.get((n, dist))
        if r is None: continue
        row(f"rand {dist[:-4]} on GPU, {n}x{n} (GB/s written)", r, fmt="{:.0f}")
        if write_gbs:
            row(f"  / device write bandwidth ({write_gbs:.0f} GB/s, cudaMemset)", r / write_gbs, "~ 1 (report)")
if copy_gbs: row("device copy bandwidth, read + write (GB/s)", copy_gbs, fmt="{:.0f}")
P("-" * 100)
P(f"{'run (N, policy, workers)':<30} {'GFLOP/s':>9} {'best s':>8} {'median s':>9} {'cpu':>5} {'cuda':>5}  check")
for n in sizes:
    for pol in policies:
        for kind in ("gpu", "both", "cpu"):
            d = runs.get((n, pol, kind))
            label = f"{n} {pol} {kind}"
            if d is None: continue
            if "gflops" not in d:
                P(f"{label:<30} {d.get('skipped') and 'skipped: ' + d['skipped'] or 'FAILED: ' + str(d.get('failed'))}")
                continue
            t = d.get("tasks_by_kind", {})
            c = d.get("check", {})
            P(f"{label:<30} {d['gflops']:>9.0f} {d['elapsed_s']:>8.3f} {d.get('median_s', float('nan')):>9.3f} "
              f"{t.get('cpu', 0):>5} {t.get('cuda', 0):>5}  {'ok' if c.get('ok') else 'FAILED'} "
              f"(rel {c.get('max_rel_err', float('nan')):.1e})")
P("-" * 100)
try:
    P("issue 19: precisions and 16-bit storage (tests/gpu/measure-precision.sh)")
    P(open(os.path.join(res, "precision.txt")).read().rstrip())
    P("-" * 100)
except OSError: pass
try:
    P("issue 18: data from the host and back (tests/gpu/measure-data.sh)")
    P(open(os.path.join(res, "data.txt")).read().rstrip())
    P("-" * 100)
except OSError: pass
P("steps:")
for line in open(steps_file):
    name, status, detail = (line.rstrip("\n").split("\t") + ["", ""])[:3]
    P(f"  {status:<8} {name}: {detail}")
P("=" * 100)
print("\n".join(out))
EOF
cat "$SUMMARY"
if [ -n "$RESULTS" ]; then
	mkdir -p "$RESULTS" && cp "$SUMMARY" "$RESULTS/" &&
		tar czf "$RESULTS/results.tar.gz" -C "$WORK" res steps.tsv configure.log make.log summary.txt &&
		say "results copied to $RESULTS (summary.txt, results.tar.gz)"
fi
grep -q $'\tFAIL\t' "$WORK/steps.tsv" && FAILED=1
say "done in $(elapsed) s; $([ $FAILED = 0 ] && echo 'every build, test and check passed' || echo 'something FAILED: see above')"
exit $FAILED
