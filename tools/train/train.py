#!/usr/bin/env python3
"""Trains a MambaScope DNA model: a Mamba next-base language model on the ten genomes packed by
prepare_data.py, then a species classifier head on its mean-pooled embeddings, and saves both in
the model folder layout MambaScope's engine loads (config.json, model.safetensors,
tokenizer_config.json), with a training log and a conformance reference (PyTorch's logits on a
fixed input, which a test compares with our engine's).

    tools/train/train.py --data .deps/train --out OUT --d-model 128 --layers 8 --minutes 8

Runs on the GPU machine (PyTorch with CUDA); on a CPU it runs too, slowly (for testing the script).
Everything is driven by a wall-clock budget: the learning rate follows a cosine over --minutes and
the window length grows through --lengths in equal parts of it, so a run is reproducible in
duration rather than in steps (the log records the steps and tokens it reached).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamba_torch import BASE_IDS, MambaLM, hf_config, hf_state_dict  # noqa: E402
from packed_data import Corpus  # noqa: E402
from safetensors_io import save_safetensors  # noqa: E402

# The head's training windows (bases, log-uniform between): config.json's min_length is the first,
# so classify can say which items are shorter than any the head saw.
HEAD_MIN_LENGTH, HEAD_MAX_LENGTH = 500, 12000

LOG2E = 1.0 / math.log(2.0)


def base_logprobs(logits):
    """log P over A/C/G/T, renormalised over the four bases as the engine's tracks are."""
    return F.log_softmax(logits[..., BASE_IDS[0]:BASE_IDS[3] + 1].float(), dim=-1)


def lm_loss(model, tokens):
    """Mean negative log-likelihood (nats) of each next base that is A/C/G/T, and its count."""
    logp = base_logprobs(model(tokens[:, :-1]))
    target = tokens[:, 1:] - BASE_IDS[0]
    mask = (target >= 0) & (target < 4)
    nll = -logp.gather(-1, target.clamp(0, 3).unsqueeze(-1)).squeeze(-1)
    n = mask.sum()
    return (nll * mask).sum() / n.clamp(min=1), n


@torch.no_grad()
def evaluate_lm(model, corpus, length, per_species, gen, amp):
    """Held-out bits per base per species on `per_species` windows of `length` (fixed by `gen`)."""
    model.eval()
    out = {}
    for s, label in enumerate(corpus.labels):
        seq = corpus.seqs[s]
        total, count = 0.0, 0
        for _ in range(per_species):
            start = int(gen.integers(0, max(1, len(seq) - length)))
            tokens = corpus.map[seq[start:start + length]].unsqueeze(0)
            with amp():
                loss, n = lm_loss(model, tokens)
            total += float(loss) * int(n)
            count += int(n)
        out[label] = total / max(count, 1) * LOG2E
    model.train()
    return out


def pooled(model, tokens):
    """Mean of the final hidden states over each window: the engine's 'mean' pooling."""
    return model.hidden(tokens).float().mean(dim=1)


