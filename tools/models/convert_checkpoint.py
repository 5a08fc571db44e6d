#!/usr/bin/python3
"""Turns a PyTorch checkpoint of a Mamba model (`pytorch_model.bin`, as mamba_ssm's
`MambaLMHeadModel.save_pretrained` and older transformers write it) into the `model.safetensors`
MambaScope loads. MambaScope never unpickles model files (a pickle can run code); this script does
it once, with torch's `weights_only` loader, which refuses anything but tensors and plain
containers.

    tools/models/convert_checkpoint.py CHECKPOINT_DIR        # writes CHECKPOINT_DIR/model.safetensors

CHECKPOINT_DIR holds `config.json` and `pytorch_model.bin` (or the shards named by
`pytorch_model.bin.index.json`); a checkpoint file may be given instead of the folder. Tensors keep
their dtype (float32, float16, bfloat16; float64 is narrowed to float32, which the engine computes
in anyway). An `lm_head.weight` that is the embedding itself (tied weights, one storage) is left
out: safetensors cannot alias, and the engine uses the embedding for tied models. Needs Debian's
python3-torch.
"""
import argparse
import json
import os
import struct
import sys

try:
    import torch
except ImportError:
    sys.exit("convert_checkpoint: needs PyTorch to read a pickled checkpoint: apt-get install python3-torch")

# safetensors' dtype names for what a Mamba checkpoint holds.
_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
_EMBEDDINGS = ("backbone.embeddings.weight", "backbone.embedding.weight")


def fail(message):
    sys.exit(f"convert_checkpoint: {message}")


def checkpoint_files(path):
    """The pickled files to read: one checkpoint, or every shard of an index."""
    if os.path.isfile(path):
        return [path]
    index = os.path.join(path, "pytorch_model.bin.index.json")
    if os.path.isfile(index):
        try:
            with open(index) as f:
                parsed = json.load(f)
        except (OSError, ValueError) as e:
            fail(f"cannot read '{index}' as JSON: {e}")
        weight_map = parsed.get("weight_map") if isinstance(parsed, dict) else None
        if not isinstance(weight_map, dict) or not weight_map:
            fail(f"'{index}' has no 'weight_map' of tensor names to shard files")
        return [os.path.join(path, shard) for shard in sorted(set(weight_map.values()))]
    single = os.path.join(path, "pytorch_model.bin")
    if os.path.isfile(single):
        return [single]
    fail(f"no pytorch_model.bin or pytorch_model.bin.index.json in '{path}'")


def state_dict(path, strip_prefix):
    """name -> tensor from one pickled file; the weights of a training checkpoint's 'state_dict' or
    'model' entry when the file holds more than weights."""
    if os.path.getsize(path) == 0:
        fail(f"'{path}' is empty (0 bytes): an interrupted download or copy?")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types here (pickle, zip, its own): all mean "not loadable"
        fail(f"cannot read '{path}' as a PyTorch checkpoint of tensors: {str(e) or type(e).__name__}")
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not obj:
        fail(f"'{path}' holds {type(obj).__name__}; expected a dict of tensor names to tensors")
    out = {}
    for name, t in obj.items():
        if not isinstance(t, torch.Tensor):
            fail(f"'{path}': entry '{name}' is a {type(t).__name__}, not a tensor")
        if strip_prefix and name.startswith(strip_prefix):
            name = name[len(strip_prefix):]
        out[name] = t
    return out


def tensor_bytes(name, t):
    """(dtype name, shape, little-endian bytes) of one tensor."""
    if t.dtype == torch.float64:
        t = t.to(torch.float32)
    if t.dtype not in _DTYPES:
        fail(f"tensor '{name}' is {t.dtype}; a Mamba model's weights are float32, float16 or bfloat16")
    t = t.detach().contiguous().cpu()
    # numpy has no bfloat16: its bits go through as int16, which is byte for byte the same.
    raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy()
    if sys.byteorder != "little":
        raw = raw.byteswap()
    return _DTYPES[t.dtype], list(t.shape), raw.tobytes()


def write_safetensors(path, tensors, metadata):
    """The safetensors layout (8-byte header length, JSON header, data), written beside the target
    and renamed into place, so a failed conversion leaves no half-written model."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        dtype, shape, data = tensor_bytes(name, tensors[name])
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)   # the data section starts 8-byte aligned, as the reference writer does
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for b in blobs:
                f.write(b)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return offset


def main():
    p = argparse.ArgumentParser(description="pytorch_model.bin -> model.safetensors for MambaScope")
    p.add_argument("checkpoint", help="model folder (config.json + pytorch_model.bin) or a checkpoint file")
    p.add_argument("--out", help="file to write (default: model.safetensors in the model folder)")
    p.add_argument("--strip-prefix", default="", help="remove this prefix from tensor names (e.g. 'model.' of a training module)")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    a = p.parse_args()

    folder = a.checkpoint if os.path.isdir(a.checkpoint) else os.path.dirname(os.path.abspath(a.checkpoint))
    out = a.out or os.path.join(folder, "model.safetensors")
    if os.path.isdir(out):
        fail(f"--out '{out}' is a folder; name the file to write, e.g. '{os.path.join(out, 'model.safetensors')}'")
    if os.path.exists(out) and not a.force:
        fail(f"'{out}' exists; --force replaces it")

    tensors, sources = {}, {}
    for f in checkpoint_files(a.checkpoint):
        for name, t in state_dict(f, a.strip_prefix).items():
            if name in tensors:
                fail(f"tensor '{name}' is in both '{sources[name]}' and '{f}'")
            tensors[name], sources[name] = t, f

    notes = []
    head = tensors.get("lm_head.weight")
    for e in _EMBEDDINGS:
        if head is not None and e in tensors and head.data_ptr() == tensors[e].data_ptr():
            del tensors["lm_head.weight"]
            notes.append(f"lm_head.weight is {e} (tied): stored once")
            break
    if not any(e in tensors for e in _EMBEDDINGS):
        notes.append("no backbone.embeddings.weight or backbone.embedding.weight: is this a Mamba language model? "
                     "(--strip-prefix removes a wrapper's prefix)")
    if not os.path.isfile(os.path.join(folder, "config.json")):
        notes.append(f"no config.json in '{folder}': MambaScope needs the model's config.json beside the weights")

    size = write_safetensors(out, tensors, {"format": "pt", "converted_by": "mambascope tools/models/convert_checkpoint.py"})
    dtypes = sorted({_DTYPES.get(t.dtype, "F32") for t in tensors.values()})
    print(f"wrote {out}: {len(tensors)} tensors, {size / 1e6:.1f} MB ({', '.join(dtypes)})")
    for n in notes:
        print(f"note: {n}")


if __name__ == "__main__":
    main()
