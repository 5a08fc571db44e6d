#!/usr/bin/env python3
"""Training data for MambaScope's bundled DNA models (issue 10), from Debian's archive only.

Downloads the packages below with `apt-get download`, unpacks them with `dpkg -x`, reads each
species' genome, keeps the last contiguous 10 % of it aside (first half validation, second half
test: by region, never random windows, so no held-out base has a training neighbour), and packs
every split as 2 bits a base plus the N runs, small enough to travel to the GPU machine.

    tools/train/prepare_data.py [--out .deps/train] [--max-train-mbp 30]

Output (OUT/, ignored by git):
    manifest.json                  species, package, file, licence, SHA-256, lengths, splits
    <label>.<split>.2bit           bases, 4 a byte, first base in the high bits (A C G T = 0 1 2 3)
    <label>.<split>.nruns          little-endian int64 pairs [start, end) of non-ACGT runs (0 in .2bit)
Python 3 standard library only.
"""
import argparse
import gzip
import hashlib
import json
import os
import re
import struct
import subprocess
import sys

# class label (exactly as issue 10 names it), package, path inside the package, first record only
SOURCES = [
    ("Homo sapiens", "smalt-examples", "test/data/hs37chrXtrunc.fa.gz", False),
    ("Caenorhabditis elegans", "r-bioc-bsgenome", "BSgenome/extdata/ce2chrX.fa.gz", False),
    ("Plasmodium falciparum", "smalt-examples", "test/data/genome_1.fa.gz", False),
    ("Ustilago maydis", "maffilter-examples", "examples/Umaydis/Umaydis.fasta.gz", False),
    ("Escherichia coli", "ragout-examples", "E.Coli/references/MG1655-K12.fasta.gz", False),
    ("Vibrio cholerae", "ragout-examples", "V.Cholerae/references/O1_Inaba.fasta.gz", False),
    ("Staphylococcus aureus", "ragout-examples", "S.Aureus/references/USA300_FPR3757.fasta.gz", False),
    ("Mycobacterium tuberculosis complex", "tnseq-transit", "pytransit/genomes/H37Rv.fna", False),
    ("Mycolicibacterium smegmatis", "tnseq-transit", "pytransit/genomes/mc2_155_tamu.fna", False),
    ("Helicobacter pylori", "sibelia-examples", "Helicobacter_pylori.fasta.gz", True),
]
HOLD_OUT = 0.10   # the last 10 % of each genome: validation, then test
CODE = {c: i for i, c in enumerate("ACGT")}


def slug(label):
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def fetch(packages, work):
    debs = os.path.join(work, "debs")
    root = os.path.join(work, "root")
    os.makedirs(debs, exist_ok=True)
    os.makedirs(root, exist_ok=True)
    missing = [p for p in packages if not any(f.startswith(p + "_") for f in os.listdir(debs))]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True, stdout=subprocess.DEVNULL)
    for f in sorted(os.listdir(debs)):
        if f.endswith(".deb"):
            subprocess.run(["dpkg", "-x", os.path.join(debs, f), root], check=True)
    return root


def find(root, rel):
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if p.endswith("/" + rel):
                return p
    raise SystemExit(f"prepare_data: no file ending in {rel} in the unpacked packages (under {root})")


def licence(root, package):
    path = os.path.join(root, "usr/share/doc", package, "copyright")
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return "see the package's copyright file"
    names = sorted(set(m.strip() for m in re.findall(r"^License:\s*(.+)$", text, re.M)))
    return ", ".join(names) if names else "see the package's copyright file"


def read_fasta(path, first_only):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    records, name, parts = [], None, []
    with opener(path, "rt") as f:
        for line in f:
            line = line.strip()
            if line.startswith(">"):
                if name is not None:
                    records.append((name, "".join(parts)))
                    if first_only:
                        break
                name, parts = line[1:].split()[0] if len(line) > 1 else "", []
            elif line:
                parts.append(line.upper())
        else:
            if name is not None:
                records.append((name, "".join(parts)))
    if first_only:
        records = records[:1]
    if not records:
        raise SystemExit(f"prepare_data: '{path}' holds no FASTA record")
    return records


def pack(seq):
    """2 bits a base (non-ACGT as 0) and the [start, end) runs of non-ACGT bases."""
    out = bytearray((len(seq) + 3) // 4)
    runs, start = [], None
    for i, c in enumerate(seq):
        v = CODE.get(c)
        if v is None:
            v = 0
            if start is None:
                start = i
        elif start is not None:
            runs.append((start, i))
            start = None
        out[i >> 2] |= v << (6 - 2 * (i & 3))
    if start is not None:
        runs.append((start, len(seq)))
    return bytes(out), runs


def write_split(out, label, split, seq):
    data, runs = pack(seq)
    base = os.path.join(out, f"{slug(label)}.{split}")
    with open(base + ".2bit", "wb") as f:
        f.write(data)
    with open(base + ".nruns", "wb") as f:
        for s, e in runs:
            f.write(struct.pack("<qq", s, e))
    return {"bases": len(seq), "n_bases": sum(e - s for s, e in runs), "file": os.path.basename(base) + ".2bit"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=".deps/train")
    ap.add_argument("--work", default="/tmp/mambascope-train-src",
                    help="downloaded and unpacked packages (kept out of .deps, which travels to the GPU machine)")
    ap.add_argument("--max-train-mbp", type=float, default=30.0,
                    help="keep at most this much training sequence per species (its first part)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    root = fetch(sorted({s[1] for s in SOURCES}), args.work)
    manifest = {"format": "mambascope-train-data", "version": 1, "encoding": "2 bits a base, ACGT = 0123, "
                "first base in the high bits; .nruns: int64 [start, end) pairs of non-ACGT runs",
                "hold_out": "the last 10 % of each genome (records concatenated in file order): "
                            "validation = its first half, test = its second half", "species": []}
    for label, package, rel, first_only in SOURCES:
        path = find(root, rel)
        records = read_fasta(path, first_only)
        genome = "".join(seq for _, seq in records)
        n = len(genome)
        cut = int(n * (1 - HOLD_OUT))
        mid = cut + (n - cut) // 2
        train = genome[:min(cut, int(args.max_train_mbp * 1e6))]
        entry = {"label": label, "package": package, "file": rel, "licence": licence(root, package),
                 "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
                 "records": [name for name, _ in records], "length": n,
                 "splits": {"train": [0, len(train)], "validation": [cut, mid], "test": [mid, n]}}
        entry["train"] = write_split(args.out, label, "train", train)
        entry["validation"] = write_split(args.out, label, "validation", genome[cut:mid])
        entry["test"] = write_split(args.out, label, "test", genome[mid:])
        manifest["species"].append(entry)
        print(f"{label:38s} {n / 1e6:8.2f} Mbp  train {len(train) / 1e6:6.2f}  validation {(mid - cut) / 1e6:5.2f}  "
              f"test {(n - mid) / 1e6:5.2f}", file=sys.stderr)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"prepare_data: {total / 2**20:.1f} MiB in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
