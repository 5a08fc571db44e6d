#!/usr/bin/python3
"""Evaluates a trained model through MambaScope's own CLI on the held-out windows of the baselines,
and puts both in one table (issue 10).

    tools/eval/eval_model.py --model resources/models/NAME [--cli build/release/app/mambascope-cli]
        [--device cpu] [--lm-windows 10] [--cls-windows 100,20] [--out tools/eval/results]

Needs tools/eval/eval_baselines.py to have run on the same data (its CACHE/baseline_tiles.npz).
- Bits per base: --lm-windows N-free test tiles of the baselines' window length per species (evenly
  spread), written as FASTA records and run through `score` (each record from zero state); the
  `loglik` track (log2 P of each base given the bases before it in its window; base 0 has none) is
  read back with `export --format bedgraph`. The Markov baselines are summed over the same bases.
- Species: --cls-windows test tiles of 1 kbp and 10 kbp per species through `classify --per-record`
  (the model's classifier head, whose labels must be the manifest's species), read back with
  `export --predictions`; naive Bayes on the same tiles from the cache.
Writes OUT/NAME.json and OUT/NAME.md. Python 3 + numpy (Debian's python3-numpy).
"""
import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heldout import DataError, Windows, decode, load_manifest, load_split  # noqa: E402
from kmer_nb import softmax  # noqa: E402
from metrics import classification_report, confusion_markdown, short_name  # noqa: E402

CLS_LENGTHS = (1000, 10000)


class EvalError(Exception):
    pass


def log(message):
    print(f"eval_model: {message}", file=sys.stderr, flush=True)


def run_cli(cli, *args):
    cmd = [cli, *args]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise EvalError(f"'{' '.join(cmd)}' failed (exit {p.returncode}): {p.stderr.strip()[-2000:]}")
    return p.stdout


def record_name(label, start):
    return f"{label.lower().replace(' ', '_')}_{start}"


def write_windows(path, manifest, data_dir, windows):
    """One FASTA record per window; returns [(name, species index, start)] in file order."""
    rows = []
    with open(path, "w") as out:
        for cls, (entry, starts) in enumerate(zip(manifest["species"], windows.starts)):
            codes, _ = load_split(data_dir, entry, windows.split)
            for s in starts.tolist():
                name = record_name(entry["label"], s)
                seq = decode(codes[s:s + windows.length])
                out.write(f">{name}\n")
                for i in range(0, len(seq), 80):
                    out.write(seq[i:i + 80] + "\n")
                rows.append((name, cls, s))
    return rows


def cache_rows(cache, prefix, rows):
    """Row of each (species, start) window in the cache's per-tile arrays."""
    where = {(int(c), int(s)): i for i, (c, s) in enumerate(zip(cache[f"{prefix}_species"], cache[f"{prefix}_starts"]))}
    try:
        return np.array([where[(c, s)] for _, c, s in rows], dtype=np.int64)
    except KeyError:
        raise EvalError("a window is not among the baselines' cached tiles: rerun tools/eval/eval_baselines.py "
                        "on this data") from None


def lm_bits(a, manifest, cache, work):
    if int(cache["lm_window"]) != a.lm_window:
        raise EvalError(f"the baselines' cache has {int(cache['lm_window'])}-base windows; --lm-window is {a.lm_window}")
    windows = Windows(manifest, a.data, "test", a.lm_window, a.lm_windows)
    rows = write_windows(os.path.join(work, "lm.fa"), manifest, a.data, windows)
    db, bedgraph = os.path.join(work, "lm.db"), os.path.join(work, "loglik.bedgraph")
    log(f"score: {len(rows)} windows of {a.lm_window} bases on {a.device}")
    run_cli(a.cli, "score", "--model", a.model, "--fasta", os.path.join(work, "lm.fa"), "--db", db,
            "--device", a.device, "--quiet")
    run_cli(a.cli, "export", "--db", db, "--track", "loglik", "--format", "bedgraph", "--out", bedgraph)
    sums = {name: [0.0, 0] for name, _, _ in rows}
    with open(bedgraph) as f:
        for number, line in enumerate(f, 1):
            fields = line.split("\t")
            if len(fields) != 4 or fields[0] not in sums:
                raise EvalError(f"{bedgraph}:{number}: expected 'window start end value', found '{line[:60]}'")
            span = int(fields[2]) - int(fields[1])
            sums[fields[0]][0] -= float(fields[3]) * span
            sums[fields[0]][1] += span
    for name, (_, n) in sums.items():
        if n != a.lm_window - 1:   # every base but the first, which has no context
            raise EvalError(f"window '{name}': the loglik track covers {n} bases; expected {a.lm_window - 1}")
    idx = cache_rows(cache, "lm", rows)
    per = {}
    for label_i, label in enumerate(windows.labels):
        sel = [i for i, (_, c, _) in enumerate(rows) if c == label_i]
        if not sel:
            continue
        bits = sum(sums[rows[i][0]][0] for i in sel)
        n = sum(sums[rows[i][0]][1] for i in sel)
        mp = cache["markov_pooled"][idx[sel]].sum(axis=0)
        ms = cache["markov_species"][idx[sel]].sum(axis=0)
        per[label] = {"windows": len(sel), "bases": n, "model": bits / n, "markov_pooled": mp[0] / mp[1],
                      "markov_species": ms[0] / ms[1]}
    means = {k: float(np.mean([v[k] for v in per.values()])) for k in ("model", "markov_pooled", "markov_species")}
    return {"window": a.lm_window, "windows_per_species": a.lm_windows, "per_species": per, "mean_over_species": means,
            "worse_than_pooled_markov": [s for s, v in per.items() if v["model"] >= v["markov_pooled"]]}


