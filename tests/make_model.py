#!/usr/bin/env python3
"""make_model.py: writes, with numpy alone, the models and inputs that the format tests and the
command-line cross-checks read, and broken variants of them for the bad-input tests.

  make_model.py OUTDIR [--layers 16,32,8] [--batch N] [--seed S] [--dtype f32|f64|f16|bf16]
  make_model.py --bad OUTDIR

OUTDIR then holds:
  x.npy                       the input: batch x layers[0], float32, uniform in [-1, 1)
  model.safetensors           nn.Sequential(Linear, ReLU, Linear, ..., Linear).state_dict() as
                              safetensors.torch.save_file writes it: "0.weight", "0.bias",
                              "2.weight"... (names sorted as strings, "10" before "2"), in --dtype
  model_prefixed.safetensors  the same tensors named "model.layers.<i>.weight" / ".bias"
  model_nobias.safetensors    the weights alone (nn.Linear(..., bias=False))
  linear.safetensors          the first layer as a lone nn.Linear: "weight" and "bias"
  model_npy/                  one file per tensor, "<i>.weight.npy" and "<i>.bias.npy", holding
                              the float32 values a loader must get from model.safetensors
                              (float64 files for --dtype f64: the loader rounds both alike)
  y_ref.npy                   numpy's forward pass in float64 from those float32 values: ReLU
                              between layers, none after the last (or --activations A1,A2,..,
                              one after each layer, also written to the .safetensors
                              metadata's "activations"); batch x layers[-1], float64
  dtypes.safetensors          conversion checks: tensors f32, f64, f16, bf16 (special values:
                              zeros, subnormals, infinities, NaN, rounding ties, overflows),
                              f16_all and bf16_all (all 65536 bit patterns), i32 (refused)
  dtypes_ref/<name>.npy       the float32 values numpy computes for each of those tensors

--bad OUTDIR writes the corrupt, truncated and inconsistent files listed in write_bad(); the
test program tests/test_formats.c holds the error each one must give.

Weights follow PyTorch's default initialisation (uniform in +-1/sqrt(in_features)). The
safetensors files are written by hand (safetensors is not a Debian package): an unsigned 64-bit
little-endian header length, the JSON header padded with spaces to a multiple of 8 bytes, then
the data, as the reference implementation does. Exits 77 (a skip for the test harness) when
numpy is missing.
"""
import argparse
import json
import os
import struct
import sys

try:
    import numpy as np
except ImportError:
    sys.stderr.write("make_model.py: numpy is not installed for %s\n" % sys.executable)
    sys.exit(77)


# ------------------------------------------------------------------------------------ writers
def safetensors_bytes(tensors, metadata=None, sort=True, pad=8):
    """tensors: list of (name, dtype, shape, raw bytes). Data are laid out in header order."""
    if sort:
        tensors = sorted(tensors, key=lambda t: t[0])
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % pad)
    return struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def npy_bytes(header_dict_text, data=b"", version=(1, 0)):
    """A .npy file with a hand-written header (for files np.save cannot produce)."""
    pre = 10 if version[0] == 1 else 12
    text = header_dict_text.encode("latin1")
    text += b" " * (-(pre + len(text) + 1) % 64) + b"\n"
    size = struct.pack("<H", len(text)) if version[0] == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes(version) + size + text + data


def save_npy(path, array):
    with open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)


# ------------------------------------------------------------------------------------ dtypes
def bf16_bits(a):
    """float32 -> bfloat16 bit patterns, rounding to nearest even (NaN stays a quiet NaN)."""
    u = np.asarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    bits = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
    nan = np.isnan(np.asarray(a, dtype=np.float32))
    bits[nan] = ((u[nan] >> 16) | 0x40).astype("<u2")
    return bits


def bf16_to_f32(bits):
    return (np.asarray(bits, dtype="<u2").astype("<u4") << 16).view("<f4")


def encode(values, dtype):
    """(safetensors dtype, raw bytes, float32 values a correct loader gets) for float64 values."""
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype == "f32":
            stored = values.astype("<f4")
            return "F32", stored.tobytes(), stored
        if dtype == "f64":
            stored = values.astype("<f8")
            return "F64", stored.tobytes(), stored.astype(np.float32)
        if dtype == "f16":
            stored = values.astype("<f2")
            return "F16", stored.tobytes(), stored.astype(np.float32)
        if dtype == "bf16":
            bits = bf16_bits(values.astype(np.float32))
            return "BF16", bits.tobytes(), bf16_to_f32(bits)
    raise ValueError(dtype)


