#!/bin/bash
# measure-precision.sh [options] HETSCHED RESDIR: the GPU figures of issue 19 (precision modes and
# 16-bit storage), each printed beside its target. run-on-gpu.sh calls it once hetsched is built;
# it can run alone against any CUDA build of hetsched.
#
#  tf32        hetsched `run --precision tf32`, GPU only, N x N x N (default 16384), its best pass
#              (resident: x and W were generated on the GPU, only y travels), against
#              cublasGemmEx TF32 alone on device-resident data (>= 0.85); PyTorch's x @ w.t()
#              with allow_tf32 printed beside it;
#  bf16        hetsched `run --dtype bf16 --precision bf16` likewise, against cublasGemmEx with
#              bfloat16 x, w, y and FP32 compute alone (>= 0.85); PyTorch's bfloat16 matmul beside;
#  rand        hetsched's rand kernel alone (the launcher the codelet calls) writing an N x N
#              FP32 tile, GB/s, against torch.rand (uniform, >= 0.90) and torch.randn (normal,
#              >= 0.90) on the same size; bfloat16 tiles reported beside torch's bfloat16.
# The hetsched runs are checked (--check) and their error is printed.
#
# Options:
#   --budget S       seconds; no new measurement starts after them (default 150)
#   --size N         the problem size (default 16384)
#   --ncuda N        CUDA workers (default 1)
#   --build DIR      hetsched's build folder: its .libs/libhetsched_cudakernels.a gives the rand
#                    kernel to the reference program (without it, rand is not measured)
#   --src DIR        hetsched's sources (default: the folder above this script's)
#   --linkdir DIR    where -lcublas -lcudart are found (run-on-gpu.sh's link folder)
# Environment: PYTHON (python3 with PyTorch, optional), NVCC (default: $CUDA_HOME/bin/nvcc, PATH,
# /usr/local/cuda/bin/nvcc), NVCCFLAGS (e.g. -arch=native).
# Output: RESDIR/precision.txt (the table), RESDIR/precision-*.json and *.err (the runs),
# RESDIR/precision-ref.txt, RESDIR/precision-torch.txt.
# Exit: 0 when every run exited 0 and every check passed (targets are reported, not enforced);
# 1 otherwise; 2 usage; 77 no GPU here (nothing run).
set -u -o pipefail
prog=measure-precision
BUDGET=150
N=16384
NCUDA=1
BUILD=
SRC=$(cd "$(dirname "$0")/../.." && pwd)
LINKDIR=
usage() {
	[ $# -gt 0 ] && echo "$prog: $*" >&2
	echo "usage: $0 [--budget S] [--size N] [--ncuda N] [--build DIR] [--src DIR] [--linkdir DIR] HETSCHED RESDIR" >&2
	exit 2
}
is_count() { case $1 in '' | *[!0-9]* | 0*) return 1 ;; esac; }
while [ $# -gt 0 ]; do
	case $1 in
	--budget | --size | --ncuda | --build | --src | --linkdir)
		[ $# -ge 2 ] && [ -n "$2" ] || usage "$1 needs a value"
		case $1 in
		--budget) BUDGET=$2 ;;
		--size) N=$2 ;;
		--ncuda) NCUDA=$2 ;;
		--build) BUILD=$2 ;;
		--src) SRC=$2 ;;
		--linkdir) LINKDIR=$2 ;;
		esac
		shift 2
		;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) usage "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || usage
is_count "$BUDGET" || usage "--budget takes seconds, got '$BUDGET'"
is_count "$N" || usage "--size takes a positive integer, got '$N'"
is_count "$NCUDA" || usage "--ncuda takes a positive integer, got '$NCUDA'"
HETSCHED=$1
RES=$2
[ -x "$HETSCHED" ] || usage "HETSCHED '$HETSCHED' is not an executable"
[ -f "$SRC/tests/gpu/precision-ref.cu" ] || usage "--src '$SRC' has no tests/gpu/precision-ref.cu"
mkdir -p "$RES" || exit 2
PY=${PYTHON:-$(command -v python3 || true)}
[ -n "$PY" ] || usage "no python3 (needed for the table)"
T0=$SECONDS
left() { echo $((BUDGET - (SECONDS - T0))); }
say() { echo "$prog: $*"; }
FAILED=0

# ------------------------------------------------------------------ a GPU, or nothing to do
ngpu=0
command -v nvidia-smi >/dev/null 2>&1 && ngpu=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
[ "$ngpu" != 0 ] || ngpu=$(ls /dev/nvidia[0-9]* 2>/dev/null | wc -l)
if [ "$ngpu" = 0 ]; then
	say "SKIP: no NVIDIA GPU here (nvidia-smi lists none and there is no /dev/nvidia0); nothing was run" >&2
	exit 77
