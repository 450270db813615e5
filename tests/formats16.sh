# formats16.sh: 16-bit data in the file formats (test_formats16.c) on what make_16bit.py writes
# with numpy and Python's onnx: float16 .npy, BF16 / F16 .safetensors and ONNX FLOAT16 /
# BFLOAT16 initializers loaded bit for bit, the model's dtype, and y written as f16 .npy and
# BF16 / F16 .safetensors read back by numpy.
. "$HS_TOP_SRCDIR/tests/tap.sh"
need_numpy
d=$HS_TMPDIR
"$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/make_16bit.py" write "$d/f16" >/dev/null ||
	{ echo "Bail out! make_16bit.py write failed"; exit 1; }
exec "$HS_TOP_BUILDDIR/tests/test_formats16" "$d/f16"
