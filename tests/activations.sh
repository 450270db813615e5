# activations.sh: every activation of --activation and of the .safetensors metadata, after each
# layer of a state_dict, against numpy's forward pass (make_model.py --activations): the
# metadata read from the file, the same list given with --activation on the folder of .npy
# files, and a random model with the list checked by the oracle. Under ocl/ every task runs on
# the OpenCL-on-CPU worker.
. "$HS_TOP_SRCDIR/tests/tap.sh"
need_numpy
d=$HS_TMPDIR
workers="--ncpu 1"
[ "$HS_WORKERS" = opencl ] && workers="--ncpu 0 --nopencl 1"
lists="tanh,gelu,none relu,sigmoid,softmax leaky_relu,elu,log_softmax selu,gelu_tanh,hardsigmoid silu,none,tanh"
plan 16
compare() {
	"$PYTHON_NUMPY" - "$1" "$2" <<'PY'
import sys, numpy as np
y, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
err = np.abs(y - ref).max() / np.abs(ref).max() if y.shape == ref.shape else np.inf
print("# shape %s, max |y - ref| / max |ref| = %.3g" % (y.shape, err))
sys.exit(0 if err <= 2e-5 else 1)
PY
}
for acts in $lists; do
	m=$d/$(echo "$acts" | tr , _)
	"$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/make_model.py" "$m" --layers 40,72,48,30 --batch 50 \
		--seed 5 --activations "$acts" >/dev/null || { echo "Bail out! make_model.py"; exit 1; }
	# shellcheck disable=SC2086
	"$HETSCHED" run --input "$m/x.npy" --model "$m/model.safetensors" --tile 16 --check \
		$workers --save "$m/y_meta.npy" >"$m/out" 2>&1 && compare "$m/y_meta.npy" "$m/y_ref.npy"
	st=$?
	[ $st -ne 0 ] && diag "$(cat "$m/out")"
	ok $st "$acts from the .safetensors metadata: matches numpy"
	# shellcheck disable=SC2086
	"$HETSCHED" run --input "$m/x.npy" --model "$m/model_npy" --activation "$acts" --tile 16 \
		--check $workers --save "$m/y_list.npy" >"$m/out" 2>&1 &&
		compare "$m/y_list.npy" "$m/y_ref.npy"
	st=$?
	[ $st -ne 0 ] && diag "$(cat "$m/out")"
	ok $st "--activation $acts on the .npy folder: matches numpy"
	# shellcheck disable=SC2086
	"$HETSCHED" run --batch 300 --in 100 --hidden 90,70 --out 50 --activation "$acts" \
		--tile 32 --check $workers >"$m/out" 2>&1 && grep -q "check: OK" "$m/out"
	st=$?
	[ $st -ne 0 ] && diag "$(cat "$m/out")"
	ok $st "random model with --activation $acts: check OK"
done

# A 1-D input (one sample, as PyTorch's model(x[0])) gives a 1-D output, as PyTorch's does.
"$PYTHON_NUMPY" -c "import numpy as np; np.save('$m/x1d.npy', np.load('$m/x.npy')[7])
np.save('$m/y1d_ref.npy', np.load('$m/y_ref.npy')[7])"
# shellcheck disable=SC2086
"$HETSCHED" run --input "$m/x1d.npy" --model "$m/model.safetensors" --check $workers \
	--save "$m/y1d.npy" >"$m/out" 2>&1 && grep -q "saved: .* (30 float32)" "$m/out" &&
	compare "$m/y1d.npy" "$m/y1d_ref.npy"
st=$?
[ $st -ne 0 ] && diag "$(cat "$m/out")"
ok $st "1-D input: 1-D output of 30, matching numpy"
finish