# ------------------------------------------------------------------------------------ model
def activation(name, h):
    """PyTorch's activation modules with their default parameters, in numpy (float64)."""
    if name == "none":
        return h
    if name == "relu":
        return np.maximum(h, 0.0)
    if name == "leaky_relu":
        return np.where(h < 0, 0.01 * h, h)
    if name == "elu":
        return np.where(h < 0, np.expm1(h), h)
    if name == "selu":
        return 1.0507009873554805 * np.where(h <= 0, 1.6732632423543772 * np.expm1(h), h)
    if name == "tanh":
        return np.tanh(h)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-h))
    if name == "hardsigmoid":
        return np.clip(h / 6 + 0.5, 0, 1)
    if name == "gelu":
        return 0.5 * h * (1 + np.vectorize(__import__("math").erf)(h / np.sqrt(2)))
    if name == "gelu_tanh":
        return 0.5 * h * (1 + np.tanh(np.sqrt(2 / np.pi) * (h + 0.044715 * h ** 3)))
    if name == "silu":
        return h / (1 + np.exp(-h))
    if name in ("softmax", "log_softmax"):
        e = np.exp(h - h.max(axis=-1, keepdims=True))
        s = e / e.sum(axis=-1, keepdims=True)
        return s if name == "softmax" else np.log(s)
    raise ValueError(name)


def write_model(outdir, sizes, batch, seed, dtype, acts=None):
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(outdir, "model_npy"), exist_ok=True)
    x = rng.uniform(-1.0, 1.0, size=(batch, sizes[0])).astype("<f4")
    save_npy(os.path.join(outdir, "x.npy"), x)

    tensors, loaded = [], []
    for l in range(len(sizes) - 1):
        fan_in, fan_out = sizes[l], sizes[l + 1]
        bound = 1.0 / np.sqrt(fan_in)
        w = rng.uniform(-bound, bound, size=(fan_out, fan_in))
        b = rng.uniform(-bound, bound, size=(fan_out,))
        index = 2 * l  # nn.Sequential: Linear at 0, 2, 4...; ReLU at 1, 3...
        layer = []
        for kind, values in (("weight", w), ("bias", b)):
            st_dtype, raw, as_f32 = encode(values, dtype)
            name = "%d.%s" % (index, kind)
            tensors.append((name, st_dtype, values.shape, raw))
            npy_values = values.astype("<f8") if dtype == "f64" else as_f32
            save_npy(os.path.join(outdir, "model_npy", name + ".npy"), npy_values)
            layer.append(as_f32)
        loaded.append(layer)

    # The activations a state_dict cannot record, in the metadata hetsched reads: one name for
    # every gap between layers, as save_file(sd, path, metadata={"activations": "relu"}).
    meta = {"format": "pt", "activations": ",".join(acts) if acts else "relu"}
    write(os.path.join(outdir, "model.safetensors"), safetensors_bytes(tensors, meta))
    write(os.path.join(outdir, "model_prefixed.safetensors"),
          safetensors_bytes([("model.layers." + t[0],) + t[1:] for t in tensors], meta))
    write(os.path.join(outdir, "model_nobias.safetensors"),
          safetensors_bytes([t for t in tensors if t[0].endswith(".weight")], meta))
    write(os.path.join(outdir, "linear.safetensors"),
          safetensors_bytes([("weight",) + tensors[0][1:], ("bias",) + tensors[1][1:]], meta))

    h = x.astype(np.float64)
    for l, (w, b) in enumerate(loaded):
        h = h @ w.astype(np.float64).T + b.astype(np.float64)
        if acts:
            h = activation(acts[l] if l < len(acts) else "none", h)
        elif l < len(loaded) - 1:
            h = np.maximum(h, 0.0)
    save_npy(os.path.join(outdir, "y_ref.npy"), h.astype("<f8"))


