#!/usr/bin/env python3
"""bench.py: the benchmark suite of `make bench`.

Every comparison is measured side by side: the runs being compared alternate within one round,
rounds repeat (HS_BENCH_REPEAT, default 11) after one warm-up round, each figure is the median
over rounds, and each ratio the median over rounds of the ratio within a round. Prints one `BENCH <name> <value> <unit>` line per figure and one
`RATIO <name> <value> target <op> <x>` line per comparison, then exits 1 if a target is missed.

Environment knobs: HS_BENCH_REPEAT (rounds, default 11), HS_BENCH_N (default 4096),
HS_BENCH_N_SMALL (2048), HS_BENCH_HYBRID_N (2048), HS_BENCH_HYBRID_TILE (auto: the tile that
`--tile auto` picks for the mixed run, then used by all three runs),
HS_BENCH_ONLY (comma-separated names of comparisons to run), HS_BENCH_STREAM_ROWS (98304: rows of
the streamed input, 4096 floats each, so 1.5 GiB), HS_BENCH_STREAM_BATCH (8192 rows),
HS_BENCH_STREAM_ROUNDS (5), HS_BENCH_DIR (where the streamed files go; default a temporary folder).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("HS_TOP_BUILDDIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
HETSCHED = os.path.join(BUILD, "hetsched")
PERF_TOOL = os.path.join(BUILD, "tests", "perf_tool")
STARPU_SGEMM = "/usr/lib/x86_64-linux-gnu/starpu/examples/sgemm"
ROUNDS = int(os.environ.get("HS_BENCH_REPEAT", "11"))
N = int(os.environ.get("HS_BENCH_N", "4096"))
N_SMALL = int(os.environ.get("HS_BENCH_N_SMALL", "2048"))
HYBRID_N = int(os.environ.get("HS_BENCH_HYBRID_N", "2048"))
HYBRID_TILE = os.environ.get("HS_BENCH_HYBRID_TILE", "auto")
ONLY = [s for s in os.environ.get("HS_BENCH_ONLY", "").split(",") if s]
STREAM_ROWS = int(os.environ.get("HS_BENCH_STREAM_ROWS", "98304"))
STREAM_BATCH = int(os.environ.get("HS_BENCH_STREAM_BATCH", "8192"))
STREAM_ROUNDS = int(os.environ.get("HS_BENCH_STREAM_ROUNDS", "5"))
STREAM_IN, STREAM_OUT = 4096, 1024
NCPU = os.cpu_count()

missed = []


def env(**extra):
    e = dict(os.environ)
    e.setdefault("STARPU_SILENT", "1")
    e.update({k: str(v) for k, v in extra.items()})
    return e


def run(cmd, **extra):
    out = subprocess.run(cmd, env=env(**extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=900)
    if out.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (" ".join(cmd), out.returncode, out.stderr.strip()))
    return out.stdout


def bench(name, value, unit):
    print("BENCH %s %.4g %s" % (name, value, unit), flush=True)


def ratio(name, value, op, target):
    met = value >= target if op == ">=" else value <= target
    print("RATIO %s %.3f target %s %.2f%s" % (name, value, op, target, "" if met else "  MISSED"),
          flush=True)
    if not met:
        missed.append(name)


def rounds(*measures):
    """Call each measure in turn, ROUNDS times after one warm-up round. Returns the median of each
    measure and the series (one list of values per measure, in round order) for paired()."""
    results = [[] for _ in measures]
    for r in range(ROUNDS + 1):
        for i, m in enumerate(measures):
            v = m()
            if r > 0:
                results[i].append(v)
    for i, res in enumerate(results):
        if len(res) > 1:
            print("#   measure %d: %s (spread %.1f%%)" % (i, " ".join("%.4g" % v for v in res),
                  100 * (max(res) - min(res)) / statistics.median(res)), flush=True)
    return [statistics.median(res) for res in results], results


def paired(f, series):
    """Median over the rounds of a rounds() series of f(values of that round): a ratio taken
    within each round, whose measures ran seconds apart, before the median. This machine's speed
    drifts over tens of seconds (a CPU-only pass at 68 then 122 GFLOP/s), which a ratio of
    medians taken over the whole series would mix in."""
    values = [f(*vals) for vals in zip(*series)]
    print("#   per-round ratios: %s" % " ".join("%.3f" % v for v in values), flush=True)
    return statistics.median(values)


def hetsched_gflops(n, *args, repeat=2, **extra):
    """Best GFLOP/s of `repeat` forward passes in one process."""
    out = run([HETSCHED, "run", "--batch", str(n), "--in", str(n), "--out", str(n), "--repeat", str(repeat),
               "--json", *args], **extra)
    doc = json.loads(out)
    return doc["gflops"]


def wanted(name):
    return not ONLY or name in ONLY


def write_input(path, rows):
    """rows x STREAM_IN float32 uniform [0, 1), written without holding it all in memory."""
    py = os.environ.get("PYTHON_NUMPY") or "/usr/bin/python3"
    code = ("import numpy as np, sys\n"
            "rows, cols = int(sys.argv[2]), int(sys.argv[3])\n"
            "m = np.lib.format.open_memmap(sys.argv[1], mode='w+', dtype=np.float32, shape=(rows, cols))\n"
            "g = np.random.default_rng(1)\n"
            "for r in range(0, rows, 8192): m[r:r + 8192] = g.random((min(8192, rows - r), cols), dtype=np.float32)\n"
            "m.flush()\n")
    run([py, "-c", code, path, str(rows), str(STREAM_IN)])


def peak_rss(cmd):
    p = subprocess.Popen(cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit("bench: %s failed: %s" % (" ".join(cmd), p.stderr.read().decode().strip()))
    return usage.ru_maxrss * 1024


def stream_benches(cpu_only):
    """run --batch-size against the same pass with the input in memory, and its peak memory."""
    folder = tempfile.mkdtemp(prefix="hetsched-stream-", dir=os.environ.get("HS_BENCH_DIR"))
    big, small = os.path.join(folder, "x_big.npy"), os.path.join(folder, "x_small.npy")
    y = os.path.join(folder, "y.npy")
    t = time.time()
    write_input(big, STREAM_ROWS)
    print("# streamed input: %d x %d float32 (%.2f GiB) written in %.1f s"
          % (STREAM_ROWS, STREAM_IN, os.path.getsize(big) / 2**30, time.time() - t), flush=True)
    model = ["--out", str(STREAM_OUT), "--seed", "1", *cpu_only]
    if wanted("stream_vs_inmemory"):
        # Page cache warm: the warm-up round reads the file, and each round reads it again.
        # In memory: the timed pass of `run --input` (x loaded and copied to its pinned tensor
        # before it). Streamed: file to file, the whole of it (read, compute, write, fsync).
        def inmem():
            return json.loads(run([HETSCHED, "run", "--input", big, *model, "--json"]))["elapsed_s"]

        def streamed():
            d = json.loads(run([HETSCHED, "run", "--input", big, *model, "--batch-size",
                                str(STREAM_BATCH), "--save", y, "--json"]))
            assert d["residency"] == "stream"
            return d["elapsed_s"]
        global ROUNDS
        saved, ROUNDS = ROUNDS, STREAM_ROUNDS
        (mem_s, str_s), series = rounds(inmem, streamed)
        ROUNDS = saved
        flops = 2.0 * STREAM_ROWS * STREAM_IN * STREAM_OUT
        bench("inmemory_pass_gflops", flops / mem_s * 1e-9, "GFLOP/s")
        bench("stream_file_to_file_gflops", flops / str_s * 1e-9, "GFLOP/s")
        ratio("stream_vs_inmemory", paired(lambda m, s: m / s, series), ">=", 0.90)
    if wanted("stream_peak_memory"):
        write_input(small, STREAM_ROWS // 4)
        peaks = {}
        for name, path in (("small", small), ("big", big)):
            peaks[name] = statistics.median(
                peak_rss([HETSCHED, "run", "--input", path, *model, "--batch-size", str(STREAM_BATCH),
                          "--save", y, "--quiet"]) for _ in range(3))
        weights = 4.0 * (STREAM_IN * STREAM_OUT + STREAM_OUT)
        batch = 4.0 * STREAM_BATCH * STREAM_IN
        bound = weights + 16 * batch + 100 * 2**20
        bench("stream_peak_rss_%d_rows" % (STREAM_ROWS // 4), peaks["small"] / 2**20, "MiB")
        bench("stream_peak_rss_%d_rows" % STREAM_ROWS, peaks["big"] / 2**20, "MiB")
        bench("stream_memory_bound", bound / 2**20, "MiB (weights + 16 input batches + 100 MiB)")
        ratio("stream_peak_memory_growth", peaks["big"] / peaks["small"], "<=", 1.10)
        ratio("stream_peak_memory", peaks["big"] / bound, "<=", 1.00)
    for f in (big, small, y):
        if os.path.exists(f):
            os.unlink(f)
    os.rmdir(folder)


def main():
    home = tempfile.mkdtemp(prefix="hetsched-bench-")
    os.environ["STARPU_HOME"] = home
    info = json.loads(run([HETSCHED, "info", "--json", "--nopencl", "0"]))
    # Compare schedulers, not BLAS kernels: everyone runs the core hetsched runs.
    os.environ.setdefault("OPENBLAS_CORETYPE", info["blas_core"])
    print("# machine: %s, %d cores, OpenBLAS core %s, StarPU %s, %d rounds after a warm-up"
          % (info["topology"]["cpu_model"], info["topology"]["cores"], os.environ["OPENBLAS_CORETYPE"],
             info["starpu_version"], ROUNDS), flush=True)
    cpu_only = ["--nopencl", "0", "--ncuda", "0"]

    for n, target, name in ((N, 0.90, "linear_vs_openblas_%d" % N), (N_SMALL, 0.80, "linear_vs_openblas_%d" % N_SMALL)):
        if not wanted(name):
            continue
        (ours, blas), series = rounds(lambda: hetsched_gflops(n, *cpu_only),
                            lambda: float(run([PERF_TOOL, "sgemm", str(n)]).split()[1]))
        bench("hetsched_linear_%d_gflops" % n, ours, "GFLOP/s")
        bench("openblas_sgemm_%d_gflops" % n, blas, "GFLOP/s")
        ratio(name, paired(lambda a, b: a / b, series), ">=", target)

    name = "linear_vs_starpu_sgemm_%d" % N
    if wanted(name):
        if not os.access(STARPU_SGEMM, os.X_OK):
            print("# SKIP %s: StarPU's sgemm example is not installed (apt-get install starpu-examples)" % name)
        else:
            def starpu_sgemm():
                out = run([STARPU_SGEMM, "-xy", str(N), "-z", str(N), "-nblocks", str(max(1, N // 1024)),
                           "-iter", "10"], STARPU_SCHED="dmda", STARPU_NCPU=NCPU, STARPU_NOPENCL=0,
                          STARPU_NCUDA=0, OPENBLAS_NUM_THREADS=1)
                return float(out.strip().splitlines()[-1].split()[-1])
            (ours, theirs), series = rounds(lambda: hetsched_gflops(N, "--sched", "dmda", *cpu_only), starpu_sgemm)
            bench("starpu_sgemm_example_%d_gflops" % N, theirs, "GFLOP/s")
            ratio(name, paired(lambda a, b: a / b, series), ">=", 1.00)

    if wanted("hybrid_efficiency"):
        # The three runs share one tile, the one `--tile auto` picks for the mixed run (or
        # HS_BENCH_HYBRID_TILE): the ratio measures the split across unequal workers, not the
        # tile size. hetsched runs the OpenCL CPU device as PoCL's basic device (README).
        extra = dict(POCL_MAX_PTHREAD_COUNT=1, STARPU_OPENCL_ON_CPUS=1)
        mixed_args = ["--ncpu", "1", "--nopencl", "1", "--opencl-on-cpu", "--sched", "dmda"]
        tile = HYBRID_TILE
        if tile == "auto":
            tile = str(json.loads(run([HETSCHED, "run", "--batch", str(HYBRID_N), "--in", str(HYBRID_N),
                                       "--out", str(HYBRID_N), "--json", "--tile", "auto", *mixed_args],
                                      **extra))["tile"])
        ocl = ["--opencl-on-cpu", "--tile", tile, "--sched", "dmda"]
        # "dmda after calibration": the models of both kinds for these tile shapes first.
        t = time.time()
        run([HETSCHED, "calibrate", "--sizes", str(HYBRID_N), "--tile", tile, "--ncpu", "1",
             "--nopencl", "1", "--opencl-on-cpu", "--quiet"], **extra)
        print("#   hetsched calibrate (CPU + OpenCL, tile %s%s): %.1f s"
              % (tile, " from --tile auto" if HYBRID_TILE == "auto" else "", time.time() - t), flush=True)
        # A pass is short here (0.2 s): the best of 5 per process, so that one slow pass (this
        # VM's neighbours) does not decide a round.
        (cpu, opencl, mixed), series = rounds(
            lambda: hetsched_gflops(HYBRID_N, "--ncpu", "1", "--nopencl", "0", *ocl, repeat=5, **extra),
            lambda: hetsched_gflops(HYBRID_N, "--ncpu", "0", "--nopencl", "1", *ocl, repeat=5, **extra),
            lambda: hetsched_gflops(HYBRID_N, "--ncpu", "1", "--nopencl", "1", *ocl, repeat=5, **extra))
        bench("hybrid_cpu_only_gflops", cpu, "GFLOP/s")
        bench("hybrid_opencl_only_gflops", opencl, "GFLOP/s")
        bench("hybrid_mixed_gflops", mixed, "GFLOP/s")
        ratio("hybrid_efficiency", paired(lambda c, o, m: m / (c + o), series), ">=", 0.85)

    if wanted("rand_vs_numpy"):
        # Both sides write an already allocated buffer: best of two after a warm-up.
        numpy_code = ("import numpy as np, time\n"
                      "g = np.random.default_rng(1); n = %d * %d; out = np.empty(n, np.float32)\n"
                      "g.random(n, dtype=np.float32, out=out); best = 1e9\n"
                      "for _ in range(2):\n"
                      "    t = time.perf_counter(); g.random(n, dtype=np.float32, out=out)\n"
                      "    best = min(best, time.perf_counter() - t)\n"
                      "print(n / best)\n" % (N, N))
        py = os.environ.get("PYTHON_NUMPY") or "/usr/bin/python3"
        (ours, theirs), series = rounds(lambda: float(run([PERF_TOOL, "rand", str(N)]).split()[1]),
                              lambda: float(run([py, "-c", numpy_code], OMP_NUM_THREADS=1)))
        bench("hetsched_rand_1cpu", ours / 1e9, "Gelem/s")
        bench("numpy_random_float32_1thread", theirs / 1e9, "Gelem/s")
        ratio("rand_vs_numpy", paired(lambda a, b: a / b, series), ">=", 1.0)

    if wanted("submit_overhead"):
        out = run([PERF_TOOL, "submit", "2000", str(2 * ROUNDS + 1)]).split()
        ours, raw = float(out[0]), float(out[1])
        bench("hetsched_submit_us_per_task", ours, "us")
        bench("starpu_task_insert_us_per_task", raw, "us")
        ratio("submit_overhead", ours / raw, "<=", 1.25)

    if wanted("peak_memory_%d" % N):
        peaks = []
        for _ in range(3):
            p = subprocess.Popen([HETSCHED, "run", "--batch", str(N), "--in", str(N), "--out", str(N),
                                  "--quiet", *cpu_only], env=env(), stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(p.pid, 0)
            if status != 0:
                sys.exit("bench: peak memory run failed")
            peaks.append(usage.ru_maxrss * 1024)
        data = 4.0 * (3 * N * N + N)
        bench("peak_rss_%d" % N, statistics.median(peaks) / 2**20, "MiB")
        bench("tensor_bytes_%d" % N, data / 2**20, "MiB")
        ratio("peak_memory_%d" % N, statistics.median(peaks) / data, "<=", 1.3)

    if wanted("bf16_cpu_vs_fp32"):
        # The same shape on the CPU workers, bf16 storage (linear16: each k tile widened to
        # FP32, then sgemm into an FP32 accumulator) against f32 storage (sgemm per k tile).
        (bf16, fp32), series = rounds(lambda: hetsched_gflops(N, *cpu_only, "--dtype", "bf16"),
                                      lambda: hetsched_gflops(N, *cpu_only))
        bench("hetsched_linear_bf16_%d_gflops" % N, bf16, "GFLOP/s")
        bench("hetsched_linear_f32_%d_gflops" % N, fp32, "GFLOP/s")
        ratio("bf16_cpu_vs_fp32", paired(lambda a, b: a / b, series), ">=", 0.85)

    if wanted("bf16_peak_memory"):
        # Peak RSS of the same run in bf16 and in f32 storage, each less the peak of a 64 x 64
        # run (StarPU, OpenBLAS, the libraries and their threads): the memory the problem adds.
        def peak(*args):
            return statistics.median(peak_rss([HETSCHED, "run", "--quiet", *cpu_only, *args])
                                     for _ in range(3))
        shape = ["--batch", str(N), "--in", str(N), "--out", str(N)]
        base = peak("--batch", "64", "--in", "64", "--out", "64")
        f32, bf16 = peak(*shape), peak(*shape, "--dtype", "bf16")
        bench("peak_rss_baseline_64", base / 2**20, "MiB")
        bench("peak_rss_f32_%d" % N, f32 / 2**20, "MiB")
        bench("peak_rss_bf16_%d" % N, bf16 / 2**20, "MiB")
        bench("tensor_bytes_bf16_over_f32", 0.5, "(x, W, b, y: 2 bytes against 4)")
        ratio("bf16_peak_memory", (bf16 - base) / (f32 - base), "<=", 0.55)

    if wanted("stream_vs_inmemory") or wanted("stream_peak_memory"):
        stream_benches(cpu_only)

    if missed:
        print("# missed: " + ", ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
