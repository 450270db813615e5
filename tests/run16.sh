# run16.sh: `hetsched run` with model files of 16-bit weights (make_16bit.py): without --dtype
# the tensors are stored in the weights' dtype and the summary says so; --save writes y in that
# dtype (BF16 .safetensors, f16 .npy) or in --save-dtype, read back here by numpy (struct-level
# for bfloat16: bits << 16) against numpy's float64 forward pass of the same weights; a bf16
# y into a .npy file, a bad --save-dtype, and a 16-bit --save-dtype for a stream are refused
# (exit 2, one line, no file); --dtype f32 overrides the model's dtype; a stream stays f32;
# --check passes in bf16 and f16 storage.
. "$HS_TOP_SRCDIR/tests/tap.sh"
need_numpy
d=$HS_TMPDIR
"$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/make_16bit.py" write "$d/m" >/dev/null ||
	{ echo "Bail out! make_16bit.py write failed"; exit 1; }
"$PYTHON_NUMPY" -c "
import numpy as np
np.save('$d/x.npy', np.random.default_rng(3).uniform(-1, 1, (9, 8)).astype(np.float32))" ||
	{ echo "Bail out! numpy failed"; exit 1; }
workers="--ncpu 1"
[ "$HS_WORKERS" = opencl ] && workers="--ncpu 1 --nopencl 1"
plan 13