def write_dtypes(outdir):
    """Conversion cases, with the float32 values numpy computes as the reference."""
    os.makedirs(os.path.join(outdir, "dtypes_ref"), exist_ok=True)
    special = np.array([0.0, -0.0, 1.0, -1.0, 0.1, 1.0 / 3.0, -2.5, 65504.0, 65520.0, 1e5,
                        6.103515625e-05, 6.0e-08, 5.960464477539063e-08, 1e-8, 1.00390625,
                        1.01171875, 3.4028234663852886e38, 1e39, -1e39, 1e-46, 1.4e-45,
                        np.inf, -np.inf, np.nan, 123456.789, -7.0e-3], dtype=np.float64)
    tensors = []
    for dtype in ("f32", "f64", "f16", "bf16"):
        st_dtype, raw, ref = encode(special, dtype)
        tensors.append((dtype, st_dtype, special.shape, raw))
        save_npy(os.path.join(outdir, "dtypes_ref", dtype + ".npy"), ref.astype("<f4"))
    every = np.arange(65536, dtype="<u2")
    tensors.append(("f16_all", "F16", (256, 256), every.tobytes()))
    save_npy(os.path.join(outdir, "dtypes_ref", "f16_all.npy"),
             every.view("<f2").astype("<f4").reshape(256, 256))
    tensors.append(("bf16_all", "BF16", (256, 256), every.tobytes()))
    save_npy(os.path.join(outdir, "dtypes_ref", "bf16_all.npy"),
             bf16_to_f32(every).reshape(256, 256))
    tensors.append(("i32", "I32", (2, 2), np.arange(4, dtype="<i4").tobytes()))
    # No padding: the data start at an odd offset, so every read is unaligned.
    write(os.path.join(outdir, "dtypes.safetensors"), safetensors_bytes(tensors, pad=0))


# ------------------------------------------------------------------------------------ bad files
def f32(shape, fill=0.5):
    return np.full(shape, fill, dtype="<f4")


def st_f32(name, shape):
    return (name, "F32", shape, f32(shape).tobytes())


