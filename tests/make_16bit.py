"""make_16bit.py: 16-bit files for tests/formats16.sh, written by numpy (and Python's onnx), each
with numpy's float32 view of the same values beside it, and the check of what hetsched wrote.

  make_16bit.py write OUTDIR    the files below
  make_16bit.py check OUTDIR    read back what test_formats16 wrote in OUTDIR/out/ (exit 1 and
                                a line per problem when a file is wrong)

OUTDIR then holds:
  h_<name>.npy, h_<name>.f32.npy   np.save of float16 arrays ('<f2'; '>f2' for h_big) and
                                   a.astype(np.float32): 2-D, 1-D, special values, every one
                                   of the 65536 bit patterns (h_all, 256 x 256)
  m16/<i>.weight.npy, <i>.bias.npy a state_dict folder of float16 .npy files (layers 8->16->4)
  m16/ref/<i>.weight.npy ...       its float32 view
  st_bf16.safetensors, st_f16.safetensors, st_mixed.safetensors, st_f32.safetensors
                                   the same layers as BF16, F16, weight 0 BF16 + weight 2 F16,
                                   and F32 (written by hand with struct and json)
  bf16_all.safetensors, bf16_all.f32.npy
                                   tensor "all": every bfloat16 bit pattern (256 x 256), and
                                   its float32 view
  st_ref_bf16/, st_ref_f16/        float32 views of the BF16 / F16 tensors (.npy)
  onnx_<kind>.onnx, onnx_<kind>/   Gemm(transB=1) -> Relu -> Gemm with initializers of data type
                                   FLOAT16 or BFLOAT16 as raw_data or int32_data (the 16 bits in
                                   each int32, as onnx.proto says), input and output of that type,
                                   and onnx_mixed (one of each, float32 input); the folder holds
                                   the float32 views of the weights and biases
  y_src.npy                        float32 values for the writers: 1000 uniform in [-3e5, 3e5)
                                   with specials (ties, overflows, subnormals, inf, NaN)
Values are rounded to 16 bits by numpy itself (astype(np.float16)) and, for bfloat16, which
numpy lacks, by the integer arithmetic of round-to-nearest-even on the float32 bits. Exits 77
without numpy (or onnx, for the ONNX files: they are then left out, and test_formats16 skips
their checks).
"""
import json
import os
import struct
import sys

try:
    import numpy as np
except ImportError:
    sys.stderr.write("make_16bit.py: numpy is not installed for %s\n" % sys.executable)
    sys.exit(77)


def bf16_bits(a):
    """float32 -> bfloat16 bits, rounded to nearest even (NaN kept quiet)."""
    u = np.asarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
    nan = np.isnan(np.asarray(a, dtype=np.float32))
    r[nan] = ((u[nan] >> 16) | 0x40).astype("<u2")
    return r


def bf16_to_f32(bits):
    return (np.asarray(bits, dtype="<u2").astype("<u4") << 16).view("<f4")


def safetensors_bytes(tensors):
    """tensors: list of (name, dtype, shape, raw bytes), laid out in this order."""
    header, offset = {}, 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors)


SIZES = (8, 16, 4)


def layers(rng):
    """[(index, weight, bias)] of nn.Sequential(Linear, ReLU, Linear), float32."""
    out = []
    for l in range(len(SIZES) - 1):
        bound = 1 / np.sqrt(SIZES[l])
        w = rng.uniform(-bound, bound, (SIZES[l + 1], SIZES[l])).astype(np.float32)
        b = rng.uniform(-bound, bound, SIZES[l + 1]).astype(np.float32)
        out.append((2 * l, w, b))
    return out


