#!/bin/bash
# measure-data.sh [options] HETSCHED RESDIR: the figures of issue 18 (data from the host and back
# at the speed of the device), each printed beside its target. run-on-gpu.sh calls it once
# hetsched is built; it can run alone against any build. Every figure says what crossed the bus.
#
#  cold_16384      one pass, x and W read from .npy files (host memory), y back to the host:
#                  hetsched `run --input x.npy --model m/` GPU only, first pass of the process,
#                  against cuBLAS on device-resident data (>= 0.80); PyTorch's tutorial
#                  pipeline (W.to(cuda), x.to(cuda), Linear, y.to("cpu")) timed beside it;
#  stream          131072 x 8192 -> 8192, x and y 4 GiB each, W resident: `run --batch-size 16384`
#                  from a file to a file, against cuBLAS on the same shape device-resident
#                  (>= 0.95) and against PyTorch's pinned, non_blocking, two-stream loop (>= 1.0);
#  +cpu            the same two runs with every CPU worker added: >= 1.00 of GPU only (the
#                  cold one is a first pass: >= 0.95);
#  limited_memory  16384 resident passes with STARPU_LIMIT_CUDA_MEM a quarter of the working set
#                  (x, W, y: 3 GiB -> 768 MiB), against unlimited (>= 0.80), checked; and the
#                  bytes of its last pass each way against y's and x + W's (the order of the
#                  output tiles should bring y home once: <= 1.10);
#  first_pass      a fresh process on a fresh STARPU_HOME, 16384, first pass with the CPUs
#                  against GPU only (>= 0.95) and against a warm pass of its own (<= 1.5x).
#
# Options:
#   --budget S     seconds; no new measurement starts after them (default 240)
#   --dry-run      no GPU: the OpenCL-on-CPU worker plays the GPU and the sizes are small, so
#                  that everything but the numbers (files, runs, JSON, the table) is exercised
#   --ncuda N      CUDA workers (default 1)
#   --ref PROG     run-on-gpu.sh's reference program (cuBLAS sgemm, "MxNxK" sizes)
# Output: RESDIR/data.txt (the table), RESDIR/data-*.json and *.err (each run), RESDIR/torch-data.txt.
# Exit: 0 when every run exited 0 and every check passed (targets are reported, not enforced).
set -u -o pipefail
prog=measure-data
BUDGET=240
DRY=no
NCUDA=1
REF=
while [ $# -gt 0 ]; do
	case $1 in
	--budget) BUDGET=$2; shift 2 ;;
	--dry-run) DRY=yes; shift ;;
	--ncuda) NCUDA=$2; shift 2 ;;
	--ref) REF=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "$prog: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { echo "usage: $0 [--budget S] [--dry-run] [--ncuda N] [--ref PROG] HETSCHED RESDIR" >&2; exit 2; }
HETSCHED=$1
RES=$2
mkdir -p "$RES/data" || exit 2
D=$RES/data
PY=${PYTHON:-$(command -v python3)}
T0=$SECONDS
left() { echo $((BUDGET - (SECONDS - T0))); }
say() { echo "$prog: $*"; }
FAILED=0

if [ $DRY = yes ]; then
	N=1024 R=8192 K=256 B=1024
	GPU="--ncpu 0 --nopencl 1 --opencl-on-cpu"
	BOTH="--ncpu 1 --nopencl 1 --opencl-on-cpu"
	LIMIT_VAR=STARPU_LIMIT_OPENCL_MEM
else
	N=16384 R=131072 K=8192 B=16384
	GPU="--ncpu 0 --ncuda $NCUDA --nopencl 0"
	BOTH="--ncuda $NCUDA --nopencl 0"
	LIMIT_VAR=STARPU_LIMIT_CUDA_MEM
fi

# ------------------------------------------------------------------ input files
# x (N x N) and a one-layer model (N -> N) for cold; xs (R x K) and K -> K for the stream.
say "writing the inputs (x $N x $N, model $N -> $N; stream x $R x $K, model $K -> $K)"
"$PY" - "$D" "$N" "$R" "$K" <<'EOF' || { say "FAIL: could not write the inputs"; exit 1; }
import os, sys
import numpy as np
d, n, r, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
g = np.random.default_rng(1)
def fill(path, rows, cols, scale=1.0):
    m = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, cols))
    for i in range(0, rows, 4096):
        m[i:i + 4096] = g.random((min(4096, rows - i), cols), dtype=np.float32) * scale
    m.flush()