def write_bad(outdir):
    os.makedirs(outdir, exist_ok=True)
    p = lambda name: os.path.join(outdir, name)
    hdr = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }"

    # .npy files, read with the .npy loader.
    write(p("truncated.npy"), npy_bytes(hdr % ("<f4", "False", "(1000, 10)"), b"\0" * 123))
    good = npy_bytes(hdr % ("<f4", "False", "(2, 2)"), f32((2, 2)).tobytes())
    write(p("badmagic.npy"), b"\x93NUMPZ" + good[6:])
    write(p("badversion.npy"), good[:6] + b"\x04\x00" + good[8:])
    write(p("shortheader.npy"), good[:8])
    write(p("headerpastend.npy"), good[:8] + struct.pack("<H", 5000) + good[10:40])
    write(p("badheader.npy"), npy_bytes(hdr % ("<f4", "Maybe", "(2, 2)"), f32((2, 2)).tobytes()))
    write(p("nokey.npy"), npy_bytes("{'descr': '<f4', 'shape': (2, 2), }", f32((2, 2)).tobytes()))
    save_npy(p("int32.npy"), np.arange(6, dtype="<i4").reshape(2, 3))
    save_npy(p("structured.npy"), np.zeros(3, dtype=[("a", "<f4"), ("b", "<f4")]))
    save_npy(p("fortran.npy"), np.asfortranarray(f32((3, 4))))
    save_npy(p("3d.npy"), f32((2, 3, 4)))
    save_npy(p("scalar.npy"), np.float32(1.0))
    save_npy(p("empty.npy"), f32((0, 4)))
    # 40 GB announced, 16 bytes present: must fail before any allocation.
    write(p("bigshape.npy"), npy_bytes(hdr % ("<f4", "False", "(100000, 100000)"), b"\0" * 16))
    write(p("hugeshape.npy"),
          npy_bytes(hdr % ("<f4", "False", "(%d, %d)" % (2**40, 2**40)), b"\0" * 16))

    # .safetensors files, read with the model loader.
    model = [st_f32("0.weight", (8, 4)), st_f32("0.bias", (8,)),
             st_f32("2.weight", (3, 8)), st_f32("2.bias", (3,))]
    whole = safetensors_bytes(model, {"format": "pt"})
    write(p("truncated.safetensors"), whole[:-10])
    write(p("truncatedheader.safetensors"), whole[:40])
    write(p("short.safetensors"), whole[:5])
    body = b'{"0.weight": {"dtype": "F32", '
    write(p("badjson.safetensors"), struct.pack("<Q", len(body)) + body + b"\0" * 64)
    write(p("hugeheader.safetensors"), struct.pack("<Q", 2**40) + b"{}")
    write(p("notobject.safetensors"), struct.pack("<Q", 8) + b"[1, 2]  ")
    dup = b'{"0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},' \
          b'"0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}}'
    write(p("duplicate.safetensors"), struct.pack("<Q", len(dup)) + dup + b"\0" * 4)

    def custom(name, header, nbytes):
        text = json.dumps(header).encode()
        write(p(name), struct.pack("<Q", len(text)) + text + b"\0" * nbytes)

    custom("badoffsets.safetensors",
           {"0.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 1000000]}}, 16)
    custom("sizemismatch.safetensors",
           {"0.weight": {"dtype": "F32", "shape": [4, 3], "data_offsets": [0, 40]}}, 40)
    custom("negshape.safetensors",
           {"0.weight": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 16]}}, 16)
    custom("badmeta.safetensors",
           {"__metadata__": {"format": 1},
            "0.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, 16)
    write(p("i32.safetensors"), safetensors_bytes(
        [("0.weight", "I32", (8, 4), np.zeros((8, 4), "<i4").tobytes()), st_f32("0.bias", (8,))]))
    write(p("mismatch.safetensors"), safetensors_bytes(
        [st_f32("0.weight", (8, 4)), st_f32("0.bias", (8,)),
         st_f32("2.weight", (3, 5)), st_f32("2.bias", (3,))]))
    write(p("empty.safetensors"), safetensors_bytes([], {"format": "pt"}))
    write(p("badbias.safetensors"), safetensors_bytes(
        [st_f32("0.weight", (8, 4)), st_f32("0.bias", (7,))]))
    write(p("weight3d.safetensors"), safetensors_bytes([st_f32("0.weight", (2, 3, 4))]))
    write(p("twoprefix.safetensors"), safetensors_bytes(
        [st_f32("encoder.0.weight", (8, 4)), st_f32("decoder.0.weight", (4, 8))]))
    write(p("batchnorm.safetensors"), safetensors_bytes(
        [st_f32("0.weight", (8, 4)), st_f32("1.running_mean", (8,))]))
    write(p("unrelated.safetensors"), safetensors_bytes(
        [st_f32("0.weight", (8, 4)), st_f32("classifier_scale", (1,))]))
    write(p("biasonly.safetensors"), safetensors_bytes(
        [st_f32("0.weight", (8, 4)), st_f32("2.bias", (3,))]))
    write(p("sametensor.safetensors"), safetensors_bytes(
        [st_f32("0.weight", (8, 4)), st_f32("00.weight", (8, 4))]))
    # Modules a state_dict names but hetsched does not run, and files that are not safetensors.
    write(p("layernorm.safetensors"), safetensors_bytes(
        [st_f32("0.weight", (8, 4)), st_f32("0.bias", (8,)), st_f32("1.weight", (8,)),
         st_f32("1.bias", (8,))]))
    write(p("embedding.safetensors"), safetensors_bytes([st_f32("embed.weight", (10, 4))]))
    write(p("named.safetensors"), safetensors_bytes(
        [st_f32("fc1.weight", (8, 4)), st_f32("fc2.weight", (3, 8))]))
    write(p("torch_save.pt"), b"PK\x03\x04" + b"\0" * 60)
    write(p("pickle.pt"), b"\x80\x02" + b"\0" * 60)
    write(p("notonnx.onnx"), b"\xff" * 64)

    # Folders of .npy files, read with the model loader.
    def folder(name, arrays):
        os.makedirs(p(name), exist_ok=True)
        for file, array in arrays.items():
            save_npy(os.path.join(p(name), file), array)

    folder("npy_mismatch", {"0.weight.npy": f32((8, 4)), "0.bias.npy": f32((8,)),
                            "2.weight.npy": f32((3, 5))})
    folder("npy_int32", {"0.weight.npy": np.zeros((8, 4), "<i4")})
    folder("npy_empty", {"x.npy": f32((2, 4))})
    folder("npy_batchnorm", {"0.weight.npy": f32((8, 4)), "1.running_mean.npy": f32((8,))})
    folder("npy_badbias", {"0.weight.npy": f32((8, 4)), "0.bias.npy": f32((1, 8))})
    folder("npy_weight1d", {"0.weight.npy": f32((8,))})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--bad", action="store_true", help="write the broken files instead")
    ap.add_argument("--layers", default="16,32,8",
                    help="sizes: in_features, hidden..., out_features (default 16,32,8)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=("f32", "f64", "f16", "bf16"), default="f32")
    ap.add_argument("--activations", default=None,
                    help="after each layer (default: relu between layers), written to the "
                         "metadata and applied by the reference")
    args = ap.parse_args()
    if args.bad:
        write_bad(args.outdir)
        return 0
    try:
        sizes = [int(s) for s in args.layers.split(",")]
    except ValueError:
        ap.error("--layers must be comma-separated integers, got %r" % args.layers)
    if len(sizes) < 2 or min(sizes) < 1 or args.batch < 1:
        ap.error("--layers needs at least two sizes > 0 and --batch must be > 0")
    os.makedirs(args.outdir, exist_ok=True)
    acts = args.activations.split(",") if args.activations else None
    write_model(args.outdir, sizes, args.batch, args.seed, args.dtype, acts)
    write_dtypes(args.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