# compare Y REFDIR DTYPE [STORAGE]: y (a .npy, or a .safetensors decoded by hand) has dtype
# DTYPE and matches relu(x W0^T + b0) W2^T + b2 in float64 from REFDIR's float32 views of the
# weights, within the rounding of the storage dtype (default DTYPE) of x, the hidden layer and
# y (bf16: 2^-9 relative, each).
compare() {
	"$PYTHON_NUMPY" - "$d/x.npy" "$1" "$2" "$3" "${4:-$3}" <<'PY'
import json, struct, sys
import numpy as np
x, y_path, ref, dtype = np.load(sys.argv[1]).astype(np.float64), sys.argv[2], sys.argv[3], sys.argv[4]
storage = sys.argv[5]
w = lambda n: np.load("%s/%s.npy" % (ref, n)).astype(np.float64)
names = ("w0", "b0", "w1", "b1") if ref.split("/")[-1].startswith("onnx_") else \
    ("0.weight", "0.bias", "2.weight", "2.bias")
want = np.maximum(x @ w(names[0]).T + w(names[1]), 0) @ w(names[2]).T + w(names[3])
if y_path.endswith(".npy"):
    y = np.load(y_path)
    got = {np.dtype("<f2"): "f16", np.dtype("<f4"): "f32"}.get(y.dtype, str(y.dtype))
else:
    data = open(y_path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    t = json.loads(data[8:8 + n])["y"]
    body = data[8 + n:]
    got = t["dtype"].lower()
    if t["dtype"] == "BF16":
        y = (np.frombuffer(body, "<u2").astype("<u4") << 16).view("<f4")
    else:
        y = np.frombuffer(body, {"F16": "<f2", "F32": "<f4"}[t["dtype"]])
    y = y.reshape(t["shape"])
if got != dtype or y.shape != want.shape:
    print("# %s: %s %s, want %s %s" % (y_path, got, y.shape, dtype, want.shape))
    sys.exit(1)
err = np.abs(y.astype(np.float64) - want).max() / np.abs(want).max()
tol = {"bf16": 2e-2, "f16": 3e-3, "f32": 1e-5}[storage]
print("# %s (%s): max |y - ref| / max |ref| = %.3g (tolerance %g)" % (y_path, dtype, err, tol))
sys.exit(0 if err <= tol else 1)
PY
}

# run CASE ARGS...: exit 0, y compared by the caller
run() {
	what=$1
	shift
	# shellcheck disable=SC2086
	"$HETSCHED" run --input "$d/x.npy" $workers "$@" >"$d/out" 2>"$d/err"
	rc=$?
	[ $rc -ne 0 ] && diag "$what: exit $rc: $(cat "$d/err")"
	return $rc
}

run bf16 --activation relu --model "$d/m/st_bf16.safetensors" --save "$d/y_bf16.safetensors" \
	--check && grep -q "^check: OK" "$d/out" &&
	grep -q "^dtype: bf16, as the weights in $d/m/st_bf16.safetensors" "$d/out" &&
	grep -q "^saved: $d/y_bf16.safetensors (9 x 4 bfloat16)" "$d/out" &&
	compare "$d/y_bf16.safetensors" "$d/m/st_ref_bf16" bf16
st=$?
[ $st -ne 0 ] && diag "$(cat "$d/out")"
ok $st "BF16 .safetensors model, no --dtype: stored in bf16, y saved as BF16 (the summary says both), --check OK"

run bf16-f32 --activation relu --model "$d/m/st_bf16.safetensors" --save "$d/y_f32.npy" --save-dtype f32 &&
	compare "$d/y_f32.npy" "$d/m/st_ref_bf16" f32 bf16 &&
	"$PYTHON_NUMPY" - "$d/y_f32.npy" "$d/y_bf16.safetensors" <<'PY'
import json, struct, sys
import numpy as np
u = np.load(sys.argv[1]).view("<u4")
data = open(sys.argv[2], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
b = np.frombuffer(data[8 + n:], "<u2").reshape(u.shape)
# The same y: widened exactly from the bf16 it was stored in, the other file's bits.
sys.exit(0 if ((u & 0xFFFF) == 0).all() and ((u >> 16) == b).all() else 1)
PY
st=$?
grep -q "^saved: $d/y_f32.npy (9 x 4 float32)" "$d/out" || st=1
ok $st "BF16 model, --save y.npy --save-dtype f32: a float32 .npy, the BF16 y widened bit for bit"

run bf16-dtype-f32 --activation relu --model "$d/m/st_bf16.safetensors" --dtype f32 \
	--save "$d/y_given.npy" &&
	! grep -q "^dtype:" "$d/out" && grep -q "^numerics: f32 storage" "$d/out" &&
	compare "$d/y_given.npy" "$d/m/st_ref_bf16" f32
ok $? "BF16 model with --dtype f32: stored and saved in f32 (the model's dtype is a default)"

run f16 --activation relu --model "$d/m/m16" --save "$d/y_f16.npy" &&
	grep -q "^dtype: f16, as the weights in $d/m/m16" "$d/out" &&
	grep -q "^saved: $d/y_f16.npy (9 x 4 float16)" "$d/out" &&
	compare "$d/y_f16.npy" "$d/m/m16/ref" f16
ok $? "folder of float16 .npy weights: stored in f16, y saved as '<f2', numpy reads it"

run f16-st --activation relu --model "$d/m/st_f16.safetensors" --save "$d/y_f16.safetensors" &&
	compare "$d/y_f16.safetensors" "$d/m/st_ref_f16" f16
ok $? "F16 .safetensors model: y saved as F16 .safetensors"

if grep -q '^#define HETSCHED_HAVE_ONNX 1' "$HS_TOP_BUILDDIR/config.h" &&
	[ -f "$d/m/onnx_bf16_int32.onnx" ]; then
	run onnx-bf16 --model "$d/m/onnx_bf16_int32.onnx" --save "$d/y_onnx.safetensors" --check &&
		grep -q "^check: OK" "$d/out" &&
		grep -q "^dtype: bf16, as the weights in" "$d/out" &&
		compare "$d/y_onnx.safetensors" "$d/m/onnx_bf16_int32" bf16
	ok $? "ONNX model of BFLOAT16 initializers (int32_data) and input: stored in bf16, y BF16"
	run onnx-f16 --model "$d/m/onnx_f16_raw.onnx" --save "$d/y_onnx.npy" --check &&
		grep -q "^check: OK" "$d/out" &&
		grep -q "^dtype: f16, as the weights in" "$d/out" &&
		compare "$d/y_onnx.npy" "$d/m/onnx_f16_raw" f16
	ok $? "ONNX model of FLOAT16 initializers (raw_data) and input: stored in f16, y '<f2'"
else
	ok 0 "# SKIP no ONNX support in this build, or no Python onnx module"
	ok 0 "# SKIP no ONNX support in this build, or no Python onnx module"
fi

# refused ARGS...: exit 2, one line holding WORD, no output file, no temporary
refused() {
	word=$1 out=$2
	shift 2
	rm -f "$out"
	# shellcheck disable=SC2086
	"$HETSCHED" run --input "$d/x.npy" --activation relu $workers "$@" >"$d/out" 2>"$d/err"
	rc=$?
	st=0
	[ $rc -eq 2 ] && [ "$(wc -l <"$d/err")" -eq 1 ] && grep -q -E -- "$word" "$d/err" &&
		[ ! -e "$out" ] && [ -z "$(ls "$d" | grep '\.tmp')" ] || st=1
	[ $st -ne 0 ] && diag "exit $rc: $(cat "$d/err")"
	ok $st "refused (exit 2, '$word', no file): $(cat "$d/err")"
}
refused "\.npy has no bfloat16.*--save-dtype f32.*\.safetensors" "$d/y.npy" \
	--model "$d/m/st_bf16.safetensors" --save "$d/y.npy"
refused "--save-input.*\.npy has no bfloat16" "$d/x2.npy" \
	--model "$d/m/st_bf16.safetensors" --save "$d/y.safetensors" --save-input "$d/x2.npy"
refused "--save-dtype is bf16" "$d/y.npy" --model "$d/m/m16" --save "$d/y.npy" --save-dtype bf16
refused "unknown dtype 'f8'" "$d/y.npy" --model "$d/m/m16" --save "$d/y.npy" --save-dtype f8
refused "stream.*writes f32" "$d/y.npy" --model "$d/m/m16" --save "$d/y.npy" --save-dtype f16 \
	--batch-size 4

# A stream runs f32 tensors, whatever the weights' dtype: y is float32.
run stream --activation relu --model "$d/m/m16" --save "$d/y_stream.npy" --batch-size 4 &&
	compare "$d/y_stream.npy" "$d/m/m16/ref" f32
ok $? "a stream (--batch-size) of the float16 model: f32 tensors, y float32"
finish
