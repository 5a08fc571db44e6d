#!/usr/bin/env python3
"""PyTorch's logits for a saved model folder on the first record of a FASTA file, in fp32 on the
CPU (no TF32, no autocast): the reference the engine's conformance test for the shipped models
compares with.

    tools/train/reference.py MODEL_DIR INPUT.fa OUT_logits.npy
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamba_torch import BASE_IDS, N_ID, MambaLM  # noqa: E402
from safetensors_io import load_safetensors_float32  # noqa: E402


def main():
    model_dir, fasta, out = sys.argv[1:4]
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    model = MambaLM(cfg, checkpoint_layers=False)
    tensors = load_safetensors_float32(os.path.join(model_dir, "model.safetensors"))
    state = {k[len("backbone."):]: torch.from_numpy(v.copy()) for k, v in tensors.items() if k.startswith("backbone.")}
    model.load_state_dict(state, strict=True)
    model.eval()
    seq = "".join(line.strip() for line in open(fasta) if not line.startswith(">")).upper()
    ids = {b: i for b, i in zip("ACGT", BASE_IDS)}
    tokens = torch.tensor([[ids.get(c, N_ID) for c in seq]])
    with torch.no_grad():
        np.save(out, model(tokens)[0].numpy().astype(np.float32))


if __name__ == "__main__":
    main()