fi

# ------------------------------------------------------------------ cuBLAS and rand alone
if [ -z "${NVCC:-}" ]; then
	if [ -n "${CUDA_HOME:-}" ] && [ -x "$CUDA_HOME/bin/nvcc" ]; then NVCC=$CUDA_HOME/bin/nvcc
	elif command -v nvcc >/dev/null 2>&1; then NVCC=$(command -v nvcc)
	else NVCC=/usr/local/cuda/bin/nvcc; fi
fi
REFPROG=$RES/precision-ref
: >"$RES/precision-ref.txt"
KLIB=${BUILD:+$BUILD/.libs/libhetsched_cudakernels.a}
built=no
if [ -x "$NVCC" ]; then
	set -- ${NVCCFLAGS:-} -std=c++17 -O2 ${LINKDIR:+-L"$LINKDIR"}
	if [ -n "$KLIB" ] && [ -f "$KLIB" ] &&
		"$NVCC" "$@" -DWITH_HETSCHED -I"$SRC/codelets" -I"$SRC/include" -I"$BUILD/include" -I"$BUILD" \
			"$SRC/tests/gpu/precision-ref.cu" "$KLIB" -lcublas -lcudart -o "$REFPROG" \
			>"$RES/precision-ref-build.log" 2>&1; then
		built=yes
	elif "$NVCC" "$@" "$SRC/tests/gpu/precision-ref.cu" -lcublas -lcudart -o "$REFPROG" \
		>>"$RES/precision-ref-build.log" 2>&1; then
		built=yes
		say "rand not measured: the reference program did not build with hetsched's kernels (see precision-ref-build.log)"
	fi
fi
if [ $built = yes ]; then
	timeout 120 "$REFPROG" "$N" >"$RES/precision-ref.txt" 2>"$RES/precision-ref.err"
	rc=$?
	[ $rc = 0 ] || { say "reference program: exit $rc ($(head -c 200 "$RES/precision-ref.err"))"; FAILED=1; }
	[ $rc = 77 ] && { say "SKIP: the reference program sees no CUDA device" >&2; exit 77; }
else
	say "the reference program did not build (see $RES/precision-ref-build.log): cuBLAS not measured"
	FAILED=1
fi
sed 's/^/  /' "$RES/precision-ref.txt"

