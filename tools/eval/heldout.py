"""The packed training data of tools/train/prepare_data.py, read with numpy, and the held-out windows
every evaluation here uses (baselines and trained models alike, so their figures are comparable).

A split is <label>.<split>.2bit (A C G T = 0 1 2 3, 4 a base per byte, first base in the high bits)
plus <label>.<split>.nruns (little-endian int64 [start, end) pairs of non-ACGT bases) and its entry
in manifest.json. Windows are non-overlapping tiles of a split that hold no N, chosen evenly along
it (no random numbers: the same manifest gives the same windows on every machine).
"""
import hashlib
import json
import os

import numpy as np

BASES = "ACGT"


class DataError(Exception):
    pass


def load_manifest(data_dir):
    path = os.path.join(data_dir, "manifest.json")
    try:
        with open(path) as f:
            manifest = json.load(f)
    except OSError as e:
        raise DataError(f"cannot read '{path}' ({e.strerror}); make the data with tools/train/prepare_data.py") \
            from None
    except json.JSONDecodeError as e:
        raise DataError(f"'{path}' is not JSON: {e}") from None
    if manifest.get("format") != "mambascope-train-data" or not manifest.get("species"):
        raise DataError(f"'{path}' is not a mambascope-train-data manifest with species")
    return manifest


def load_split(data_dir, entry, split):
    """(codes uint8 [n] in 0..3, valid bool [n]: False on non-ACGT bases) of one species' split."""
    info = entry.get(split)
    if not info:
        raise DataError(f"manifest species '{entry.get('label')}' has no '{split}' split")
    n = int(info["bases"])
    path = os.path.join(data_dir, info["file"])
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size != (n + 3) // 4:
        raise DataError(f"'{path}' has {raw.size} bytes; the manifest's {n} bases need {(n + 3) // 4}")
    # [bytes] -> [bytes, 4] -> [4 * bytes]: first base in the high bits
    codes = ((raw[:, None] >> np.array([6, 4, 2, 0], dtype=np.uint8)) & 3).reshape(-1)[:n]
    valid = np.ones(n, dtype=bool)
    runs_path = path[:-len(".2bit")] + ".nruns"
    runs = np.fromfile(runs_path, dtype="<i8")
    if runs.size % 2:
        raise DataError(f"'{runs_path}' holds {runs.size * 8} bytes; expected [start, end) int64 pairs")
    for s, e in runs.reshape(-1, 2):
        if not 0 <= s < e <= n:
            raise DataError(f"'{runs_path}': N run [{s}, {e}) is outside the split's {n} bases")
        valid[s:e] = False
    return codes, valid


def tiles(valid, length, limit=None):
    """Starts of non-overlapping `length`-base tiles without N; `limit` of them spread evenly."""
    n = valid.size // length
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ok = valid[:n * length].reshape(n, length).all(axis=1)
    starts = np.flatnonzero(ok).astype(np.int64) * length
    if limit is not None and starts.size > limit:
        starts = starts[np.round(np.linspace(0, starts.size - 1, limit)).astype(np.int64)]
    return starts


class Windows:
    """One window set: for each species (manifest order), tile starts in a split, and their length."""

    def __init__(self, manifest, data_dir, split, length, limit):
        self.split, self.length, self.limit = split, length, limit
        self.labels, self.starts, self.offsets = [], [], []   # offsets: the split's start in its genome
        for entry in manifest["species"]:
            _, valid = load_split(data_dir, entry, split)
            self.labels.append(entry["label"])
            self.starts.append(tiles(valid, length, limit))
            self.offsets.append(int(entry["splits"][split][0]))

    def key(self):
        """Names the set exactly (split, length, every start), so figures from elsewhere can be matched."""
        h = hashlib.sha256(f"{self.split}:{self.length}".encode())
        for label, s in zip(self.labels, self.starts):
            h.update(label.encode() + b"\0" + s.astype("<i8").tobytes())
        return h.hexdigest()[:16]

    def counts(self):
        return {label: int(s.size) for label, s in zip(self.labels, self.starts)}


def decode(codes):
    return np.frombuffer(b"ACGT", dtype=np.uint8)[codes].tobytes().decode()