def write(outdir):
    rng = np.random.default_rng(16)
    os.makedirs(outdir, exist_ok=True)
    # .npy float16, as numpy writes it
    special = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, -65504.0, 6.1035156e-05, 5.9604645e-08,
                        -5.9604645e-08, 0.1, 1 / 3, np.inf, -np.inf, np.nan], dtype=np.float32)
    arrays = {
        "2d": rng.uniform(-100, 100, (7, 13)).astype(np.float16),
        "1d": rng.uniform(-1, 1, 5).astype(np.float16),
        "special": special.astype(np.float16).reshape(2, 7),
        "all": np.arange(65536, dtype="<u2").view("<f2").reshape(256, 256),
        "big": rng.uniform(-4, 4, (3, 5)).astype(">f2"),
    }
    for name, a in arrays.items():
        np.save(os.path.join(outdir, "h_%s.npy" % name), a)
        np.save(os.path.join(outdir, "h_%s.f32.npy" % name), a.astype("<f4"))
    lay = layers(rng)
    # a state_dict folder of float16 .npy files
    m16 = os.path.join(outdir, "m16")
    os.makedirs(os.path.join(m16, "ref"), exist_ok=True)
    for i, w, b in lay:
        for kind, v in (("weight", w), ("bias", b)):
            np.save(os.path.join(m16, "%d.%s.npy" % (i, kind)), v.astype(np.float16))
            np.save(os.path.join(m16, "ref", "%d.%s.npy" % (i, kind)),
                    v.astype(np.float16).astype("<f4"))
    # safetensors BF16, F16 and mixed
    for dt in ("bf16", "f16"):
        ref = os.path.join(outdir, "st_ref_" + dt)
        os.makedirs(ref, exist_ok=True)
        tensors = []
        for i, w, b in lay:
            for kind, v in (("weight", w), ("bias", b)):
                if dt == "bf16":
                    bits = bf16_bits(v)
                    tensors.append(("%d.%s" % (i, kind), "BF16", v.shape, bits.tobytes()))
                    np.save(os.path.join(ref, "%d.%s.npy" % (i, kind)), bf16_to_f32(bits))
                else:
                    h = v.astype("<f2")
                    tensors.append(("%d.%s" % (i, kind), "F16", v.shape, h.tobytes()))
                    np.save(os.path.join(ref, "%d.%s.npy" % (i, kind)), h.astype("<f4"))
        data = safetensors_bytes(tensors)
        # The header's length starts with the byte 0x08, as an ONNX file does: the loader
        # must still read a .safetensors file (it once took such files for ONNX).
        assert data[0] == 0x08, "st_%s: header length %d" % (dt, data[0])
        with open(os.path.join(outdir, "st_%s.safetensors" % dt), "wb") as f:
            f.write(data)
    (i0, w0, b0), (i1, w1, b1) = lay
    mixed = [("0.weight", "BF16", w0.shape, bf16_bits(w0).tobytes()),
             ("0.bias", "BF16", b0.shape, bf16_bits(b0).tobytes()),
             ("2.weight", "F16", w1.shape, w1.astype("<f2").tobytes()),
             ("2.bias", "F16", b1.shape, b1.astype("<f2").tobytes())]
    with open(os.path.join(outdir, "st_mixed.safetensors"), "wb") as f:
        f.write(safetensors_bytes(mixed))
    plain = [("%d.%s" % (i, kind), "F32", v.shape, v.astype("<f4").tobytes())
             for i, w, b in lay for kind, v in (("weight", w), ("bias", b))]
    with open(os.path.join(outdir, "st_f32.safetensors"), "wb") as f:
        f.write(safetensors_bytes(plain))
    # every bfloat16 bit pattern, and its float32 view
    every = np.arange(65536, dtype="<u2")
    with open(os.path.join(outdir, "bf16_all.safetensors"), "wb") as f:
        f.write(safetensors_bytes([("all", "BF16", (256, 256), every.tobytes())]))
    np.save(os.path.join(outdir, "bf16_all.f32.npy"), bf16_to_f32(every).reshape(256, 256))
    # float32 values for the writers
    y = rng.uniform(-3e5, 3e5, 1000).astype(np.float32)
    y[:16] = [1.0, 1.00390625, 1.01171875, 1.00048828125, 1.00146484375, 65504.0, 65520.0,
              -65519.0, 3.4e38, 1e-8, 2.9802322e-08, -1e-45, np.inf, -np.inf, np.nan, -0.0]
    y[16:400] = rng.uniform(-2, 2, 384)
    np.save(os.path.join(outdir, "y_src.npy"), y.reshape(40, 25))
    write_onnx(outdir, lay)


