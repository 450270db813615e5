# onnx_conformance.sh: ONNX's own backend tests (Debian's libonnx-testdata: node/,
# pytorch-converted/, pytorch-operator/, simple/) through `hetsched run --model`, against their
# expected outputs (see onnx_conformance.py); under ocl/ every task runs on the OpenCL-on-CPU
# worker. Skips (77) when the test data or Python's onnx module are absent; fails when they are
# there but hetsched was built without ONNX.
. "$HS_TOP_SRCDIR/tests/tap.sh"
data=${HS_ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}
[ -d "$data/node" ] || skip_all "no $data (apt-get install libonnx-testdata)"
need_numpy
"$PYTHON_NUMPY" -c 'import onnx' 2>/dev/null || skip_all "no Python onnx module (apt-get install python3-onnx)"
if ! grep -q '^#define HETSCHED_HAVE_ONNX 1' "$HS_TOP_BUILDDIR/config.h"; then
	plan 1
	ok 1 "hetsched reads ONNX models (built without: see ./configure's summary)"
	finish
fi
world=cpu
[ "$HS_WORKERS" = opencl ] && world=opencl
exec "$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/onnx_conformance.py" "$HETSCHED" "$data" \
	"$HS_TMPDIR" "$world"
