"""safetensors read/write with the standard library and numpy: an 8-byte little-endian header
length, a JSON header of dtype/shape/offsets, then the raw little-endian tensor bytes. Model files
stay data only (no pickle), as the engine requires."""
import json
import struct

import numpy as np

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def _bf16_bytes(a):
    """float32 -> bfloat16 bytes, rounded to nearest even (as torch rounds)."""
    bits = np.ascontiguousarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return bits.astype("<u2").tobytes()


def save_safetensors(path, tensors, metadata=None, dtype="F32"):
    """tensors: name -> torch tensor or numpy array, written as float32 or (dtype "BF16") bfloat16."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        a = np.ascontiguousarray(t.numpy() if hasattr(t, "numpy") else t, dtype=np.float32)
        b = _bf16_bytes(a) if dtype == "BF16" else a.astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_safetensors_float32(path):
    """name -> float32 numpy array; BF16 widened exactly."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        buf = raw[8 + n + s:8 + n + e]
        if info["dtype"] == "BF16":
            a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(buf, dtype=_DTYPES[info["dtype"]]).astype(np.float32)
        out[name] = a.reshape(info["shape"])
    return out
