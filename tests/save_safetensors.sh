# save_safetensors.sh: `run --save y.safetensors` (and --save-input x.safetensors) write real
# safetensors files, what PyTorch users load with safetensors.torch.load_file: an 8-byte
# little-endian header length N (a multiple of 8), N bytes of JSON (padded with spaces) naming
# one F32 tensor "y" (or "x") with its shape and data_offsets [0, rows*cols*4], then exactly
# those bytes, little-endian. Read here with numpy and json (and with the safetensors package
# too when it is installed); the values equal those of --save y.npy of the same run, bit for bit.
# A failed run leaves no file.
. "$HS_TOP_SRCDIR/tests/tap.sh"
need_numpy
plan 4
d=$HS_TMPDIR
args="--batch 37 --in 29 --out 23 --tile 16 --seed 5 --quiet"
"$HETSCHED" run $args --save "$d/y.safetensors" --save-input "$d/x.safetensors"
rc1=$?
"$HETSCHED" run $args --save "$d/y.npy" --save-input "$d/x.npy"
rc2=$?
[ $rc1 = 0 ] && [ $rc2 = 0 ]
ok $? "run --save y.safetensors --save-input x.safetensors, and the same with .npy: exit 0 ($rc1, $rc2)"

"$PYTHON_NUMPY" - "$d" <<'PY'
import json, os, struct, sys
import numpy as np
d = sys.argv[1]
fails = []
def read(path, name, shape):
    raw = open(path, "rb").read()
    if raw[:6] == b"\x93NUMPY":
        fails.append("%s is a .npy file" % path)
        return None
    (n,) = struct.unpack("<Q", raw[:8])
    if n % 8 or 8 + n > len(raw):
        fails.append("%s: header length %d" % (path, n))
        return None
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    t = header.get(name)
    want = {"dtype": "F32", "shape": list(shape), "data_offsets": [0, shape[0] * shape[1] * 4]}
    if t != want:
        fails.append("%s: %r, want %r" % (path, t, want))
        return None
    if set(header) - {name, "__metadata__"}:
        fails.append("%s: other keys %r" % (path, sorted(header)))
    if len(raw) != 8 + n + want["data_offsets"][1]:
        fails.append("%s: %d bytes, want %d" % (path, len(raw), 8 + n + want["data_offsets"][1]))
    return np.frombuffer(raw[8 + n:], dtype="<f4").reshape(shape)
for name, shape in (("y", (37, 23)), ("x", (37, 29))):
    a = read(os.path.join(d, name + ".safetensors"), name, shape)
    b = np.load(os.path.join(d, name + ".npy"))
    if a is not None and not np.array_equal(a.view(np.uint32), b.view(np.uint32)):
        fails.append("%s: values differ from %s.npy" % (name, name))
for f in fails:
    print("# " + f)
sys.exit(1 if fails else 0)
PY
ok $? "y.safetensors and x.safetensors: one F32 tensor each (y 37x23, x 37x29), header as the format says, values = the .npy ones bit for bit"

if "$PYTHON_NUMPY" -c 'import safetensors.numpy' 2>/dev/null; then
	"$PYTHON_NUMPY" -c '
import sys, numpy as np, safetensors.numpy as st
y = st.load_file(sys.argv[1])["y"]
sys.exit(0 if np.array_equal(y, np.load(sys.argv[2])) else 1)' "$d/y.safetensors" "$d/y.npy"
	ok $? "the safetensors package loads y.safetensors: the same values"
else
	ok 0 "# SKIP the safetensors Python package is not installed"
fi

# A run refused after its check of the output leaves nothing behind.
"$HETSCHED" run --batch 0 --save "$d/bad.safetensors" 2>/dev/null
rc=$?
[ $rc = 2 ] && [ -z "$(ls "$d" | grep '^bad')" ]
ok $? "a refused run (exit $rc) leaves no .safetensors file nor temporary"
finish
