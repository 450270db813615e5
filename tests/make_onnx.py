"""make_onnx.py OUTDIR: ONNX models built with Python's onnx (Debian's python3-onnx) and numpy's
own forward pass of each, for tests/onnx_models.sh. Exits 77 without onnx or numpy.

OUTDIR then holds:
  x.npy, x3d.npy            inputs: 37 x 24 and 2 x 5 x 24, uniform in [-2, 2)
  <name>.onnx, <name>.npy   a model and numpy's output for x (float64), for each MLP below:
                            Gemm(transB) -> activation -> Gemm [-> softmax], the activation as
                            ONNX's own operator, or decomposed as exporters write it
  matmul_bn.onnx            MatMul + Add + BatchNormalization + Relu + MatMul (+ its .npy)
  matmul3d.onnx/.npy        MatMul on x3d: N-D in, N-D out
  external.onnx + .bin      the weights as external data beside the model (+ external.npy)
  ext_<bad>.onnx            external data that must be refused: absolute, '..', a symbolic link
                            leading outside the folder, a length or offset past the file's end
  conv.onnx                 a Conv node (unsupported)
"""
import os
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:
    sys.stderr.write("make_onnx.py: %s\n" % e)
    sys.exit(77)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
IN, HID, OUT = 24, 40, 12
x = rng.uniform(-2, 2, (37, IN)).astype(np.float32)
x3 = rng.uniform(-2, 2, (2, 5, IN)).astype(np.float32)
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "x3d.npy"), x3)
w1 = rng.uniform(-0.5, 0.5, (HID, IN)).astype(np.float32)
b1 = rng.uniform(-0.5, 0.5, HID).astype(np.float32)
w2 = rng.uniform(-0.5, 0.5, (OUT, HID)).astype(np.float32)
b2 = rng.uniform(-0.5, 0.5, OUT).astype(np.float32)
X = x.astype(np.float64)


def erf(v):
    return np.vectorize(__import__("math").erf)(v)


def softmax(v):
    e = np.exp(v - v.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sig(v):
    return 1 / (1 + np.exp(-v))


K = np.sqrt(2 / np.pi)
# name: (nodes from "h" to "a", numpy of h, opset)
acts = {
    "relu": ([helper.make_node("Relu", ["h"], ["a"])], lambda h: np.maximum(h, 0), 17),
    "leakyrelu": ([helper.make_node("LeakyRelu", ["h"], ["a"], alpha=0.1)],
                  lambda h: np.where(h < 0, 0.1 * h, h), 17),
    "elu": ([helper.make_node("Elu", ["h"], ["a"], alpha=0.7)],
            lambda h: np.where(h < 0, 0.7 * (np.exp(h) - 1), h), 17),
    "selu": ([helper.make_node("Selu", ["h"], ["a"])],
             lambda h: 1.0507009873554805 * np.where(h <= 0, 1.6732632423543772 *
                                                      (np.exp(h) - 1), h), 17),
    "tanh": ([helper.make_node("Tanh", ["h"], ["a"])], np.tanh, 17),
    "sigmoid": ([helper.make_node("Sigmoid", ["h"], ["a"])], sig, 17),
    "hardsigmoid": ([helper.make_node("HardSigmoid", ["h"], ["a"], alpha=1 / 6, beta=0.5)],
                    lambda h: np.clip(h / 6 + 0.5, 0, 1), 17),
    "gelu": ([helper.make_node("Gelu", ["h"], ["a"])],
             lambda h: 0.5 * h * (1 + erf(h / np.sqrt(2))), 20),
    "gelu_tanh": ([helper.make_node("Gelu", ["h"], ["a"], approximate="tanh")],
                  lambda h: 0.5 * h * (1 + np.tanh(K * (h + 0.044715 * h ** 3))), 20),
    # torch.onnx.export before opset 20: Div, Erf, Add, Mul, Mul.
    "gelu_decomposed": ([helper.make_node("Div", ["h", "sqrt2"], ["g1"]),
                         helper.make_node("Erf", ["g1"], ["g2"]),
                         helper.make_node("Add", ["g2", "one"], ["g3"]),
                         helper.make_node("Mul", ["h", "g3"], ["g4"]),
                         helper.make_node("Mul", ["g4", "half"], ["a"])],
                        lambda h: 0.5 * h * (1 + erf(h / np.sqrt(2))), 17),
    "silu": ([helper.make_node("Sigmoid", ["h"], ["s"]), helper.make_node("Mul", ["h", "s"], ["a"])],
             lambda h: h * sig(h), 17),
    # A per-feature scale and a power: constants broadcast along the features.
    "scale_pow": ([helper.make_node("Mul", ["h", "scale"], ["s"]),
                   helper.make_node("Sub", ["s", "shift"], ["s2"]),
                   helper.make_node("Relu", ["s2"], ["s3"]),
                   helper.make_node("Sqrt", ["s3"], ["s4"]),
                   helper.make_node("Pow", ["s4", "three"], ["s5"]),
                   helper.make_node("Exp", ["s5"], ["s6"]),
                   helper.make_node("Div", ["one", "s6"], ["a"])],
                  lambda h: 1 / np.exp(np.sqrt(np.maximum(h * SCALE - 0.25, 0)) ** 3), 17),
}
SCALE = rng.uniform(0.5, 1.5, HID).astype(np.float32)
consts = [numpy_helper.from_array(np.array(np.sqrt(2), np.float32), "sqrt2"),
          numpy_helper.from_array(np.array(1, np.float32), "one"),
          numpy_helper.from_array(np.array(0.5, np.float32), "half"),
          numpy_helper.from_array(np.array(0.25, np.float32), "shift"),
          numpy_helper.from_array(np.array(3, np.float32), "three"),
          numpy_helper.from_array(SCALE, "scale")]


def save(name, nodes, inits, opset, ref, in_shape=("N", IN), out_shape=("N", OUT)):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.save(m, os.path.join(out, name + ".onnx"))
    if ref is not None:
        np.save(os.path.join(out, name + ".npy"), ref)


weights = [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
           numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")]
for name, (nodes, f, opset) in acts.items():
    for tail in ("", "_softmax", "_logsoftmax"):
        if tail and name not in ("relu", "gelu"):
            continue
        h = X @ w1.T + b1
        ref = f(h) @ w2.T + b2
        gs = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1)] + nodes
        if tail:
            gs += [helper.make_node("Gemm", ["a", "w2", "b2"], ["z"], transB=1),
                   helper.make_node("Softmax" if tail == "_softmax" else "LogSoftmax", ["z"], ["y"],
                                    axis=-1)]
            ref = softmax(ref) if tail == "_softmax" else np.log(softmax(ref))
        else:
            gs += [helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], transB=1)]
        save("mlp_" + name + tail, gs, weights + consts, opset, ref)

