"""Reads the packs of prepare_data.py (2 bits a base + N runs) and draws training windows."""
import json
import os

import numpy as np
import torch

from mamba_torch import BASE_IDS, N_ID

# Token id of code 0..3 (A C G T) and 4 (N).
CODE_TO_ID = np.array(list(BASE_IDS) + [N_ID], dtype=np.int64)


def load_split(folder, entry, split):
    """One species' split as base codes 0..3, 4 for N (uint8)."""
    info = entry[split]
    raw = np.fromfile(os.path.join(folder, info["file"]), dtype=np.uint8)
    codes = np.empty(raw.size * 4, dtype=np.uint8)
    for k in range(4):
        codes[k::4] = (raw >> (6 - 2 * k)) & 3
    codes = codes[: info["bases"]]
    runs = np.fromfile(os.path.join(folder, info["file"].replace(".2bit", ".nruns")), dtype="<i8").reshape(-1, 2)
    for s, e in runs:
        codes[s:e] = 4
    return codes


class Corpus:
    """All species of one split, on the device as base codes, with per-species sampling weights."""

    def __init__(self, folder, split, device, species_power=0.5):
        manifest = json.load(open(os.path.join(folder, "manifest.json")))
        self.labels = [s["label"] for s in manifest["species"]]
        self.seqs = [torch.from_numpy(load_split(folder, s, split).astype(np.int64)).to(device) for s in manifest["species"]]
        sizes = np.array([len(s) for s in self.seqs], dtype=np.float64)
        # Sizes differ 20-fold (human chrX vs H. pylori): draw species in proportion to size^power, so
        # small genomes are seen often enough without being memorised.
        w = sizes ** species_power
        self.weights = w / w.sum()
        self.map = torch.from_numpy(CODE_TO_ID).to(device)
        self.device = device

    def windows(self, batch, length, gen, revcomp=True):
        """[batch, length] token ids and species indices; half the windows reverse-complemented."""
        species = gen.choice(len(self.seqs), size=batch, p=self.weights)
        rows = []
        for s in species:
            seq = self.seqs[s]
            n = len(seq)
            if n <= length:
                start = 0
            else:
                start = int(gen.integers(0, n - length))
            w = seq[start:start + length]
            if revcomp and gen.random() < 0.5:
                # complement of code c in 0..3 is 3 - c; N stays N
                w = torch.where(w < 4, 3 - w, w).flip(0)
            rows.append(w)
        codes = torch.stack(rows)
        return self.map[codes], torch.as_tensor(species, device=self.device)
