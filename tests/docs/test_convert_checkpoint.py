#!/usr/bin/python3
"""tools/models/convert_checkpoint.py, as docs/models.md tells users to run it, on real PyTorch
checkpoints made here with torch.save from the bundled models' weights: a transformers-layout
pytorch_model.bin with a tied lm_head (one storage), and a mamba_ssm-layout bfloat16 training
checkpoint wrapped in {'state_dict': {'model.…'}}. Each converted model must hold the bundled
weights bit for bit and give the bundled model's logits bit for bit through `mambascope-cli
forward` ($CLI); files that are not checkpoints of tensors must be refused with a message."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CONVERT = os.path.join(ROOT, "tools", "models", "convert_checkpoint.py")
MODELS = os.path.join(ROOT, "resources", "models")
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
from safetensors_io import load_safetensors_float32  # noqa: E402


def read_raw_safetensors(path):
    """name -> (dtype, shape, bytes), without converting: the dtype must survive the conversion."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"], raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]])
            for k, v in header.items()}


def convert(*args):
    return subprocess.run([CONVERT, *args], capture_output=True, text=True)


class ConvertCheckpoint(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cli = os.environ["CLI"]
        cls.tmp = tempfile.mkdtemp(prefix="ms_convert_")
        # 3 kbp of the lambda genome: long enough for every layer's state to matter, fast on the CPU.
        with open(os.path.join(ROOT, "resources", "demo", "lambda_virus.fa")) as f:
            lines = f.read().split("\n")
        cls.fasta = os.path.join(cls.tmp, "lambda3k.fa")
        with open(cls.fasta, "w") as f:
            f.write(">lambda3k\n" + "".join(lines[1:])[:3000] + "\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def logits(self, model, name):
        out = os.path.join(self.tmp, name + ".npy")
        r = subprocess.run([self.cli, "forward", "--model", model, "--fasta", self.fasta, "--logits", out,
                            "--threads", "1"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return np.load(out)

    def test_transformers_bin_with_tied_head(self):
        src = os.path.join(MODELS, "mambascope-dna-small")
        d = os.path.join(self.tmp, "hf")
        os.makedirs(d)
        w = {k: torch.from_numpy(v.copy()) for k, v in load_safetensors_float32(os.path.join(src, "model.safetensors")).items()}
        w["lm_head.weight"] = w["backbone.embeddings.weight"]   # tied: the same tensor, as save_pretrained pickles it
        torch.save(w, os.path.join(d, "pytorch_model.bin"))
        for f in ("config.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(src, f), d)

        r = convert(d)   # the one-liner of docs/models.md
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("84 tensors", r.stdout)
        self.assertIn("lm_head.weight is backbone.embeddings.weight (tied)", r.stdout)
        got = read_raw_safetensors(os.path.join(d, "model.safetensors"))
        want = read_raw_safetensors(os.path.join(src, "model.safetensors"))
        self.assertEqual(got, want)
        np.testing.assert_array_equal(self.logits(d, "hf"), self.logits(src, "small"))

        r = convert(d)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("exists; --force replaces it", r.stderr)
        self.assertEqual(convert(d, "--force").returncode, 0)

    def test_mamba_ssm_bf16_training_checkpoint(self):
        src = os.path.join(MODELS, "mambascope-dna-large")
        d = os.path.join(self.tmp, "ssm")
        os.makedirs(d)
        raw = read_raw_safetensors(os.path.join(src, "model.safetensors"))
        self.assertTrue(all(v[0] == "BF16" for v in raw.values()))
        w = {}
        for k, (_, shape, data) in raw.items():
            t = torch.frombuffer(bytearray(data), dtype=torch.int16).view(torch.bfloat16).reshape(shape)
            w["model." + k.replace("backbone.embeddings.", "backbone.embedding.")] = t
        torch.save({"state_dict": w, "epoch": 3}, os.path.join(d, "last.ckpt"))
        with open(os.path.join(src, "config.json")) as f:
            hf = json.load(f)
        with open(os.path.join(d, "config.json"), "w") as f:   # the same model in mamba_ssm's MambaConfig keys
            json.dump({"d_model": hf["hidden_size"], "n_layer": hf["num_hidden_layers"], "vocab_size": hf["vocab_size"],
                       "ssm_cfg": {"d_state": hf["state_size"], "d_conv": hf["conv_kernel"], "expand": hf["expand"],
                                   "dt_rank": hf["time_step_rank"]},
                       "rms_norm": True, "residual_in_fp32": True, "fused_add_norm": True,
                       "pad_vocab_size_multiple": 8, "tie_embeddings": True,
                       "mambascope_heads": hf["mambascope_heads"]}, f)
        shutil.copy(os.path.join(src, "tokenizer_config.json"), d)

        r = convert(os.path.join(d, "last.ckpt"), "--strip-prefix", "model.")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("(BF16)", r.stdout)
        got = read_raw_safetensors(os.path.join(d, "model.safetensors"))
        self.assertEqual(got, {k.replace("backbone.embeddings.", "backbone.embedding."): v for k, v in raw.items()})
        info = subprocess.run([self.cli, "info", d], capture_output=True, text=True)
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertIn("mamba_ssm", info.stdout)
        np.testing.assert_array_equal(self.logits(d, "ssm"), self.logits(src, "large"))

    def test_refuses_what_is_not_a_checkpoint_of_tensors(self):
        d = os.path.join(self.tmp, "bad")
        os.makedirs(d)
        r = convert(d)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no pytorch_model.bin or pytorch_model.bin.index.json in", r.stderr)

        torch.save({"weight": torch.zeros(2), "note": "trained on Monday"}, os.path.join(d, "pytorch_model.bin"))
        r = convert(d)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("entry 'note' is a str, not a tensor", r.stderr)

        # A pickle that would build an arbitrary object: weights_only refuses it before anything runs.
        torch.save({"weight": torch.zeros(2), "opt": unittest.TestCase}, os.path.join(d, "pytorch_model.bin"))
        r = convert(d)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cannot read", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "model.safetensors")))

        torch.save({"weight": torch.zeros(2, dtype=torch.int64)}, os.path.join(d, "pytorch_model.bin"))
        r = convert(d)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("tensor 'weight' is torch.int64", r.stderr)
        self.assertEqual([f for f in os.listdir(d) if f.startswith("model.safetensors")], [])

        # Messages, not tracebacks (found in review): an empty file, an index that is not an
        # object or not JSON, --out naming a folder.
        open(os.path.join(d, "pytorch_model.bin"), "wb").close()
        r = convert(d)
        self.assertIn("is empty (0 bytes)", r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        for text, message in (("[1, 2]", "has no 'weight_map'"), ('{"weight_map": {', "as JSON")):
            with open(os.path.join(d, "pytorch_model.bin.index.json"), "w") as f:
                f.write(text)
            r = convert(d)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(message, r.stderr)
            self.assertNotIn("Traceback", r.stderr)
        os.remove(os.path.join(d, "pytorch_model.bin.index.json"))
        torch.save({"weight": torch.zeros(2)}, os.path.join(d, "pytorch_model.bin"))
        r = convert(d, "--out", self.tmp, "--force")
        self.assertIn("is a folder; name the file to write", r.stderr)
        self.assertNotIn("Traceback", r.stderr)


if __name__ == "__main__":
    unittest.main()
