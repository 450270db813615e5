# onnx_conformance.py: ONNX's own backend tests (Debian's libonnx-testdata) through
# `hetsched run --model model.onnx`, compared with their expected outputs at ONNX's tolerance
# (rtol 1e-3, atol 1e-7; NaN where expected). Prints TAP.
#
# Every case of the folders below runs: the graph inputs come from input_N.pb (converted to
# .npy; the first is --input, the others --input NAME=FILE). A case whose operators are all in
# hetsched's list must either pass or be refused with exit 2 and one line; a refused case is
# listed as skipped with that line as the reason. Cases named in MUST_PASS (the list)
# must pass. Any other exit status, a wrong answer, or a refused case of MUST_PASS fails.
# A case with an operator outside the list must exit 2 (never a silent answer).
# usage: onnx_conformance.py HETSCHED DATA_DIR TMPDIR WORLD(cpu|opencl)
import glob, os, re, subprocess, sys

import numpy as np
import onnx
from onnx import numpy_helper

FOLDERS = ["node", "pytorch-converted", "pytorch-operator", "simple"]
SUPPORTED = set(
    "Gemm MatMul BatchNormalization Relu LeakyRelu Elu Selu Tanh Sigmoid HardSigmoid Gelu "
    "Softmax LogSoftmax Add Sub Mul Div Pow Sqrt Erf Exp Flatten Identity Dropout Reshape "
    "Squeeze Unsqueeze Constant Transpose".split())  # Transpose: of constants only
MUST_PASS = re.compile(
    r"^(node/test_gemm_.*|node/test_matmul_2d|node/test_relu|node/test_tanh.*|"
    r"node/test_sigmoid.*|node/test_leakyrelu.*|node/test_elu.*|node/test_selu.*|"
    r"node/test_softmax_(example|large_number|default_axis|negative_axis|axis_2)|"
    r"node/test_flatten_.*|node/test_identity|node/test_dropout_default|"
    r"pytorch-converted/test_(Linear|Linear_no_bias|ELU|LeakyReLU|LeakyReLU_with_negval|ReLU|"
    r"Sigmoid|Softmax|Tanh|SELU|LogSoftmax)|simple/test_single_relu_model)$")

hetsched, data, tmp, world = sys.argv[1:5]
extra = ["--ncpu", "0", "--nopencl", "1"] if world == "opencl" else ["--ncpu", "1"]
n = 0
failed = 0
summary = []


def tap(ok, text):
    global n, failed
    n += 1
    failed += not ok
    print("%s %d - %s" % ("ok" if ok else "not ok", n, text))


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t.name, numpy_helper.to_array(t)


def run_case(folder, case):
    """(status, reason): pass, fail or skip."""
    d = os.path.join(data, folder, case)
    model = os.path.join(d, "model.onnx")
    try:
        m = onnx.load(model, load_external_data=False)
    except Exception as e:  # a case our onnx cannot read is no test of hetsched
        return "skip", "python-onnx cannot read it: %s" % e
    ops = sorted({node.op_type for node in m.graph.node})
    inits = {i.name for i in m.graph.initializer}
    names = [i.name for i in m.graph.input if i.name not in inits]
    sets = sorted(glob.glob(os.path.join(d, "test_data_set_*")))
    if not sets:
        return "skip", "no test data"
    work = os.path.join(tmp, folder + "_" + case)
    os.makedirs(work, exist_ok=True)
    for s in sets:
        args = [hetsched, "run", "--model", model, "--quiet", "--check"] + extra
        inputs = sorted(glob.glob(os.path.join(s, "input_*.pb")),
                        key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))
        for k, p in enumerate(inputs):
            try:
                name, a = load_pb(p)
                a = a if a.dtype in (np.float32, np.float64) else a.astype(np.float64)
            except Exception:
                return "skip", "input %d is not a tensor of numbers (%s)" % (k, ",".join(ops))
            name = name or (names[k] if k < len(names) else "input_%d" % k)
            f = os.path.join(work, "in%d.npy" % k)
            # Integer inputs (shapes, axes) travel as float64: exact for their values.
            np.save(f, a)
            args += ["--input", f] if k == 0 else ["--input", "%s=%s" % (name, f)]
        out = os.path.join(work, "out.npy")
        if os.path.exists(out):
            os.remove(out)
        args += ["--save", out]
        # Tiles of 3: several tiles along every dimension but the smallest.
        r = subprocess.run(args[:8] + ["--tile", "3"] + args[8:], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        if r.returncode == 2 and "larger than every dimension" in r.stderr:
            r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err = (r.stderr.strip().splitlines() or [""])[-1]
        if r.returncode == 2:
            if set(ops) - SUPPORTED:
                return "skip", "unsupported operator (%s): %s" % (
                    ",".join(sorted(set(ops) - SUPPORTED)), err)
            return "skip", err
        if set(ops) - SUPPORTED:
            return "fail", "operators %s outside the list gave exit %d, not 2" % (
                ",".join(sorted(set(ops) - SUPPORTED)), r.returncode)
        if r.returncode != 0:
            return "fail", "exit %d: %s" % (r.returncode, err)
        outputs = sorted(glob.glob(os.path.join(s, "output_*.pb")))
        try:
            _, want = load_pb(outputs[0])
        except Exception:
            return "fail", "exit 0, but the expected output is not a tensor"
        got = np.load(out)
        if got.shape != want.shape:
            return "fail", "shape %s, want %s" % (got.shape, want.shape)
        if not np.allclose(got, want.astype(np.float64), rtol=1e-3, atol=1e-7, equal_nan=True):
            bad = np.abs(got - want).max()
            return "fail", "values differ (max abs %.3g)" % bad
    return "pass", ""


print("1..%d" % (len(FOLDERS) + 1))
skipped = []
for folder in FOLDERS:
    cases = sorted(os.path.basename(p) for p in glob.glob(os.path.join(data, folder, "test_*")))
    counts = {"pass": 0, "fail": 0, "skip": 0}
    fails = []
    for case in cases:
        status, why = run_case(folder, case)
        key = folder + "/" + case
        if status == "skip" and MUST_PASS.match(key):
            status, why = "fail", "refused, but it must pass: " + why
        counts[status] += 1
        if status == "fail":
            fails.append("%s: %s" % (key, why))
        elif status == "skip":
            skipped.append("%s: %s" % (key, why))
    for f in fails:
        print("# FAIL %s" % f)
    tap(not fails, "%s (%s world): %d passed, %d skipped, %d failed of %d" % (
        folder, world, counts["pass"], counts["skip"], counts["fail"], len(cases)))
    summary.append("%s: %d passed, %d skipped" % (folder, counts["pass"], counts["skip"]))
for s in skipped:
    print("# skipped %s" % s)
print("# " + "; ".join(summary))
tap(True, "skipped cases listed above with their reasons")
sys.exit(1 if failed else 0)
