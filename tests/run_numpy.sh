# run_numpy.sh: numpy cross-check of the main job. make_model.py writes x.npy and a 3-layer MLP
# (64 -> 128 -> 96 -> 10, ReLU between layers) as .safetensors and as a folder of .npy files, and
# numpy's own forward pass y_ref.npy; `hetsched run --input --model --save` must agree with it
# (max |y - y_ref| / max |y_ref| <= 1e-4), for both model formats. Under ocl/ it runs on one CPU
# and one OpenCL worker.
. "$HS_TOP_SRCDIR/tests/tap.sh"
need_numpy
plan 5
d=$HS_TMPDIR
"$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/make_model.py" "$d/m" --layers 64,128,96,10 --batch 300 --seed 3
ok $? "make_model.py wrote the model and numpy's reference"

compare() { # compare Y.npy: relative error against y_ref.npy
	"$PYTHON_NUMPY" - "$1" "$d/m/y_ref.npy" <<'PY'
import sys, numpy as np
y, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
if y.shape != ref.shape or y.dtype != np.float32:
    print("# shape %s dtype %s, want %s float32" % (y.shape, y.dtype, ref.shape)); sys.exit(1)
err = np.abs(y.astype(np.float64) - ref).max() / np.abs(ref).max()
print("# max |y - y_ref| / max |y_ref| = %.3g" % err)
sys.exit(0 if err <= 1e-4 else 1)
PY
}
for model in model.safetensors model_npy; do
	# The .safetensors file says its activations in its metadata; a folder cannot.
	act=
	[ $model = model_npy ] && act="--activation relu"
	# shellcheck disable=SC2086
	"$HETSCHED" run --input "$d/m/x.npy" --model "$d/m/$model" $act --tile 32 --check \
		--save "$d/y-$model.npy" >"$d/out-$model" 2>&1
	st=$?
	sed 's/^/# /' "$d/out-$model"
	ok $st "hetsched run --model $model --check exits 0"
	compare "$d/y-$model.npy"
	ok $? "y from $model matches numpy within 1e-4"
done
finish