# ------------------------------------------------------------------ PyTorch, same sizes
"$PY" - "$N" >"$RES/precision-torch.txt" 2>"$RES/precision-torch.err" <<'PYEOF' || say "PyTorch part failed or absent (see precision-torch.err)"
import sys, torch
n = int(sys.argv[1])
def med_ms(f, reps=10):
    f(); f(); torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True); b = torch.cuda.Event(enable_timing=True)
        a.record(); f(); b.record(); b.synchronize(); ts.append(a.elapsed_time(b))
    ts.sort(); return ts[len(ts) // 2]
flop = 2.0 * n ** 3
x = torch.rand(n, n, device="cuda") * 2 - 1; w = torch.rand(n, n, device="cuda") * 2 - 1
torch.backends.cuda.matmul.allow_tf32 = True
print(f"torch_tf32_tflops {flop / (med_ms(lambda: x @ w.t()) * 1e-3) * 1e-12:.1f}")
xb, wb = x.bfloat16(), w.bfloat16()
print(f"torch_bf16_tflops {flop / (med_ms(lambda: xb @ wb.t()) * 1e-3) * 1e-12:.1f}")
del x, w, xb, wb
for dt, name in ((torch.float32, "f32"), (torch.bfloat16, "bf16")):
    buf = torch.empty(n, n, device="cuda", dtype=dt)
    size = buf.numel() * buf.element_size()
    print(f"torch_rand_{name}_gbs {size / (med_ms(lambda: torch.rand(n, n, device='cuda', dtype=dt, out=buf)) * 1e-3) * 1e-9:.1f}")
    print(f"torch_randn_{name}_gbs {size / (med_ms(lambda: torch.randn(n, n, device='cuda', dtype=dt, out=buf)) * 1e-3) * 1e-9:.1f}")
PYEOF
sed 's/^/  /' "$RES/precision-torch.txt"

# ------------------------------------------------------------------ hetsched runs
# hs NAME ARGS...: hetsched run --json into RES/precision-NAME.json.
hs() {
	local name=$1 rc
	shift
	if [ "$(left)" -lt 15 ]; then
		echo '{"skipped": "time budget"}' >"$RES/precision-$name.json"
		return
	fi
	timeout "$(left)" "$HETSCHED" run --batch "$N" --in "$N" --out "$N" --ncpu 0 --ncuda "$NCUDA" \
		--nopencl 0 --seed 1 --repeat 3 --check --json "$@" >"$RES/precision-$name.json" \
		2>"$RES/precision-$name.err"
	rc=$?
	if [ $rc != 0 ]; then
		FAILED=1
		printf '{"failed": "exit %s: %s"}\n' "$rc" \
			"$(grep -m 1 . "$RES/precision-$name.err" | tr -d '"\\' | head -c 200)" >"$RES/precision-$name.json"
	fi
	say "$name: exit $rc"
}
export STARPU_SILENT=1
hs tf32 --precision tf32
hs bf16 --dtype bf16 --precision bf16

# ------------------------------------------------------------------ the table
"$PY" - "$RES" "$N" >"$RES/precision.txt" <<'PYEOF'
import json, os, sys
res, n = sys.argv[1], int(sys.argv[2])
def kv(name):
    out = {}
    try:
        for line in open(os.path.join(res, name)):
            p = line.split()
            if p and p[0] in ("gemm", "rand") and "tflops" in p: out[(p[0], p[1])] = float(p[p.index("tflops") + 1])
            elif p and p[0] == "rand" and "gbs" in p: out[(p[1], p[2])] = float(p[p.index("gbs") + 1])
            elif len(p) == 2:
                try: out[p[0]] = float(p[1])
                except ValueError: pass
    except OSError: pass
    return out
ref, torch = kv("precision-ref.txt"), kv("precision-torch.txt")
def run(name):
    try: return json.load(open(os.path.join(res, f"precision-{name}.json")))
    except Exception: return {}
rows = [f"{'figure (device-resident unless said)':<74} {'value':>9}  {'target':>8}  status"]
def row(label, value, target=None, ok=None, fmt="{:.1f}"):
    v = "n/a" if value is None else fmt.format(value)
    status = "" if target is None else ("NOT MEASURED" if value is None else ("MET" if ok(value) else "MISSED"))
    rows.append(f"{label:<74} {v:>9}  {target or '':>8}  {status}")
def ratio(a, b): return a / b if a and b else None
for mode, label, rargs in (("tf32", "TF32", "--precision tf32"), ("bf16", "BF16", "--dtype bf16 --precision bf16")):
    cub = ref.get(("gemm", mode))
    d = run(mode)
    hs = d.get("gflops") / 1e3 if d.get("gflops") else None
    row(f"cublasGemmEx {label} {n}^3 alone (TFLOP/s)", cub)
    row(f"  PyTorch {label} matmul x @ w.t() (TFLOP/s)", torch.get(f"torch_{mode}_tflops"))
    row(f"hetsched run {rargs}, GPU only, best pass (TFLOP/s)", hs)
    row(f"  / cublasGemmEx {label} alone", ratio(hs, cub), ">= 0.85", lambda v: v >= 0.85, "{:.3f}")
    row(f"  / PyTorch {label} matmul", ratio(hs, torch.get(f"torch_{mode}_tflops")), fmt="{:.3f}")
    c = d.get("check") or {}
    if "failed" in d or "skipped" in d:
        rows.append(f"  run: {d.get('failed') or d.get('skipped')}")
    elif c:
        rows.append(f"  check: {'ok' if c.get('ok') else 'FAILED'}, max_rel_err {c.get('max_rel_err', float('nan')):.2e}, "
                    f"max_abs_err {c.get('max_abs_err', float('nan')):.2e}; precision {d.get('precision')}, dtype {d.get('dtype')}")
for dist, tname in (("uniform", "rand"), ("normal", "randn")):
    h = ref.get((dist, "f32"))
    t = torch.get(f"torch_{tname}_f32_gbs")
    row(f"rand {dist} FP32 {n}x{n}, hetsched kernel (GB/s written)", h, fmt="{:.0f}")
    row(f"  torch.{tname} float32 (GB/s)", t, fmt="{:.0f}")
    row(f"  / torch.{tname}", ratio(h, t), ">= 0.90", lambda v: v >= 0.90, "{:.3f}")
    hb, tb = ref.get((dist, "bf16")), torch.get(f"torch_{tname}_bf16_gbs")
    row(f"rand {dist} BF16 {n}x{n}, hetsched kernel (GB/s written)", hb, fmt="{:.0f}")
    row(f"  / torch.{tname} bfloat16 ({tb or 0:.0f} GB/s) (reported)", ratio(hb, tb), fmt="{:.3f}")
print("\n".join(rows))
PYEOF
cat "$RES/precision.txt"
for name in tf32 bf16; do
	grep -q '"ok": *false' "$RES/precision-$name.json" 2>/dev/null && FAILED=1
done
say "done in $((SECONDS - T0)) s"
exit $FAILED
