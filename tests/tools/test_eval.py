#!/usr/bin/python3
"""tools/eval on synthetic species whose true entropy rate is known: the packed-data reader, the
Markov model (normalised tables; recovers an order-2 chain's entropy rate and order), the naive
Bayes classifier and the calibration figures, then eval_baselines.py and eval_model.py end to end
through the CLI ($CLI) with the tiny random fixture, its bits per base checked against the
engine's logits from `mambascope-cli forward`."""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EVAL = os.path.join(ROOT, "tools", "eval")
sys.path.insert(0, EVAL)
import heldout  # noqa: E402
import kmer_nb  # noqa: E402
import markov  # noqa: E402
import metrics  # noqa: E402

spec = importlib.util.spec_from_file_location("prepare_data", os.path.join(ROOT, "tools", "train", "prepare_data.py"))
prepare_data = importlib.util.module_from_spec(spec)
spec.loader.exec_module(prepare_data)

LABELS = ["Alpha one", "Beta two", "Gamma three"]
GENOME = 300_000
FIXTURE = os.path.join(ROOT, "tests", "data", "fixtures", "tied_k4_s16", "hf")


def read_json(path):
    with open(path) as f:
        return json.load(f)


def order2_chain(seed):
    """A random order-2 chain: transition table [16 contexts, 4], its stationary context distribution,
    and its entropy rate in bits."""
    rng = np.random.default_rng(seed)
    table = rng.dirichlet(np.full(4, 0.6), size=16)
    move = np.zeros((16, 16))                        # context (a, b) -> (b, c)
    for ctx in range(16):
        for c in range(4):
            move[ctx, (ctx % 4) * 4 + c] += table[ctx, c]
    w, v = np.linalg.eig(move.T)
    pi = np.real(v[:, np.argmin(abs(w - 1))])
    pi /= pi.sum()
    rate = -float((pi[:, None] * table * np.log2(table)).sum())
    return table, rate, rng


def sample(table, rng, n):
    out = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    cum = np.cumsum(table, axis=1)
    for i in range(2, n):
        out[i] = np.searchsorted(cum[out[i - 2] * 4 + out[i - 1]], u[i] * cum[0, -1])
    return np.minimum(out, 3)


def make_data(folder):
    """Three species packed as prepare_data.py packs them (its own functions), with a manifest."""
    os.makedirs(folder, exist_ok=True)
    manifest = {"format": "mambascope-train-data", "version": 1, "species": []}
    rates = []
    for i, label in enumerate(LABELS):
        table, rate, rng = order2_chain(10 + i)
        genome = list(heldout.decode(sample(table, rng, GENOME).astype(np.uint8)))
        if i == 1:
            genome[GENOME - 5000:GENOME - 4900] = "N" * 100   # an N run inside the test split
        genome = "".join(genome)
        cut = int(GENOME * 0.9)
        mid = cut + (GENOME - cut) // 2
        entry = {"label": label, "sha256": "-", "records": ["r"], "length": GENOME,
                 "splits": {"train": [0, cut], "validation": [cut, mid], "test": [mid, GENOME]}}
        for split, (s, e) in entry["splits"].items():
            entry[split] = prepare_data.write_split(folder, label, split, genome[s:e])
        manifest["species"].append(entry)
        rates.append(rate)
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    return rates


