#!/usr/bin/python3
"""Baselines for the bundled models (issue 10): order-k Markov bits per base and k-mer naive Bayes
species classification, on the held-out regions of tools/train/prepare_data.py's data.

    tools/eval/eval_baselines.py [--data .deps/train] [--out tools/eval/results] [--cache .deps/eval]

- Markov (markov.py, Witten-Bell): one model fitted on the training split of all species pooled
  (as the language model is trained), k in 0..--max-order chosen by the mean over species of the
  validation bits per base; and one model per species (its own k) as a second reference. Reported:
  test bits per base per species, each test stretch scored from its first base.
- Naive Bayes (kmer_nb.py): k in --nb-k chosen by the mean validation accuracy at 1 kbp and 10 kbp;
  accuracy, balanced accuracy, confusion matrix and ECE on every N-free test tile of 1 kbp and 10 kbp,
  raw and with a temperature fitted on the validation tiles.
Writes OUT/baselines.json and OUT/baselines.md, and CACHE/baseline_tiles.npz: the per-tile figures
that tools/eval/eval_model.py reads to put the baselines on exactly the windows a model was run on.
Python 3 + numpy (Debian's python3-numpy).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heldout import DataError, Windows, load_manifest, load_split  # noqa: E402
from kmer_nb import KmerNaiveBayes, fit_temperature, softmax  # noqa: E402
from markov import MarkovModel  # noqa: E402
from metrics import classification_report, confusion_markdown, short_name  # noqa: E402

CLS_LENGTHS = (1000, 10000)


def log(message):
    print(f"eval_baselines: {message}", file=sys.stderr, flush=True)


def choose_order(model, splits):
    """(best order, {order: mean validation bits per base over species}) for a fitted model."""
    by_order = {}
    for order in range(model.max_order + 1):
        by_order[order] = float(np.mean([model.bits_per_base(c, v, order)[0] for c, v in splits]))
    return min(by_order, key=by_order.get), by_order


def tile_bits(model, order, codes, starts, length):
    """[tiles, 2]: summed -log2 P over bases 1.. of each tile (base 0 has no context for a language
    model either) and how many bases that is."""
    out = np.zeros((len(starts), 2))
    for i, s in enumerate(starts):
        lp = model.log2_probs(codes[s:s + length], order, skip_first=1)
        out[i] = (-lp.sum(), lp.size)
    return out


def markov_baselines(args, manifest, labels, lm_windows):
    log("pooled Markov: counting the training splits")
    pooled = MarkovModel(args.max_order)
    for entry in manifest["species"]:
        pooled.add(*load_split(args.data, entry, "train"))
    pooled.fit()
    val = [load_split(args.data, e, "validation") for e in manifest["species"]]
    test = [load_split(args.data, e, "test") for e in manifest["species"]]
    k, by_order = choose_order(pooled, val)
    log(f"pooled Markov: k = {k} (validation {by_order[k]:.4f} bits/base)")
    result = {"pooled": {"order": k, "validation_by_order": by_order, "test": {}},
              "per_species": {}}
    tiles = {"markov_pooled": [], "markov_species": []}
    for label, (codes, valid), starts in zip(labels, test, lm_windows.starts):
        bits, n = pooled.bits_per_base(codes, valid, k)
        result["pooled"]["test"][label] = {"bits_per_base": bits, "bases": n}
        tiles["markov_pooled"].append(tile_bits(pooled, k, codes, starts, lm_windows.length))
    del pooled
    for i, entry in enumerate(manifest["species"]):
        own = MarkovModel(args.max_order)
        own.add(*load_split(args.data, entry, "train"))
        own.fit()
        ks, by = choose_order(own, [val[i]])
        bits, n = own.bits_per_base(*test[i], ks)
        result["per_species"][labels[i]] = {"order": ks, "validation_bits_per_base": by[ks],
                                            "test_bits_per_base": bits, "bases": n}
        tiles["markov_species"].append(tile_bits(own, ks, test[i][0], lm_windows.starts[i], lm_windows.length))
        log(f"{labels[i]}: own Markov k = {ks}, test {bits:.4f}; pooled {result['pooled']['test'][labels[i]]['bits_per_base']:.4f}")
    for name in ("pooled",):
        vals = [v["bits_per_base"] for v in result[name]["test"].values()]
        result[name]["test_mean_over_species"] = float(np.mean(vals))
    result["per_species_mean"] = float(np.mean([v["test_bits_per_base"] for v in result["per_species"].values()]))
    return result, {key: np.concatenate(v) for key, v in tiles.items()}


def window_logits(nb, args, manifest, windows):
    """[windows, classes] log-likelihoods and [windows] true classes for one window set."""
    logits, truth = [], []
    for cls, (entry, starts) in enumerate(zip(manifest["species"], windows.starts)):
        codes, _ = load_split(args.data, entry, windows.split)
        logits.append(nb.log_likelihoods(codes, starts, windows.length))
        truth.append(np.full(len(starts), cls))
    return np.concatenate(logits), np.concatenate(truth)


def nb_baselines(args, manifest, labels, test_sets):
    val_sets = {n: Windows(manifest, args.data, "validation", n, None) for n in CLS_LENGTHS}
    best = None
    choice = {}
    for k in args.nb_k:
        nb = KmerNaiveBayes(k, len(labels))
        for cls, entry in enumerate(manifest["species"]):
            nb.add(cls, *load_split(args.data, entry, "train"))
        nb.fit()
        reports = {}
        for n, ws in val_sets.items():
            logits, truth = window_logits(nb, args, manifest, ws)
            reports[n] = classification_report(softmax(logits), truth, labels)
        score = (np.mean([r["accuracy"] for r in reports.values()]), -np.mean([r["nll"] for r in reports.values()]))
        choice[k] = {f"validation_accuracy_{n}": reports[n]["accuracy"] for n in CLS_LENGTHS}
        log(f"naive Bayes k = {k}: validation accuracy " +
            ", ".join(f"{n} bp {reports[n]['accuracy']:.4f}" for n in CLS_LENGTHS))
        if best is None or score > best[0]:
            best = (score, k, nb)
    _, k, nb = best
    result = {"k": k, "validation_by_k": choice, "windows": {}}
    tiles = {}
    for n in CLS_LENGTHS:
        val_logits, val_truth = window_logits(nb, args, manifest, val_sets[n])
        t = fit_temperature(val_logits, val_truth)
        logits, truth = window_logits(nb, args, manifest, test_sets[n])
        result["windows"][str(n)] = {"temperature": t,
                                     "raw": classification_report(softmax(logits), truth, labels),
                                     "calibrated": classification_report(softmax(logits, t), truth, labels)}
        tiles[f"nb_logits_{n}"] = logits
        tiles[f"nb_temperature_{n}"] = np.array(t)
        log(f"naive Bayes k = {k}, {n} bp test: accuracy {result['windows'][str(n)]['raw']['accuracy']:.4f}, "
            f"ECE raw {result['windows'][str(n)]['raw']['ece']:.4f}, T = {t:.3g} "
            f"{result['windows'][str(n)]['calibrated']['ece']:.4f}")
    return result, tiles


def tile_index(name, windows):
    """Which species and start each cached tile row is (rows in manifest order, then by start)."""
    return {f"{name}_species": np.concatenate([np.full(len(s), i) for i, s in enumerate(windows.starts)]),
            f"{name}_starts": np.concatenate(windows.starts)}


def markdown(res):
    labels = res["labels"]
    m, nb = res["markov"], res["naive_bayes"]
    lines = [f"### Bits per base on the held-out test regions (lower is better)", "",
             f"| species | test bases | pooled Markov (k = {m['pooled']['order']}) | own-species Markov (k) |",
             "|---|---|---|---|"]
    for label in labels:
        p, s = m["pooled"]["test"][label], m["per_species"][label]
        lines.append(f"| {label} | {p['bases']:,} | {p['bits_per_base']:.4f} | {s['test_bits_per_base']:.4f} "
                     f"({s['order']}) |")
    lines.append(f"| **mean over species** | | **{m['pooled']['test_mean_over_species']:.4f}** | "
                 f"**{m['per_species_mean']:.4f}** |")
    lines += ["", f"### Species of a window, k-mer naive Bayes (k = {nb['k']}), every N-free test tile", "",
              "| window | tiles | accuracy | balanced accuracy | ECE raw | ECE at T (validation) |",
              "|---|---|---|---|---|---|"]
    for n, w in nb["windows"].items():
        r, c = w["raw"], w["calibrated"]
        lines.append(f"| {int(n) // 1000} kbp | {r['windows']} | {r['accuracy']:.4f} | {r['balanced_accuracy']:.4f} | "
                     f"{r['ece']:.4f} | {c['ece']:.4f} (T = {w['temperature']:.3g}) |")
    for n, w in nb["windows"].items():
        lines += ["", f"Confusion at {int(n) // 1000} kbp (rows: true species, columns: predicted):", "",
                  confusion_markdown(w["raw"], short_name)]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=".deps/train")
    ap.add_argument("--out", default="tools/eval/results")
    ap.add_argument("--cache", default=".deps/eval")
    ap.add_argument("--max-order", type=int, default=12,
                    help="highest Markov order tried (memory: 4^(k+1) counts, 0.5 GiB at 12)")
    ap.add_argument("--nb-k", type=lambda s: [int(x) for x in s.split(",")], default=[4, 5, 6])
    ap.add_argument("--lm-window", type=int, default=10000, help="tile length for per-window bits per base")
    a = ap.parse_args()
    started = time.time()
    try:
        manifest = load_manifest(a.data)
        labels = [e["label"] for e in manifest["species"]]
        lm_windows = Windows(manifest, a.data, "test", a.lm_window, None)
        test_sets = {n: Windows(manifest, a.data, "test", n, None) for n in CLS_LENGTHS}
        markov, markov_tiles = markov_baselines(a, manifest, labels, lm_windows)
        nb, nb_tiles = nb_baselines(a, manifest, labels, test_sets)
    except DataError as e:
        raise SystemExit(f"eval_baselines: {e}")
    res = {"format": "mambascope-eval-baselines", "version": 1, "labels": labels,
           "data": {"sha256": {e["label"]: e["sha256"] for e in manifest["species"]},
                    "test_tiles": {str(n): s.counts() for n, s in test_sets.items()}},
           "markov": markov, "naive_bayes": nb, "seconds": round(time.time() - started, 1)}
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "baselines.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    with open(os.path.join(a.out, "baselines.md"), "w") as f:
        f.write(markdown(res))
    os.makedirs(a.cache, exist_ok=True)
    np.savez(os.path.join(a.cache, "baseline_tiles.npz"), labels=np.array(labels),
             lm_window=np.array(a.lm_window), lm_key=np.array(lm_windows.key()),
             **{f"key_{n}": np.array(s.key()) for n, s in test_sets.items()}, **tile_index("lm", lm_windows),
             **{k: v for n, s in test_sets.items() for k, v in tile_index(str(n), s).items()},
             **markov_tiles, **nb_tiles)
    log(f"wrote {a.out}/baselines.json, baselines.md and {a.cache}/baseline_tiles.npz in {res['seconds']} s")


if __name__ == "__main__":
    main()