def model_labels(model_dir, head):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    heads = cfg.get("mambascope_heads") or []
    if head:
        heads = [h for h in heads if h.get("name") == head]
    if len(heads) != 1:
        raise EvalError(f"'{model_dir}/config.json' has {len(heads)} classifier heads"
                        f"{' named ' + head if head else ''}; name one with --head, or use --skip-classify")
    return heads[0]["labels"]


def check_labels(a, labels):
    names = model_labels(a.model, a.head)
    if sorted(names) != sorted(labels):
        raise EvalError(f"the model's classifier labels {names} are not the data's species {labels} "
                        f"(missing: {sorted(set(labels) - set(names))}, extra: {sorted(set(names) - set(labels))})")


def classification(a, manifest, cache, work, labels):
    out = {}
    for n, limit in zip(CLS_LENGTHS, a.cls_windows):
        windows = Windows(manifest, a.data, "test", n, limit)
        fasta, db, tsv = (os.path.join(work, f"cls{n}.{x}") for x in ("fa", "db", "tsv"))
        rows = write_windows(fasta, manifest, a.data, windows)
        log(f"classify: {len(rows)} windows of {n} bases on {a.device}")
        extra = ["--head", a.head] if a.head else []
        run_cli(a.cli, "classify", "--model", a.model, "--fasta", fasta, "--per-record", "--db", db,
                "--device", a.device, "--quiet", *extra)
        run_cli(a.cli, "export", "--db", db, "--predictions", "--format", "tsv", "--out", tsv)
        probs = {}
        with open(tsv, newline="") as f:
            reader = csv.DictReader(f, delimiter="\t")
            cols = [f"p_{x}" for x in labels]
            missing = [c for c in cols if c not in (reader.fieldnames or [])]
            if missing:
                raise EvalError(f"{tsv}: no column {missing[0]} (columns: {reader.fieldnames})")
            for r in reader:
                probs[r["sequence"]] = [float(r[c]) for c in cols]
        absent = [name for name, _, _ in rows if name not in probs]
        if absent or len(probs) != len(rows):
            raise EvalError(f"{tsv}: {len(probs)} predictions for {len(rows)} windows (first missing: {absent[:1]})")
        truth = np.array([c for _, c, _ in rows])
        model_p = np.array([probs[name] for name, _, _ in rows])
        logits = cache[f"nb_logits_{n}"][cache_rows(cache, str(n), rows)]
        t = float(cache[f"nb_temperature_{n}"])
        out[str(n)] = {"model": classification_report(model_p, truth, labels),
                       "naive_bayes": classification_report(softmax(logits), truth, labels),
                       "naive_bayes_calibrated": classification_report(softmax(logits, t), truth, labels),
                       "naive_bayes_temperature": t}
    return out