# MatMul + Add + BatchNormalization (the other exporter's BatchNorm1d) + Relu + MatMul.
gamma = rng.uniform(0.5, 2, HID).astype(np.float32)
beta = rng.uniform(-1, 1, HID).astype(np.float32)
mean = rng.uniform(-1, 1, HID).astype(np.float32)
var = rng.uniform(0.5, 2, HID).astype(np.float32)
h = X @ w1.T + b1
h = (h - mean) / np.sqrt(var.astype(np.float64) + 1e-5) * gamma + beta
save("matmul_bn", [helper.make_node("MatMul", ["x", "w1t"], ["m"]),
                   helper.make_node("Add", ["m", "b1"], ["h"]),
                   helper.make_node("BatchNormalization", ["h", "g", "be", "mu", "var"], ["bn"]),
                   helper.make_node("Relu", ["bn"], ["a"]),
                   helper.make_node("MatMul", ["a", "w2t"], ["y"])],
     [numpy_helper.from_array(w1.T.copy(), "w1t"), numpy_helper.from_array(b1, "b1"),
      numpy_helper.from_array(gamma, "g"), numpy_helper.from_array(beta, "be"),
      numpy_helper.from_array(mean, "mu"), numpy_helper.from_array(var, "var"),
      numpy_helper.from_array(w2.T.copy(), "w2t")], 17, np.maximum(h, 0) @ w2.T)
# N-D: MatMul on the last axis of a 3-D input.
X3 = x3.astype(np.float64)
save("matmul3d", [helper.make_node("MatMul", ["x", "w1t"], ["m"]),
                  helper.make_node("Add", ["m", "b1"], ["y"])],
     [numpy_helper.from_array(w1.T.copy(), "w1t"), numpy_helper.from_array(b1, "b1")], 17,
     X3 @ w1.T + b1, in_shape=(2, 5, IN), out_shape=(2, 5, HID))


# External data: w1 and w2 in external.bin, at offsets; and the ways it must be refused.
def external(name, location, offset, length):
    ts = []
    for arr, tname in ((w1, "w1"), (w2, "w2")):
        t = onnx.TensorProto()
        t.name = tname
        t.data_type = TensorProto.FLOAT
        t.dims.extend(arr.shape)
        t.data_location = TensorProto.EXTERNAL
        o = offset if tname == "w1" else offset + w1.nbytes
        for k, v in (("location", location), ("offset", str(o)),
                     ("length", str(length if length is not None else arr.nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        ts.append(t)
    save(name, [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1),
                helper.make_node("Tanh", ["h"], ["a"]),
                helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], transB=1)],
         ts + [numpy_helper.from_array(b1, "b1"), numpy_helper.from_array(b2, "b2")], 17,
         np.tanh(X @ w1.T + b1) @ w2.T + b2 if name == "external" else None)


with open(os.path.join(out, "external.bin"), "wb") as f:
    f.write(b"\0" * 16 + w1.tobytes() + w2.tobytes())
external("external", "external.bin", 16, None)
external("ext_absolute", os.path.abspath(os.path.join(out, "external.bin")), 16, None)
external("ext_dotdot", "../" + os.path.basename(out) + "/external.bin", 16, None)
outside = os.path.join(os.path.dirname(os.path.abspath(out)), "outside.bin")
with open(outside, "wb") as f:
    f.write(b"\0" * 16 + w1.tobytes() + w2.tobytes())
if os.path.lexists(os.path.join(out, "link.bin")):
    os.remove(os.path.join(out, "link.bin"))
os.symlink(outside, os.path.join(out, "link.bin"))
external("ext_symlink", "link.bin", 16, None)
external("ext_length", "external.bin", 16, 10 ** 9)
external("ext_offset", "external.bin", 10 ** 9, None)
save("conv", [helper.make_node("Conv", ["x", "w"], ["y"])],
     [numpy_helper.from_array(np.ones((1, 1, 1), np.float32), "w")], 17, None)
