#!/usr/bin/env python3
"""Temperature-scales a saved model's species head on validation windows (Guo et al. 2017): one
scalar T minimising the negative log-likelihood of the true species, folded into the head's weight
and bias (W/T, b/T), so the engine's softmax gives calibrated probabilities with no new parameter.
The ranking of species, hence accuracy, is unchanged. Runs on the CPU (Debian's python3-torch).

    /usr/bin/python3 tools/train/calibrate_head.py resources/models/NAME [--data .deps/train]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamba_torch import MambaLM  # noqa: E402
from packed_data import Corpus  # noqa: E402
from safetensors_io import load_safetensors_float32, save_safetensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--data", default=".deps/train")
    ap.add_argument("--windows", default="1000:40,10000:8", help="LENGTH:PER_SPECIES validation windows")
    a = ap.parse_args()
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    path = os.path.join(a.model, "model.safetensors")
    header_dtype = json.loads(open(path, "rb").read(8 + int.from_bytes(open(path, "rb").read(8), "little"))[8:])
    dtype = next(v["dtype"] for k, v in header_dtype.items() if k != "__metadata__")
    tensors = load_safetensors_float32(path)
    model = MambaLM(cfg, checkpoint_layers=False)
    model.load_state_dict({k[9:]: torch.from_numpy(v.copy()) for k, v in tensors.items() if k.startswith("backbone.")})
    model.eval()
    W = torch.from_numpy(tensors["species.weight"].copy())
    b = torch.from_numpy(tensors["species.bias"].copy())
    val = Corpus(a.data, "validation", torch.device("cpu"))
    gen = np.random.default_rng(11)
    logits, truth = [], []
    with torch.no_grad():
        for spec in a.windows.split(","):
            length, count = (int(x) for x in spec.split(":"))
            for s in range(len(val.labels)):
                seq = val.seqs[s]
                for _ in range(count):
                    start = int(gen.integers(0, max(1, len(seq) - length)))
                    x = model.hidden(val.map[seq[start:start + length]].unsqueeze(0)).mean(dim=1)
                    logits.append((x @ W.t() + b)[0])
                    truth.append(s)
    z = torch.stack(logits)
    y = torch.tensor(truth)
    grid = np.exp(np.linspace(np.log(0.05), np.log(5.0), 400))
    nll = [float(torch.nn.functional.cross_entropy(z / t, y)) for t in grid]
    T = float(grid[int(np.argmin(nll))])
    print(f"{a.model}: {len(truth)} validation windows; NLL {nll[int(np.argmin(np.abs(grid - 1)))]:.4f} at T = 1, "
          f"{min(nll):.4f} at T = {T:.3f}")
    tensors = {k: v for k, v in tensors.items()}
    tensors["species.weight"] = tensors["species.weight"] / T
    tensors["species.bias"] = tensors["species.bias"] / T
    save_safetensors(path, tensors, metadata={"format": "pt", "producer": "MambaScope tools/train/train.py",
                                              "head": f"temperature {T:.4f} folded in (calibrate_head.py)"}, dtype=dtype)
    log_path = os.path.join(a.model, "training_log.json")
    if os.path.exists(log_path):
        log = json.load(open(log_path))
        log["head_temperature"] = {"T": T, "windows": a.windows, "nll_before": nll[int(np.argmin(np.abs(grid - 1)))],
                                   "nll_after": min(nll)}
        with open(log_path, "w") as f:
            json.dump(log, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