def markdown(res):
    lines = [f"### {res['name']}: bits per base on held-out test windows (lower is better)", "",
             f"{res['lm']['windows_per_species']} windows of {res['lm']['window']:,} bases per species at most, "
             f"each scored from zero state; base 0 of each window is not counted (no context).", "",
             "| species | windows | model | pooled Markov | own-species Markov | model − pooled Markov |",
             "|---|---|---|---|---|---|"]
    for s, v in res["lm"]["per_species"].items():
        lines.append(f"| {s} | {v['windows']} | {v['model']:.4f} | {v['markov_pooled']:.4f} | "
                     f"{v['markov_species']:.4f} | {v['model'] - v['markov_pooled']:+.4f} |")
    m = res["lm"]["mean_over_species"]
    lines.append(f"| **mean over species** | | **{m['model']:.4f}** | **{m['markov_pooled']:.4f}** | "
                 f"**{m['markov_species']:.4f}** | **{m['model'] - m['markov_pooled']:+.4f}** |")
    worse = res["lm"]["worse_than_pooled_markov"]
    lines += ["", "Not better than the pooled Markov model on: " + (", ".join(worse) if worse else "none") + "."]
    if res.get("classification"):
        lines += ["", f"### {res['name']}: species of a window (held-out test tiles)", "",
                  "| window | windows | model accuracy | naive Bayes accuracy | model balanced | naive Bayes balanced "
                  "| model ECE | naive Bayes ECE (raw / at T) |", "|---|---|---|---|---|---|---|---|"]
        for n, c in res["classification"].items():
            mo, nb, nc = c["model"], c["naive_bayes"], c["naive_bayes_calibrated"]
            lines.append(f"| {int(n) // 1000} kbp | {mo['windows']} | {mo['accuracy']:.4f} | {nb['accuracy']:.4f} | "
                         f"{mo['balanced_accuracy']:.4f} | {nb['balanced_accuracy']:.4f} | {mo['ece']:.4f} | "
                         f"{nb['ece']:.4f} / {nc['ece']:.4f} |")
        for n, c in res["classification"].items():
            lines += ["", f"Model confusion at {int(n) // 1000} kbp (rows: true species, columns: predicted):", "",
                      confusion_markdown(c["model"], short_name)]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--cli", default="build/release/app/mambascope-cli")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--data", default=".deps/train")
    ap.add_argument("--cache", default=".deps/eval")
    ap.add_argument("--out", default="tools/eval/results")
    ap.add_argument("--name", help="names the outputs (default: the model directory's name)")
    ap.add_argument("--lm-window", type=int, default=10000)
    ap.add_argument("--lm-windows", type=int, default=10, help="windows per species for bits per base")
    ap.add_argument("--cls-windows", type=lambda s: [int(x) for x in s.split(",")], default=[100, 20],
                    help="windows per species at 1 kbp and at 10 kbp")
    ap.add_argument("--head", help="which classifier head (default: the only one)")
    ap.add_argument("--skip-classify", action="store_true", help="bits per base only (a model without a head)")
    ap.add_argument("--work", help="keep the FASTA windows and databases here (default: a temporary folder)")
    a = ap.parse_args()
    a.model = a.model.rstrip("/")
    name = a.name or os.path.basename(a.model)
    started = time.time()
    try:
        if not os.access(a.cli, os.X_OK):
            raise EvalError(f"no CLI at '{a.cli}': build it (cmake --build --preset release) or pass --cli")
        if len(a.cls_windows) != len(CLS_LENGTHS):
            raise EvalError(f"--cls-windows needs {len(CLS_LENGTHS)} numbers (1 kbp, 10 kbp)")
        manifest = load_manifest(a.data)
        labels = [e["label"] for e in manifest["species"]]
        cache_path = os.path.join(a.cache, "baseline_tiles.npz")
        if not os.path.exists(cache_path):
            raise EvalError(f"no '{cache_path}': run tools/eval/eval_baselines.py --data {a.data} first")
        cache = np.load(cache_path)
        if list(cache["labels"]) != labels:
            raise EvalError(f"'{cache_path}' was made for other species: rerun tools/eval/eval_baselines.py")
        if not a.skip_classify:
            check_labels(a, labels)     # before minutes of scoring
        with tempfile.TemporaryDirectory(prefix="ms-eval-") as tmp:
            work = a.work or tmp
            os.makedirs(work, exist_ok=True)
            for f in os.listdir(work):   # a kept --work folder: the CLI adds runs to existing databases
                if f.endswith((".db", ".db-wal", ".db-shm")):
                    os.remove(os.path.join(work, f))
            with open(os.path.join(a.model, "model.safetensors"), "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            res = {"format": "mambascope-eval-model", "version": 1, "name": name, "model": a.model,
                   "model_sha256": digest, "cli": run_cli(a.cli, "--version").splitlines()[0], "device": a.device,
                   "labels": labels, "lm": lm_bits(a, manifest, cache, work)}
            if not a.skip_classify:
                res["classification"] = classification(a, manifest, cache, work, labels)
    except (EvalError, DataError) as e:
        raise SystemExit(f"eval_model: {e}")
    res["seconds"] = round(time.time() - started, 1)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, f"{name}.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    with open(os.path.join(a.out, f"{name}.md"), "w") as f:
        f.write(markdown(res))
    log(f"wrote {a.out}/{name}.json and {name}.md in {res['seconds']} s")


if __name__ == "__main__":
    main()