def train_lm(model, corpus, args, amp, log):
    params_decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "A_log" not in n and "embeddings" not in n]
    params_rest = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "A_log" not in n and "embeddings" not in n)]
    opt = torch.optim.AdamW([{"params": params_decay, "weight_decay": 0.1}, {"params": params_rest, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    gen = np.random.default_rng(args.seed)
    lengths = [int(x) for x in args.lengths.split(",")]
    budget = args.minutes * 60.0
    t0 = time.time()
    step, tokens_seen, ema = 0, 0, None
    while True:
        frac = (time.time() - t0) / budget
        if frac >= 1.0:
            break
        length = lengths[min(len(lengths) - 1, int(frac * len(lengths)))]
        batch = max(1, args.batch_tokens // length)
        warm = min(1.0, (step + 1) / args.warmup)
        lr = args.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        tokens, _ = corpus.windows(batch, length + 1, gen)
        with amp():
            loss, n = lm_loss(model, tokens)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens_seen += batch * length
        bits = float(loss) * LOG2E
        ema = bits if ema is None else 0.98 * ema + 0.02 * bits
        if step % args.log_every == 0:
            el = time.time() - t0
            log(f"lm step {step:6d}  len {length:5d}  lr {lr:.2e}  bits/base {ema:.4f}  "
                f"{tokens_seen / el / 1e3:8.1f} kbases/s  {el:6.0f} s")
    return {"steps": step, "bases": tokens_seen, "seconds": time.time() - t0, "final_train_bits_ema": ema}


def train_head(model, corpus, val, args, amp, log):
    """A linear softmax head on frozen mean-pooled embeddings; species drawn uniformly."""
    n_cls = len(corpus.labels)
    dm = model.cfg["hidden_size"]
    head = torch.nn.Linear(dm, n_cls).to(args.device_t)
    opt = torch.optim.AdamW(head.parameters(), lr=args.head_lr, weight_decay=1e-4)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    uniform = np.full(n_cls, 1.0 / n_cls)
    saved = corpus.weights
    corpus.weights = uniform
    gen = np.random.default_rng(args.seed + 1)
    t0 = time.time()
    step = 0
    budget = args.head_minutes * 60.0
    while time.time() - t0 < budget:
        # Window lengths from 500 bp to 12 kbp, log-uniform: the head serves 1 kbp and 10 kbp
        # windows and whole reads with one set of weights.
        length = int(round(math.exp(gen.uniform(math.log(HEAD_MIN_LENGTH), math.log(HEAD_MAX_LENGTH)))))
        batch = max(4, min(256, args.head_batch_tokens // length))
        tokens, species = corpus.windows(batch, length, gen)
        with torch.no_grad(), amp():
            x = pooled(model, tokens)
        loss = F.cross_entropy(head(x), species)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % args.log_every == 0:
            log(f"head step {step:5d}  len {length:5d}  loss {float(loss):.4f}  {time.time() - t0:5.0f} s")
    corpus.weights = saved
    result = {"steps": step, "seconds": time.time() - t0}
    for length in (1000, 10000):
        correct, total = 0, 0
        g = np.random.default_rng(7)
        for s in range(n_cls):
            seq = val.seqs[s]
            for _ in range(args.eval_windows):
                start = int(g.integers(0, max(1, len(seq) - length)))
                tokens = val.map[seq[start:start + length]].unsqueeze(0)
                with torch.no_grad(), amp():
                    pred = int(head(pooled(model, tokens)).argmax(-1))
                correct += pred == s
                total += 1
        result[f"validation_accuracy_{length}"] = correct / total
        log(f"head validation accuracy at {length} bp: {correct / total:.3f} ({total} windows)")
    return head, result


def conformance_reference(model, corpus, out_dir, amp_off):
    """A fixed input (4,000 bases of the E. coli validation split) and PyTorch's fp32 logits on it."""
    s = corpus.labels.index("Escherichia coli")
    codes = corpus.seqs[s][:4000].cpu().numpy()
    ref = os.path.join(out_dir, "conformance")
    os.makedirs(ref, exist_ok=True)
    with open(os.path.join(ref, "input.fa"), "w") as f:
        f.write(">ecoli_validation_0_4000\n")
        seq = "".join("ACGTN"[c] for c in codes)
        for i in range(0, len(seq), 70):
            f.write(seq[i:i + 70] + "\n")
    model.eval()
    # Plain fp32: TF32 matrix products would put ~4e-4 relative noise into the reference.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    with torch.no_grad():
        tokens = corpus.map[corpus.seqs[s][:4000]].unsqueeze(0)
        logits = model(tokens)[0].float().cpu().numpy()
        hidden = model.hidden(tokens)[0].float().cpu().numpy()
    np.save(os.path.join(ref, "logits.npy"), logits)
    np.save(os.path.join(ref, "hidden.npy"), hidden)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=".deps/train")
    ap.add_argument("--out", required=True)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=8.0, help="wall-clock budget of the LM stage")
    ap.add_argument("--head-minutes", type=float, default=1.0)
    ap.add_argument("--lengths", default="1024,2048,4096,8192", help="window lengths, each for an equal part of the budget")
    ap.add_argument("--batch-tokens", type=int, default=65536)
    ap.add_argument("--head-batch-tokens", type=int, default=262144)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--head-lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--chunk", type=int, default=128, help="positions per parallel-scan chunk")
    ap.add_argument("--eval-windows", type=int, default=16)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--save-dtype", choices=["F32", "BF16"], default="F32",
                    help="BF16 halves the file; the weights are rounded first, so the reference matches them")
    ap.add_argument("--compile", action="store_true", help="torch.compile each layer's mixer (PyTorch 2)")
    ap.add_argument("--name", default=None, help="model name for the log (default: the output folder's name)")
    args = ap.parse_args()
    args.device_t = torch.device(args.device)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    log_lines = []

    def log(msg):
        print(msg, flush=True)
        log_lines.append(msg)

    use_bf16 = args.device_t.type == "cuda"
    amp = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if use_bf16 else (lambda: torch.autocast("cpu", enabled=False))
    if use_bf16:
        torch.backends.cuda.matmul.allow_tf32 = True

    cfg = hf_config(args.d_model, args.layers)
    model = MambaLM(cfg).to(args.device_t)
    for blk in model.layers:
        blk.mixer.chunk = args.chunk
        if args.compile:
            blk.mixer.forward = torch.compile(blk.mixer.forward, dynamic=True)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model d_model {args.d_model} x {args.layers} layers: {n_params:,} parameters; device {args.device}"
        + (f" ({torch.cuda.get_device_name()})" if use_bf16 else "") + f"; torch {torch.__version__}")
    train = Corpus(args.data, "train", args.device_t)
    val = Corpus(args.data, "validation", args.device_t)

    lm = train_lm(model, train, args, amp, log)
    val_bits = evaluate_lm(model, val, 8192, args.eval_windows, np.random.default_rng(5), amp)
    for k, v in val_bits.items():
        log(f"validation bits/base  {k:36s} {v:.4f}")
    log(f"validation bits/base  mean over species {np.mean(list(val_bits.values())):.4f}")
    head, head_result = train_head(model, train, val, args, amp, log)

    labels = train.labels
    if args.save_dtype == "BF16":
        with torch.no_grad():
            for p in list(model.parameters()) + list(head.parameters()):
                p.copy_(p.to(torch.bfloat16).float())
    cfg["mambascope_heads"] = [{"name": "species", "labels": labels, "pooling": "mean", "min_length": HEAD_MIN_LENGTH,
                                "windows": [1000, 10000], "note": "trained on windows of 0.5-12 kbp; also for whole reads"}]
    tensors = hf_state_dict(model)
    tensors["species.weight"] = head.weight.detach().float().cpu()
    tensors["species.bias"] = head.bias.detach().float().cpu()
    save_safetensors(os.path.join(args.out, "model.safetensors"), tensors,
                     metadata={"format": "pt", "producer": "MambaScope tools/train/train.py"}, dtype=args.save_dtype)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump({"characters": ["A", "C", "G", "T", "N"], "model_max_length": 2 ** 31 - 1}, f, indent=2)
        f.write("\n")
    conformance_reference(model, val, args.out, amp)
    report = {"name": args.name or os.path.basename(os.path.normpath(args.out)), "parameters": n_params,
              "args": {k: v for k, v in vars(args).items() if k != "device_t"},
              "torch": torch.__version__, "device": torch.cuda.get_device_name() if use_bf16 else "cpu",
              "lm": lm, "validation_bits_per_base": val_bits, "head": head_result, "log": log_lines}
    with open(os.path.join(args.out, "training_log.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    log(f"saved to {args.out}")


if __name__ == "__main__":
    main()
