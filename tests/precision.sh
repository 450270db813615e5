# precision.sh: every mode of storage (--dtype f32, bf16, f16) and products (--precision fp32,
# tf32, bf16, fp16) through `hetsched run --input --model --save --check`: y against numpy's
# float64 forward pass of the same files, with x, W, b and the hidden activations stored as the
# dtype does and the inputs of the products rounded as the precision does (bf16 by integer
# rounding to nearest even, f16 by numpy's float16), inside the tolerance README.md documents
# (1e-4 + 2 u of the storage, u = 2^-8 bf16, 2^-11 f16; + 1e-2 for tf32) of max|y - ref| /
# max|ref|. Then, on CPU workers, with every sgemm perturbed (perturb_sgemm.so), --check must
# fail with exit 1 in every mode while the same run without it passes; and the option errors
# (exit 2, one line). Under ocl/ the runs have one CPU and one OpenCL-on-CPU worker.
. "$HS_TOP_SRCDIR/tests/tap.sh"
need_numpy
modes="f32:fp32 f32:tf32 f32:bf16 f32:fp16 bf16:fp32 bf16:tf32 bf16:bf16 bf16:fp16 f16:fp32 f16:tf32 f16:bf16 f16:fp16"
plan 28
d=$HS_TMPDIR
shim=$HS_TOP_BUILDDIR/tests/.libs/perturb_sgemm.so
workers=
[ "${HS_WORKERS:-cpu}" = opencl ] || workers="--nopencl 0"

"$PYTHON_NUMPY" - "$d" <<'PY'
import sys, os, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(19)
np.save(os.path.join(d, "x.npy"), rng.normal(0.3, 1.0, (50, 96)).astype(np.float32))
os.makedirs(os.path.join(d, "m"), exist_ok=True)
for i, (o, k) in enumerate([(64, 96), (40, 64)]):
    np.save(os.path.join(d, "m", "%d.weight.npy" % i), rng.normal(0, 0.15, (o, k)).astype(np.float32))
    np.save(os.path.join(d, "m", "%d.bias.npy" % i), rng.normal(0, 0.5, o).astype(np.float32))
PY
ok $? "numpy wrote x.npy (50 x 96) and a 96 -> 64 -> 40 model"

