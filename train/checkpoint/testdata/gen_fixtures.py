#!/usr/bin/python3
"""Reference safetensors files for deni's train/checkpoint tests (source of truth for testdata/).

The `safetensors` package cannot be installed here, so this script writes the format by hand,
following the reference Rust implementation (safetensors/src/tensor.rs, `prepare` + `Metadata`
serialisation): 8-byte little-endian header length; compact JSON header with "__metadata__" first,
then the tensors sorted by dtype (larger/"higher" dtypes first, in the Rust enum's order) and then
by name, each as {"dtype", "shape", "data_offsets"}; the header padded with spaces to a multiple of
8 bytes; then the raw little-endian data in the same order. Element values come from PyTorch's own
dtype conversions (float16, bfloat16), and the float32 value of every element is written to
fixtures.json, so the Go reader is checked against torch, not against itself.

Rerun:  cd train/checkpoint/testdata && /usr/bin/python3 gen_fixtures.py
"""

import json
import struct

import torch

# Rust's Dtype enum order (derive(Ord)); the writer sorts by it, descending.
DTYPE_ORDER = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
TORCH = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
         "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8}


def raw_bytes(t):
    if t.dtype == torch.bfloat16:
        # No numpy bfloat16: reinterpret the bits as int16.
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write(path, tensors, metadata=None):
    """tensors: dict name -> (dtype string, torch tensor)."""
    items = sorted(tensors.items(), key=lambda kv: kv[0])
    items.sort(key=lambda kv: DTYPE_ORDER.index(kv[1][0]), reverse=True)  # stable: names stay sorted
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name, (dtype, t) in items:
        b = raw_bytes(t.contiguous())
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def main():
    expected = {}

    # 1. F32 only, with metadata: the Go writer must reproduce these bytes exactly.
    f32 = {
        "encoder.layer.0.attention.self.query.weight": torch.tensor([[0.5, -1.25, 3.0], [1e-7, -0.0, 65504.0]], dtype=torch.float32),
        "classifier.bias": torch.tensor([0.1, -0.2], dtype=torch.float32),
        "embeddings.word_embeddings.weight": torch.arange(12, dtype=torch.float32).reshape(4, 3) / 7,
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }
    write("f32_metadata.safetensors", {k: ("F32", v) for k, v in f32.items()},
          {"format": "pt", "model": "glove-mini", "note": "<tags> & \"quotes\""})
    expected["f32_metadata.safetensors"] = {
        "metadata": {"format": "pt", "model": "glove-mini", "note": "<tags> & \"quotes\""},
        "tensors": {k: {"shape": list(v.shape), "values": [float(x) for x in v.reshape(-1).tolist()]} for k, v in f32.items()},
    }

    # 1b. F32 without metadata, whose header needs padding (checked below).
    plain = {"b": torch.tensor([1.0, 2.0]), "a": torch.tensor([[3.0]])}
    write("f32_plain.safetensors", {k: ("F32", v) for k, v in plain.items()})
    with open("f32_plain.safetensors", "rb") as f:
        hlen = struct.unpack("<Q", f.read(8))[0]
        assert f.read(hlen).endswith(b" "), "fixture must exercise the header padding"
    expected["f32_plain.safetensors"] = {
        "metadata": None,
        "tensors": {k: {"shape": list(v.shape), "values": [float(x) for x in v.reshape(-1).tolist()]} for k, v in plain.items()},
    }

    # 2. Every dtype the reader converts, with edge values (subnormal, inf, -0).
    src = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6e-8, 1e-4, float("inf"), -float("inf"), 3.14159265])
    mixed = {
        "half": ("F16", src.to(torch.float16)),
        "bf16": ("BF16", src.to(torch.bfloat16).reshape(2, 5)),
        "double": ("F64", torch.tensor([1.0 / 3.0, -1e-40, 1e300], dtype=torch.float64)),
        "float": ("F32", torch.tensor([[1.5], [-2.0]], dtype=torch.float32)),
        "ids64": ("I64", torch.tensor([0, -1, 30521, 1 << 40], dtype=torch.int64)),
        "ids32": ("I32", torch.tensor([7, -7, 2147483647], dtype=torch.int32)),
        "i8": ("I8", torch.tensor([-128, 127], dtype=torch.int8)),
        "u8": ("U8", torch.tensor([0, 255], dtype=torch.uint8)),
    }
    write("mixed_dtypes.safetensors", mixed)
    expected["mixed_dtypes.safetensors"] = {
        "metadata": None,
        "tensors": {k: {"shape": list(t.shape),
                        # float32 as torch converts (double -> float rounds, 1e300 -> inf; ints as float32)
                        "values": [repr_f(x) for x in t.to(torch.float32).reshape(-1).tolist()]}
                    for k, (_, t) in mixed.items()},
    }
    with open("fixtures.json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


def repr_f(x):
    # JSON has no infinities: write them as strings.
    if x == float("inf"):
        return "+Inf"
    if x == -float("inf"):
        return "-Inf"
    return x


if __name__ == "__main__":
    main()
