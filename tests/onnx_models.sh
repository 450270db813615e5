# onnx_models.sh: ONNX models that make_onnx.py builds with Python's onnx, against numpy's own
# forward pass of each: every activation (ONNX's operator, and decomposed as exporters write
# GELU and SiLU), softmax and log-softmax, MatMul + BatchNormalization, N-D in and out, weights
# in external data; external data that must be refused (absolute, '..', a link outside the
# folder, a length or offset past the file); an unsupported node; the input width from the
# model; NaN in the input. Under ocl/ every task runs on the OpenCL-on-CPU worker.
. "$HS_TOP_SRCDIR/tests/tap.sh"
need_numpy
grep -q '^#define HETSCHED_HAVE_ONNX 1' "$HS_TOP_BUILDDIR/config.h" ||
	skip_all "hetsched built without ONNX (see ./configure's summary)"
d=$HS_TMPDIR
"$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/make_onnx.py" "$d/m"
rc=$?
[ $rc -eq 77 ] && skip_all "no Python onnx module (apt-get install python3-onnx)"
[ $rc -ne 0 ] && { echo "Bail out! make_onnx.py failed"; exit 1; }
workers="--ncpu 1"
[ "$HS_WORKERS" = opencl ] && workers="--ncpu 0 --nopencl 1"
models=$(cd "$d/m" && ls ./*.npy | sed -n 's|^\./\(.*\)\.npy$|\1|p' | grep -v '^x')
plan $(($(echo "$models" | wc -l) + 10))

compare() { # compare Y.npy REF.npy: float32 against numpy's float64, relative to the largest
	"$PYTHON_NUMPY" - "$1" "$2" <<'PY'
import sys, numpy as np
y, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
if y.shape != ref.shape:
    print("# shape %s, want %s" % (y.shape, ref.shape)); sys.exit(1)
err = np.abs(y - ref).max() / max(np.abs(ref).max(), 1e-30)
print("# max |y - ref| / max |ref| = %.3g" % err)
sys.exit(0 if err <= 2e-5 else 1)
PY
}
for m in $models; do
	x=$d/m/x.npy
	[ "$m" = matmul3d ] && x=$d/m/x3d.npy
	# shellcheck disable=SC2086
	"$HETSCHED" run --model "$d/m/$m.onnx" --input "$x" --tile 16 --check $workers \
		--save "$d/y_$m.npy" >"$d/out" 2>&1 && grep -q "check: OK" "$d/out" &&
		compare "$d/y_$m.npy" "$d/m/$m.npy"
	st=$?
	[ $st -ne 0 ] && diag "$(cat "$d/out")"
	ok $st "$m: exit 0, check OK, y matches numpy"
done

refused() { # refused WORD MODEL: exit 2, one line holding WORD, no output
	rm -f "$d/y.npy"
	# shellcheck disable=SC2086
	"$HETSCHED" run --model "$d/m/$2.onnx" --input "$d/m/x.npy" $workers --save "$d/y.npy" \
		>"$d/out" 2>"$d/err"
	rc=$?
	st=0
	[ $rc -eq 2 ] && [ "$(wc -l <"$d/err")" -eq 1 ] && grep -q -E -- "$1" "$d/err" &&
		[ ! -e "$d/y.npy" ] || st=1
	[ $st -ne 0 ] && diag "exit $rc: $(cat "$d/err")"
	ok $st "$2 refused (exit 2, '$1'): $(cat "$d/err")"
}
refused "absolute or contains '..'" ext_absolute
refused "absolute or contains '..'" ext_dotdot
refused "outside the model's folder" ext_symlink
refused "does not hold its" ext_length
refused "does not hold its" ext_offset
refused "node 'y' \(Conv\): not supported" conv

# No --input: the input's width comes from the model (rows from --batch).
# shellcheck disable=SC2086
"$HETSCHED" run --model "$d/m/mlp_tanh.onnx" --batch 50 --check $workers --json >"$d/json" 2>"$d/err"
st=$?
[ $st -eq 0 ] && "$PYTHON_NUMPY" -c "
import json, sys
j = json.load(open('$d/json'))
sys.exit(0 if j['shape']['batch'] == 50 and j['shape']['in'] == 24 and j['check']['ok'] else 1)
" || st=1
[ $st -ne 0 ] && diag "$(cat "$d/json")"
ok $st "no --input: a random 50 x 24 input, the width from the model, check OK"

# NaN and infinity in the input: the output has them where PyTorch would; the check compares
# their positions, says where they are, and passes.
"$PYTHON_NUMPY" -c "
import numpy as np
x = np.load('$d/m/x.npy'); x[3, 5] = np.nan; x[7, 1] = np.inf; np.save('$d/xnan.npy', x)"
# shellcheck disable=SC2086
"$HETSCHED" run --model "$d/m/mlp_relu.onnx" --input "$d/xnan.npy" --check $workers \
	--save "$d/ynan.npy" >"$d/out" 2>&1
st=$?
grep -q "check: OK" "$d/out" && grep -q "the input has 2 NaN or infinite values, the first at row 3, column 5" "$d/out" &&
	grep -q "the reference has the same" "$d/out" || st=1
[ $st -ne 0 ] && diag "$(cat "$d/out")"
ok $st "NaN and inf in the input: check OK, positions reported"
"$PYTHON_NUMPY" -c "
import numpy as np, sys
y = np.load('$d/ynan.npy'); ref = np.load('$d/m/mlp_relu.npy')
bad = ~np.isfinite(y)
ok = bad[3].all() and bad[7].all() and bad.sum() == 2 * y.shape[1]
ok = ok and np.allclose(np.delete(y, [3, 7], 0), np.delete(ref, [3, 7], 0), rtol=1e-4, atol=1e-5)
sys.exit(0 if ok else 1)"
ok $? "NaN rows are NaN, the others match numpy"

# The JSON check carries the counts; a wrong-answer check cannot be OK with NaN/inf errors.
"$HETSCHED" run --model "$d/m/mlp_relu.onnx" --input "$d/xnan.npy" --check --json $workers \
	>"$d/json2" 2>&1 && grep -q '"input_nonfinite": 2' "$d/json2" && grep -q '"ok": true' "$d/json2"
ok $? "--json: check.input_nonfinite 2, ok true"
finish