compare() { # compare Y.npy DTYPE PRECISION
	"$PYTHON_NUMPY" - "$d" "$1" "$2" "$3" <<'PY'
import sys, os, numpy as np
d, ypath, dtype, prec = sys.argv[1:5]
def bf16(a):
    u = np.asarray(a, np.float32).view(np.uint32).astype(np.uint64)
    return (((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16).astype(np.uint32).view(np.float32)
def f16(a):
    return np.asarray(a, np.float32).astype(np.float16).astype(np.float32)
store = {"f32": lambda a: np.asarray(a, np.float32), "bf16": bf16, "f16": f16}[dtype]
inp = {"bf16": bf16, "fp16": f16}.get(prec, lambda a: np.asarray(a, np.float32))
h = store(np.load(os.path.join(d, "x.npy")))
for i in range(2):
    W = store(np.load(os.path.join(d, "m", "%d.weight.npy" % i)))
    b = store(np.load(os.path.join(d, "m", "%d.bias.npy" % i)))
    acc = inp(h).astype(np.float64) @ inp(W).astype(np.float64).T + b.astype(np.float64)
    if i == 0:
        h = store(np.maximum(acc, 0).astype(np.float32))
ref = acc
y = np.load(ypath)
if y.dtype.kind == "V" or y.dtype == np.uint16:  # bfloat16 bits
    y = (y.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
y = y.astype(np.float64).reshape(ref.shape)
u = {"f32": 0.0, "bf16": 2.0**-8, "f16": 2.0**-11}[dtype]
tol = 1e-4 + 2 * u + (1e-2 if prec == "tf32" else 0)
err = np.abs(y - ref).max() / np.abs(ref).max()
print("# %s storage, %s products: max|y - ref| / max|ref| = %.3g (tolerance %.3g)" % (dtype, prec, err, tol))
sys.exit(0 if err <= tol else 1)
PY
}

for m in $modes; do
	dt=${m%:*} pr=${m#*:}
	# shellcheck disable=SC2086
	"$HETSCHED" run --input "$d/x.npy" --model "$d/m" --activation relu --tile 32 \
		--dtype "$dt" --precision "$pr" --check --save "$d/y-$dt-$pr.npy" --save-dtype f32 $workers \
		>"$d/out" 2>&1 &&
		compare "$d/y-$dt-$pr.npy" "$dt" "$pr"
	st=$?
	[ $st -ne 0 ] && sed 's/^/# /' "$d/out"
	ok $st "--dtype $dt --precision $pr: exit 0 with --check, y within tolerance of numpy"
done

# The same runs on CPU workers with every product perturbed: --check fails, exit 1.
for m in f32:fp32 f32:tf32 f32:bf16 f32:fp16 bf16:fp32 bf16:bf16 f16:fp32 f16:fp16; do
	dt=${m%:*} pr=${m#*:}
	# Sanitizer builds: ASan need not come first (as in fault_watchdog.sh), and leaks are not
	# looked for in these runs: LSan reports 1 KB that its own runtime allocates when the
	# shim's dlsym(RTLD_NEXT) runs in a late-loaded ASan (every stack in libasan.so).
	LD_PRELOAD="$shim${LD_PRELOAD:+:$LD_PRELOAD}" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0" \
		"$HETSCHED" run --input "$d/x.npy" \
		--model "$d/m" --activation relu --tile 32 --dtype "$dt" --precision "$pr" --check \
		--nopencl 0 --quiet >"$d/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "check FAILED" "$d/out"
	ok $? "--dtype $dt --precision $pr, perturbed products: exit $rc, $(grep -m1 FAILED "$d/out")"
done

# Option errors: one line naming the value and the names, exit 2, before StarPU starts.
for args in "--dtype bf17" "--precision fp8" "--dtype bf16 --batch-size 10 --input $d/x.npy --model $d/m --activation relu --save $d/s.npy"; do
	# shellcheck disable=SC2086
	"$HETSCHED" run $args >"$d/out" 2>&1
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <"$d/out")" -eq 1 ] && [ ! -e "$d/s.npy" ]
	ok $? "run $args: exit $rc, $(cat "$d/out")"
done
grep -q "f32, bf16, f16" "$d/out" || grep -q "streams f32 tensors only" "$d/out"
ok $? "the --batch-size refusal says why"

# tf32 says once that CPU tiles compute in FP32; JSON says the mode.
"$HETSCHED" run --batch 40 --in 64 --out 32 --precision high --dtype bfloat16 --json \
	$workers >"$d/json" 2>"$d/err"
rc=$?
[ $rc -eq 0 ] && [ "$(grep -c "compute in FP32" "$d/err")" -eq 1 ] &&
	"$PYTHON_NUMPY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if (d['dtype'], d['precision']) == ('bf16', 'tf32') else 1)" "$d/json"
ok $? "--precision high --dtype bfloat16: exit $rc, JSON says bf16 and tf32, stderr: $(head -n 1 "$d/err")"
"$HETSCHED" run --batch 40 --in 64 --out 32 --dtype f16 --precision fp16 $workers >"$d/out" 2>&1
grep -q "^numerics: f16 storage, fp16 products, FP32 accumulation" "$d/out"
ok $? "the summary says the numerics"
# heteroprio gives a kind whose kernels lack the mode no bucket (StarPU aborts on a task that a
# bucket's kind cannot run).
# shellcheck disable=SC2086
"$HETSCHED" run --batch 64 --in 96 --out 80 --tile 32 --dtype bf16 --sched heteroprio --check \
	--quiet $workers >"$d/out" 2>&1
rc=$?
ok $rc "--dtype bf16 --sched heteroprio: exit $rc $(head -n 1 "$d/out")"
finish