def write_onnx(outdir, lay):
    try:
        import onnx
        from onnx import TensorProto, helper
    except ImportError as e:
        sys.stderr.write("make_16bit.py: %s: no ONNX files\n" % e)
        return
    (_, w0, b0), (_, w1, b1) = lay

    def tensor(name, kind, form, v):
        """A TensorProto of v rounded to kind (f16 | bf16), as raw_data or int32_data; with
        the float32 view of what it holds."""
        if kind == "f16":
            bits = v.astype("<f2").view("<u2")
            ref = v.astype("<f2").astype("<f4")
            dt = TensorProto.FLOAT16
        else:
            bits = bf16_bits(v)
            ref = bf16_to_f32(bits)
            dt = TensorProto.BFLOAT16
        t = TensorProto()
        t.name = name
        t.data_type = dt
        t.dims.extend(v.shape)
        if form == "raw":
            t.raw_data = bits.astype("<u2").tobytes()
        else:
            t.int32_data.extend(int(b) for b in bits.ravel())
        return t, ref

    kinds = {"f16_raw": ("f16", "f16", "raw"), "f16_int32": ("f16", "f16", "int32"),
             "bf16_raw": ("bf16", "bf16", "raw"), "bf16_int32": ("bf16", "bf16", "int32"),
             "mixed": ("bf16", "f16", "raw")}
    for name, (k0, k1, form) in kinds.items():
        ref = os.path.join(outdir, "onnx_" + name)
        os.makedirs(ref, exist_ok=True)
        inits = []
        for tname, kind, v in (("w0", k0, w0), ("b0", k0, b0), ("w1", k1, w1), ("b1", k1, b1)):
            t, r = tensor(tname, kind, form, v)
            inits.append(t)
            np.save(os.path.join(ref, tname + ".npy"), r)
        nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["h"], transB=1),
                 helper.make_node("Relu", ["h"], ["a"]),
                 helper.make_node("Gemm", ["a", "w1", "b1"], ["y"], transB=1)]
        # As torch.onnx.export writes a model.half() or .bfloat16(): the input and output in
        # the weights' type (the mixed model keeps float32).
        io_type = {"f16": TensorProto.FLOAT16, "bf16": TensorProto.BFLOAT16}[k0] \
            if k0 == k1 else TensorProto.FLOAT
        graph = helper.make_graph(
            nodes, "mlp16",
            [helper.make_tensor_value_info("x", io_type, ["N", SIZES[0]])],
            [helper.make_tensor_value_info("y", io_type, ["N", SIZES[2]])], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        onnx.save(model, os.path.join(outdir, "onnx_%s.onnx" % name))


def check(outdir):
    """What test_formats16 wrote in outdir/out from y_src.npy."""
    out = os.path.join(outdir, "out")
    src = np.load(os.path.join(outdir, "y_src.npy"))
    np.seterr(over="ignore")  # values beyond float16's range become infinities, as wanted
    bad = []

    def same(name, got, want):
        g, w = np.ascontiguousarray(got), np.ascontiguousarray(want)
        if g.dtype != w.dtype or g.shape != w.shape:
            bad.append("%s: %s %s, want %s %s" % (name, g.dtype, g.shape, w.dtype, w.shape))
        elif g.tobytes() != w.tobytes():
            n = int((g.view(np.uint8) != w.view(np.uint8)).sum())
            bad.append("%s: %d bytes differ from numpy's" % (name, n))

    # .npy float16: np.load gives float16, numpy's own rounding of the float32 values
    same("y_f16.npy", np.load(os.path.join(out, "y_f16.npy")), src.astype("<f2"))
    same("y_f32.npy", np.load(os.path.join(out, "y_f32.npy")), src)
    same("y_f16_1d.npy", np.load(os.path.join(out, "y_f16_1d.npy")), src.ravel().astype("<f2"))
    # .safetensors, decoded by hand: header, dtype, shape, then the bits
    for name, dt in (("y_bf16.safetensors", "BF16"), ("y_f16.safetensors", "F16"),
                     ("y_f32.safetensors", "F32")):
        with open(os.path.join(out, name), "rb") as f:
            data = f.read()
        n = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + n])
        t = header.get("y", {})
        body = data[8 + n:]
        if t.get("dtype") != dt or t.get("shape") != list(src.shape) or \
                t.get("data_offsets") != [0, len(body)]:
            bad.append("%s: header %s" % (name, t))
            continue
        if dt == "BF16":
            bits = np.frombuffer(body, dtype="<u2").reshape(src.shape)
            same(name + " bits", bits, bf16_bits(src).reshape(src.shape))
            # the float32 view: bf16 bits << 16
            same(name + " as float32", bf16_to_f32(bits),
                 bf16_to_f32(bf16_bits(src)).reshape(src.shape))
        elif dt == "F16":
            same(name, np.frombuffer(body, dtype="<f2").reshape(src.shape), src.astype("<f2"))
        else:
            same(name, np.frombuffer(body, dtype="<f4").reshape(src.shape), src)
    for line in bad:
        print("make_16bit.py check: " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        sys.stderr.write("usage: make_16bit.py write|check OUTDIR\n")
        sys.exit(2)
    if sys.argv[1] == "write":
        write(sys.argv[2])
        sys.exit(0)
    sys.exit(check(sys.argv[2]))