for sub, rows, cols in (("cold", n, n), ("stream", r, k)):
    os.makedirs(os.path.join(d, sub, "m"), exist_ok=True)
    fill(os.path.join(d, sub, "x.npy"), rows, cols)
    fill(os.path.join(d, sub, "m", "0.weight.npy"), cols, cols, 2.0 / cols ** 0.5)
    np.save(os.path.join(d, sub, "m", "0.bias.npy"), g.random(cols, dtype=np.float32))
EOF
sync

# ------------------------------------------------------------------ runs
# hs NAME ARGS...: hetsched run --json into RES/data-NAME.json; prints elapsed_s (or nothing).
hs() {
	local name=$1 rc
	shift
	if [ "$(left)" -lt 10 ]; then
		echo '{"skipped": "time budget"}' >"$RES/data-$name.json"
		return
	fi
	timeout "$(left)" "$HETSCHED" run "$@" --json >"$RES/data-$name.json" 2>"$RES/data-$name.err"
	rc=$?
	if [ $rc != 0 ]; then
		FAILED=1
		printf '{"failed": "exit %s"}\n' "$rc" >>"$RES/data-$name.json"
	fi
	say "$name: exit $rc, $("$PY" -c 'import json,sys
try:
    d = json.load(open(sys.argv[1]))
    print("%.3f s, residency %s, h2d %.2f GB, d2h %.2f GB, tasks %s" % (d["elapsed_s"], d.get("residency"), d.get("h2d_bytes", 0) / 1e9, d.get("d2h_bytes", 0) / 1e9, d.get("tasks_by_kind")))
except Exception as e: print("no figures (%s)" % e)' "$RES/data-$name.json")"
}
export STARPU_SILENT=1
HOME0=${STARPU_HOME:-$D/home}
mkdir -p "$HOME0"
cold="--input $D/cold/x.npy --model $D/cold/m"
stream="--input $D/stream/x.npy --model $D/stream/m --batch-size $B"
# Page cache warm for every reader alike.
cat "$D"/cold/x.npy "$D"/stream/x.npy "$D"/*/m/*.npy >/dev/null
hs cold-gpu $cold $GPU --check
hs cold-both $cold $BOTH --check
hs stream-gpu $stream $GPU --save "$D/stream/y-gpu.npy"
hs stream-both $stream $BOTH --save "$D/stream/y-both.npy"
rm -f "$D/stream/y-both.npy"
# A quarter of the working set (x, W, y of N x N floats), in MiB.
quarter=$((3 * N * N * 4 / 4 / 1048576))
[ "$quarter" -ge 4 ] || quarter=4 # MiB: room for two tiles of a task (dry run)
hs resident-gpu --batch "$N" --in "$N" --out "$N" $GPU --repeat 3 --check
(export $LIMIT_VAR=$quarter; hs limited-gpu --batch "$N" --in "$N" --out "$N" $GPU --repeat 3 --check)
[ -s "$RES/data-limited-gpu.json" ] || echo '{"skipped": "not run"}' >"$RES/data-limited-gpu.json"
for kind in gpu both; do
	fresh=$D/fresh-home-$kind
	rm -rf "$fresh"
	mkdir -p "$fresh"
	workers=$GPU
	[ $kind = both ] && workers=$BOTH
	(export STARPU_HOME=$fresh; hs "fresh-$kind" --batch "$N" --in "$N" --out "$N" $workers --repeat 3 --check)
done

# ------------------------------------------------------------------ references
# cuBLAS on device-resident data, square N and the stream's shape (run-on-gpu.sh's program).
if [ -n "$REF" ] && [ -x "$REF" ] && [ "$(left)" -gt 20 ]; then
	timeout 120 "$REF" "$N" "${R}x${K}x${K}" >"$RES/data-ref.txt" 2>&1 || say "reference program failed (see data-ref.txt)"
else
	: >"$RES/data-ref.txt"
fi
# PyTorch, same files, same run: the tutorial pipeline on cold's files; on the stream's, the
# resident product and the careful loop (pinned buffers, non_blocking copies, two streams).
if [ $DRY = no ] && [ "$(left)" -gt 30 ]; then
	timeout "$(left)" "$PY" - "$D" "$B" >"$RES/torch-data.txt" 2>"$RES/torch-data.err" <<'EOF' || say "PyTorch part failed (see torch-data.err)"
import sys, time
import numpy as np
import torch
d, batch = sys.argv[1], int(sys.argv[2])
torch.backends.cuda.matmul.allow_tf32 = False
dev = "cuda"
torch.zeros(1, device=dev); torch.cuda.synchronize()
# The tutorial: arrays in (pageable) host memory, everything moved, y back; files read before.
x = torch.from_numpy(np.load(f"{d}/cold/x.npy")); w = torch.from_numpy(np.load(f"{d}/cold/m/0.weight.npy"))
b = torch.from_numpy(np.load(f"{d}/cold/m/0.bias.npy"))
# The first time is what a script pays (one pass); printed first, so that it is the one kept.
for _ in range(2):
    torch.cuda.synchronize(); t = time.perf_counter()
    wc, bc, xc = w.to(dev), b.to(dev), x.to(dev)
    y = torch.nn.functional.linear(xc, wc, bc).to("cpu")
    torch.cuda.synchronize()
    print(f"torch_tutorial_s {time.perf_counter() - t:.4f}")
del wc, bc, xc, y
# The stream's shape: resident product, then the careful loop.
xs = torch.from_numpy(np.load(f"{d}/stream/x.npy", mmap_mode="r")[:]).pin_memory()
ws = torch.from_numpy(np.load(f"{d}/stream/m/0.weight.npy")).to(dev)
bs = torch.from_numpy(np.load(f"{d}/stream/m/0.bias.npy")).to(dev)
ys = torch.empty((xs.shape[0], ws.shape[0]), dtype=torch.float32).pin_memory()
xd = xs.to(dev)
for _ in range(2): yd = torch.nn.functional.linear(xd, ws, bs)
torch.cuda.synchronize(); t = time.perf_counter()
yd = torch.nn.functional.linear(xd, ws, bs); torch.cuda.synchronize()
print(f"torch_stream_resident_s {time.perf_counter() - t:.4f}")
del xd, yd
streams = [torch.cuda.Stream(), torch.cuda.Stream()]
for rep in range(2):
    torch.cuda.synchronize(); t = time.perf_counter()
    for i, r0 in enumerate(range(0, xs.shape[0], batch)):
        s = streams[i % 2]
        with torch.cuda.stream(s):
            xb = xs[r0:r0 + batch].to(dev, non_blocking=True)
            yb = torch.nn.functional.linear(xb, ws, bs)
            ys[r0:r0 + batch].copy_(yb, non_blocking=True)
    torch.cuda.synchronize()
    print(f"torch_stream_pinned_2streams_s {time.perf_counter() - t:.4f}")
EOF
else
	: >"$RES/torch-data.txt"
fi

# ------------------------------------------------------------------ correctness of the stream
# Rows spread over the streamed output against numpy in float64 (x W^T + b).
"$PY" - "$D" >"$RES/data-stream-check.txt" 2>&1 <<'EOF' || FAILED=1
import sys
import numpy as np
d = sys.argv[1]
x = np.load(f"{d}/stream/x.npy", mmap_mode="r"); y = np.load(f"{d}/stream/y-gpu.npy", mmap_mode="r")
w = np.load(f"{d}/stream/m/0.weight.npy").astype(np.float64); b = np.load(f"{d}/stream/m/0.bias.npy")
rows = np.linspace(0, x.shape[0] - 1, 64).astype(int)
ref = x[rows].astype(np.float64) @ w.T + b
err = np.abs(y[rows] - ref).max() / np.abs(ref).max()
print(f"stream_check_rel_err {err:.3g}")
sys.exit(0 if err < 1e-4 else 1)
EOF
rm -f "$D/stream/y-gpu.npy"

# ------------------------------------------------------------------ the table
"$PY" - "$RES" "$N" "$R" "$K" "$DRY" >"$RES/data.txt" <<'EOF'
import json, os, sys
res, n, r, k, dry = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "yes"
def load(name):
    try: return json.load(open(os.path.join(res, f"data-{name}.json")))
    except Exception: return {}
def kv(path):
    out = {}
    try:
        for line in open(os.path.join(res, path)):
            p = line.split()
            if len(p) >= 2:
                try: out.setdefault(p[0], float(p[-1]) if p[0].startswith("torch") else p[1:])
                except ValueError: pass
    except OSError: pass
    return out
ref, torch = kv("data-ref.txt"), kv("torch-data.txt")
def sgemm_ms(key):
    for line in open(os.path.join(res, "data-ref.txt")) if os.path.exists(os.path.join(res, "data-ref.txt")) else []:
        p = line.split()
        if p[:2] == ["sgemm", key] and "ms" in p: return float(p[p.index("ms") + 1]) / 1e3
    return None
cub_sq, cub_st = sgemm_ms(str(n)), sgemm_ms(f"{r}x{k}x{k}")
runs = {name: load(name) for name in ("cold-gpu", "cold-both", "stream-gpu", "stream-both",
                                       "resident-gpu", "limited-gpu", "fresh-gpu", "fresh-both")}
def el(name): return runs[name].get("elapsed_s")
def passes(name): return [p["elapsed_s"] for p in runs[name].get("passes", [])]
def gb(name, key): v = runs[name].get(key); return "" if v is None else f"{v / 1e9:.2f}"
rows = []
def row(label, value, target=None, ok=None, moved=""):
    v = "n/a" if value is None else f"{value:.3f}"
    status = "" if target is None else ("NOT MEASURED" if value is None else ("MET" if ok(value) else "MISSED"))
    rows.append(f"{label:<66} {v:>9}  {target or '':>8}  {status:<12} {moved}")
def ratio(a, b): return a / b if a and b else None
fl_sq, fl_st = 2.0 * n ** 3, 2.0 * r * k * k
dev = "OpenCL-on-CPU worker (dry run)" if dry else "GPU"
rows.append(f"{'figure (what crossed the bus)':<66} {'value':>9}  {'target':>8}  {'status':<12} h2d GB / d2h GB")
def moved(name): return f"{gb(name, 'h2d_bytes')} / {gb(name, 'd2h_bytes')}"
row(f"cold_{n}: {dev} only, x and W from host files, y to host (s)", el("cold-gpu"), moved=moved("cold-gpu"))
row(f"  cuBLAS device-resident {n}^3 (s)", cub_sq)
row(f"  cold_{n} / cuBLAS device-resident", ratio(cub_sq, el("cold-gpu")), ">= 0.80", lambda v: v >= 0.80)
row(f"  PyTorch tutorial pipeline (W, x .to(cuda), Linear, .to(cpu)) (s)", torch.get("torch_tutorial_s"))
row(f"  PyTorch tutorial / cuBLAS device-resident", ratio(cub_sq, torch.get("torch_tutorial_s")))
row(f"stream {r}x{k}->{k}: file to file, W resident, {dev} only (s)", el("stream-gpu"), moved=moved("stream-gpu"))
row(f"  cuBLAS device-resident on that shape (s)", cub_st or torch.get("torch_stream_resident_s"))
row(f"  stream / cuBLAS device-resident", ratio(cub_st or torch.get("torch_stream_resident_s"), el("stream-gpu")), ">= 0.95", lambda v: v >= 0.95)
row(f"  PyTorch pinned non_blocking 2-stream loop, memory to memory (s)", torch.get("torch_stream_pinned_2streams_s"))
row(f"  stream / PyTorch pinned loop", ratio(torch.get("torch_stream_pinned_2streams_s"), el("stream-gpu")), ">= 1.00", lambda v: v >= 1.0)
row(f"cold_{n} with the CPU workers added / {dev} only (first pass)", ratio(el("cold-gpu"), el("cold-both")), ">= 0.95", lambda v: v >= 0.95, moved("cold-both"))
row(f"stream with the CPU workers added / {dev} only", ratio(el("stream-gpu"), el("stream-both")), ">= 1.00", lambda v: v >= 1.0, moved("stream-both"))
res_best = min(passes("resident-gpu")[1:] or [None]) if passes("resident-gpu") else None
lim_best = min(passes("limited-gpu")[1:] or [None]) if passes("limited-gpu") else None
row(f"resident {n}, device memory limited to 1/4 of x+W+y / unlimited", ratio(res_best, lim_best), ">= 0.80", lambda v: v >= 0.8, moved("limited-gpu"))
# The order of the output tiles (linear.c) brings each home once: d2h of a pass / y's bytes.
lim_last = (runs["limited-gpu"].get("passes") or [{}])[-1]
row(f"  limited: device->host bytes of its last pass / y's bytes (1 = y home once)", ratio(lim_last.get("d2h_bytes"), 4.0 * n * n), "<= 1.10", lambda v: v <= 1.1)
row(f"  limited: host->device bytes of its last pass / (x + W) bytes", ratio(lim_last.get("h2d_bytes"), 8.0 * n * n))
fg, fb = passes("fresh-gpu"), passes("fresh-both")
row(f"fresh STARPU_HOME, first pass with CPUs / {dev} only", ratio(fg[0] if fg else None, fb[0] if fb else None), ">= 0.95", lambda v: v >= 0.95)
row(f"fresh STARPU_HOME with CPUs, first pass / its best warm pass", ratio(fb[0] if fb else None, min(fb[1:]) if len(fb) > 1 else None), "<= 1.50", lambda v: v <= 1.5)
checks = {name: (d.get("check") or {}).get("ok") for name, d in runs.items() if "check" in d}
rows.append("checks: " + ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in checks.items()))
try: rows.append(open(os.path.join(res, "data-stream-check.txt")).read().strip())
except OSError: pass
print("\n".join(rows))
EOF
cat "$RES/data.txt"
grep -q FAILED "$RES/data.txt" && FAILED=1
for f in "$RES"/data-*.json; do grep -q '"failed"' "$f" && FAILED=1; done
rm -rf "$D/cold" "$D/stream"
say "done in $((SECONDS - T0)) s"
exit $FAILED