class Units(unittest.TestCase):
    def test_packed_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            seq = "ACGTTGCANNNNAC" * 3 + "G"
            entry = {"label": "X y", "test": prepare_data.write_split(d, "X y", "test", seq)}
            codes, valid = heldout.load_split(d, entry, "test")
            self.assertEqual("".join("ACGTN"[c if v else 4] for c, v in zip(codes, valid)), seq)
            with open(os.path.join(d, "x_y.test.2bit"), "ab") as f:
                f.write(b"\0")
            with self.assertRaisesRegex(heldout.DataError, r"x_y.test.2bit' has 12 bytes; the manifest's 43 bases need 11"):
                heldout.load_split(d, entry, "test")

    def test_tiles_skip_n(self):
        valid = np.ones(100, dtype=bool)
        valid[25] = False
        self.assertEqual(heldout.tiles(valid, 20).tolist(), [0, 40, 60, 80])
        self.assertEqual(heldout.tiles(valid, 20, 2).tolist(), [0, 80])

    def test_markov_tables_are_distributions(self):
        rng = np.random.default_rng(1)
        m = markov.MarkovModel(3)
        m.add(rng.integers(0, 4, 5000).astype(np.uint8), np.ones(5000, dtype=bool))
        m.fit()
        for order, t in enumerate(m.tables):
            self.assertEqual(t.shape, (4 ** order, 4))
            np.testing.assert_allclose((2.0 ** t.astype(np.float64)).sum(axis=1), 1.0, atol=1e-5)

    def test_markov_short_contexts(self):
        m = markov.MarkovModel(2)
        codes = np.array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1], dtype=np.uint8)
        m.add(codes, np.ones(codes.size, dtype=bool))
        lp = m.log2_probs(codes, 2)
        self.assertAlmostEqual(lp[0], m.tables[0][0, 0])
        self.assertAlmostEqual(lp[1], m.tables[1][0, 1])
        self.assertAlmostEqual(lp[5], m.tables[2][3 * 4 + 0, 1])   # context T A, then C
        np.testing.assert_array_equal(m.log2_probs(codes, 2, skip_first=1), lp[1:])

    def test_reverse_complement_index(self):
        rc = kmer_nb.reverse_complement_index(3)
        # AAC (0,0,1) -> GTT (2,3,3)
        self.assertEqual(rc[0 * 16 + 0 * 4 + 1], 2 * 16 + 3 * 4 + 3)
        np.testing.assert_array_equal(rc[rc], np.arange(64))

    def test_ece(self):
        p = np.array([[0.9, 0.1]] * 10)
        truth = np.array([0] * 9 + [1])
        self.assertAlmostEqual(metrics.expected_calibration_error(p, truth), 0.0)
        self.assertAlmostEqual(metrics.expected_calibration_error(np.array([[0.8, 0.2]] * 4), np.zeros(4, int)), 0.2)
        r = metrics.classification_report(np.array([[0.7, 0.3], [0.4, 0.6], [0.9, 0.1]]), np.array([0, 0, 1]), ["a", "b"])
        self.assertEqual(r["confusion"], [[1, 1], [1, 0]])
        self.assertAlmostEqual(r["accuracy"], 1 / 3)

    def test_temperature(self):
        rng = np.random.default_rng(3)
        logits = rng.normal(size=(4000, 3)) * 2
        truth = np.array([rng.choice(3, p=p) for p in kmer_nb.softmax(logits)])
        self.assertAlmostEqual(kmer_nb.fit_temperature(logits * 5, truth), 5.0, delta=0.5)


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="ms-test-eval-")
        cls.data = os.path.join(cls.tmp.name, "data")
        cls.rates = make_data(cls.data)
        cls.out = os.path.join(cls.tmp.name, "out")
        cls.cache = os.path.join(cls.tmp.name, "cache")
        subprocess.run([sys.executable, os.path.join(EVAL, "eval_baselines.py"), "--data", cls.data, "--out", cls.out,
                        "--cache", cls.cache, "--max-order", "4", "--nb-k", "3,4", "--lm-window", "2000"],
                       check=True, stderr=subprocess.DEVNULL)
        cls.base = read_json(os.path.join(cls.out, "baselines.json"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def eval_model(self, model, *extra):
        return subprocess.run([sys.executable, os.path.join(EVAL, "eval_model.py"), "--model", model, "--cli",
                               os.environ["CLI"], "--data", self.data, "--cache", self.cache, "--out", self.out,
                               "--lm-window", "2000", "--lm-windows", "2", "--cls-windows", "4,1",
                               "--work", os.path.join(self.tmp.name, "work"), *extra],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def test_markov_finds_the_chains(self):
        for label, rate in zip(LABELS, self.rates):
            own = self.base["markov"]["per_species"][label]
            self.assertGreaterEqual(own["order"], 2, label)
            # 15,000 test bases: the estimate's own spread is about 0.01 bits; smoothing costs a little
            self.assertLess(abs(own["test_bits_per_base"] - rate), 0.03, label)
        self.assertEqual(self.base["markov"]["per_species"][LABELS[1]]["bases"], 15000 - 100)

    def test_naive_bayes_separates_the_chains(self):
        for n in ("1000", "10000"):
            r = self.base["naive_bayes"]["windows"][n]["raw"]
            self.assertEqual(sum(map(sum, r["confusion"])), r["windows"])
        self.assertGreater(self.base["naive_bayes"]["windows"]["1000"]["raw"]["accuracy"], 0.9)
        self.assertEqual(self.base["naive_bayes"]["windows"]["1000"]["raw"]["windows_per_class"][LABELS[1]], 14)

    def test_model_through_the_cli(self):
        model = os.path.join(self.tmp.name, "model")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "fixtures", "add_head.py"), FIXTURE, model,
                        "--labels", ",".join(reversed(LABELS))], check=True)
        p = self.eval_model(model, "--name", "fixture")
        self.assertEqual(p.returncode, 0, p.stderr)
        res = read_json(os.path.join(self.out, "fixture.json"))
        self.assertEqual(res["lm"]["per_species"][LABELS[0]]["bases"], 2 * 1999)
        # the same two windows through `forward`: log2 of the next-base probabilities over A C G T
        work = os.path.join(self.tmp.name, "work")
        bits, n = 0.0, 0
        with open(os.path.join(model, "tokenizer_config.json")) as f:
            tok = json.load(f).get("characters", list("ACGTN"))
        acgt = [7 + tok.index(b) for b in "ACGT"]
        seqs = {}
        with open(os.path.join(work, "lm.fa")) as f:
            for line in f:
                if line.startswith(">"):
                    name = line[1:].strip()
                    seqs[name] = ""
                else:
                    seqs[name] += line.strip()
        for name in list(seqs)[:2]:                      # the first species' two windows
            npy = os.path.join(self.tmp.name, "logits.npy")
            subprocess.run([os.environ["CLI"], "forward", "--model", model, "--fasta", os.path.join(work, "lm.fa"),
                            "--record", name, "--logits", npy], check=True, stdout=subprocess.DEVNULL)
            logits = np.load(npy).astype(np.float64)[:, acgt]                  # [L, 4]
            logp = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) \
                - logits.max(1, keepdims=True)
            obs = np.array(["ACGT".index(c) for c in seqs[name]])
            bits -= logp[np.arange(len(obs) - 1), obs[1:]].sum() / np.log(2)  # logits at i predict base i + 1
            n += len(obs) - 1
        # the loglik track is stored as float16: 2^-11 relative error a value
        self.assertAlmostEqual(res["lm"]["per_species"][LABELS[0]]["model"], bits / n, delta=1e-3 * bits / n)
        c = res["classification"]["1000"]
        self.assertEqual(c["model"]["windows"], 12)
        self.assertEqual(sum(map(sum, c["model"]["confusion"])), 12)
        self.assertEqual(c["model"]["labels"], LABELS)
        with open(os.path.join(self.out, "fixture.md")) as f:
            self.assertIn("| **mean over species** |", f.read())

    def test_model_with_other_labels_is_refused(self):
        p = self.eval_model(os.path.join(ROOT, "tests", "data", "fixtures", "tied_k4_s16_head"), "--name", "wrong")
        self.assertEqual(p.returncode, 1)
        self.assertIn("are not the data's species", p.stderr)
        self.assertIn("missing: ['Alpha one', 'Beta two', 'Gamma three']", p.stderr)


if __name__ == "__main__":
    unittest.main()
