"""A Mamba language model in plain PyTorch, with the parameter names of Hugging Face's
`MambaForCausalLM`, so the weights it saves load in MambaScope's engine unchanged.

The GPU image has no mamba_ssm kernels, and a loop over positions in Python is far too slow to
train, so the selective scan runs as a parallel prefix scan: the recurrence
h[t] = a[t] * h[t-1] + b[t] composes associatively, (a1, b1) then (a2, b2) = (a1 a2, a2 b1 + b2),
and log2(T) doubling steps solve a chunk of T positions at once. Only multiplications of
decays in (0, 1] appear, never exp of a cumulative sum, so it cannot overflow however strong the
decay. On a GPU, scan_cuda.py's kernels replace it (same results, far less memory traffic). Chunks are chained by a short loop carrying the state, and each layer is recomputed in the
backward pass (activation checkpointing) so memory stays bounded by one layer's scan tensors.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as ckpt

import scan_cuda

# Token ids of MambaScope's character tokenizer (engine/tokenizer.h): 7 special ids first, then
# tokenizer_config.json's characters A C G T N from id 7; the vocabulary is padded to 16.
BASE_IDS = (7, 8, 9, 10)
N_ID = 11
VOCAB = 16


def scan_chunk(a, b, h0):
    """h[t] = a[t] h[t-1] + b[t] for t in [0, T), h[-1] = h0. a, b: [B, T, D, N]; h0: [B, D, N]."""
    T = a.shape[1]
    off = 1
    while off < T:
        # Each position absorbs the segment ending `off` before it; positions < off have none.
        b = torch.cat([b[:, :off], b[:, off:] + a[:, off:] * b[:, :-off]], dim=1)
        a = torch.cat([a[:, :off], a[:, off:] * a[:, :-off]], dim=1)
        off *= 2
    # Now a[t] is the product of decays over [0, t] and b[t] the state from a zero start.
    return b + a * h0.unsqueeze(1)


def selective_scan(u, delta, A, B, C, D, h0=None, chunk=64):
    """The Mamba selective scan in fp32. u, delta: [B, L, Di]; A: [Di, N]; B, C: [B, L, N]; D: [Di].
    Returns y [B, L, Di] and the final state [B, Di, N]."""
    Bsz, L, Di = u.shape
    N = A.shape[1]
    if h0 is None:
        h0 = u.new_zeros(Bsz, Di, N)
    ys = []
    h = h0
    for s in range(0, L, chunk):
        e = min(L, s + chunk)
        dt = delta[:, s:e].unsqueeze(-1)                       # [B, T, Di, 1]
        a = torch.exp(dt * A)                                   # [B, T, Di, N]
        b = dt * B[:, s:e].unsqueeze(2) * u[:, s:e].unsqueeze(-1)
        hs = scan_chunk(a, b, h)                                # [B, T, Di, N]
        ys.append(torch.einsum("btdn,btn->btd", hs, C[:, s:e]))
        h = hs[:, -1]
    y = torch.cat(ys, dim=1) + u * D
    return y, h


def selective_scan_reference(u, delta, A, B, C, D):
    """The plain loop over positions, for tests of the parallel form."""
    Bsz, L, Di = u.shape
    h = u.new_zeros(Bsz, Di, A.shape[1])
    ys = []
    for t in range(L):
        dt = delta[:, t].unsqueeze(-1)
        h = torch.exp(dt * A) * h + dt * B[:, t].unsqueeze(1) * u[:, t].unsqueeze(-1)
        ys.append((h * C[:, t].unsqueeze(1)).sum(-1))
    return torch.stack(ys, dim=1) + u * D, h


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight).to(x.dtype)


class Mixer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dm, di, ds, r, k = cfg["hidden_size"], cfg["intermediate_size"], cfg["state_size"], cfg["time_step_rank"], cfg["conv_kernel"]
        self.di, self.ds, self.r, self.k = di, ds, r, k
        self.chunk = 128   # positions per parallel-scan chunk (speed only; the result is the same)
        self.in_proj = nn.Linear(dm, 2 * di, bias=False)
        self.conv1d = nn.Conv1d(di, di, k, groups=di, padding=k - 1, bias=True)
        self.x_proj = nn.Linear(di, r + 2 * ds, bias=False)
        self.dt_proj = nn.Linear(r, di, bias=True)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, ds + 1, dtype=torch.float32)).repeat(di, 1))
        self.D = nn.Parameter(torch.ones(di))
        self.out_proj = nn.Linear(di, dm, bias=False)
        # dt initialised as in the Mamba paper: softplus(bias) log-uniform in [1e-3, 1e-1].
        dt = torch.exp(torch.rand(di) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3)).clamp(min=1e-4)
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))
            nn.init.uniform_(self.dt_proj.weight, -r ** -0.5, r ** -0.5)

    def forward(self, x):
        L = x.shape[1]
        xz = self.in_proj(x)
        u, z = xz.chunk(2, dim=-1)
        u = F.silu(self.conv1d(u.transpose(1, 2))[..., :L].transpose(1, 2))
        proj = self.x_proj(u)
        dt, Bm, Cm = proj.split([self.r, self.ds, self.ds], dim=-1)
        delta = F.softplus(self.dt_proj(dt).float())
        A = -torch.exp(self.A_log.float())
        if scan_cuda.usable(u, self.ds):
            y = scan_cuda.selective_scan_cuda(u.float(), delta, A, Bm.float(), Cm.float(), self.D.float())
        else:
            y, _ = selective_scan(u.float(), delta, A, Bm.float(), Cm.float(), self.D.float(), chunk=self.chunk)
        y = y * F.silu(z.float())
        return self.out_proj(y.to(x.dtype))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm = RMSNorm(cfg["hidden_size"], cfg["layer_norm_epsilon"])
        self.mixer = Mixer(cfg)

    def forward(self, residual):
        # residual_in_fp32: the residual stream stays fp32 whatever the compute precision.
        return residual + self.mixer(self.norm(residual)).float()


class MambaLM(nn.Module):
    def __init__(self, cfg, checkpoint_layers=True):
        super().__init__()
        self.cfg = cfg
        self.embeddings = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg["num_hidden_layers"]))
        self.norm_f = RMSNorm(cfg["hidden_size"], cfg["layer_norm_epsilon"])
        self.checkpoint_layers = checkpoint_layers
        nn.init.normal_(self.embeddings.weight, std=0.02)
        # Scale the output projections down with depth (GPT-2/Mamba's prenorm residual rescale).
        for blk in self.layers:
            nn.init.kaiming_uniform_(blk.mixer.out_proj.weight, a=math.sqrt(5))
            with torch.no_grad():
                blk.mixer.out_proj.weight /= math.sqrt(cfg["num_hidden_layers"])

    def hidden(self, tokens):
        """Final hidden states after norm_f, [B, L, d_model] (fp32)."""
        h = self.embeddings(tokens).float()
        for blk in self.layers:
            if self.checkpoint_layers and self.training:
                h = ckpt.checkpoint(blk, h, use_reentrant=False)
            else:
                h = blk(h)
        return self.norm_f(h)

    def forward(self, tokens):
        """Logits [B, L, vocab]: the LM head is tied to the embedding."""
        h = self.hidden(tokens)
        return h @ self.embeddings.weight.t().to(h.dtype)


def hf_config(d_model, n_layer, d_state=16, d_conv=4, expand=2):
    """A config.json for `MambaForCausalLM`, with MambaScope's vocabulary."""
    return {
        "architectures": ["MambaForCausalLM"],
        "model_type": "mamba",
        "hidden_size": d_model,
        "intermediate_size": expand * d_model,
        "state_size": d_state,
        "num_hidden_layers": n_layer,
        "conv_kernel": d_conv,
        "expand": expand,
        "time_step_rank": math.ceil(d_model / 16),
        "vocab_size": VOCAB,
        "layer_norm_epsilon": 1e-5,
        "use_bias": False,
        "use_conv_bias": True,
        "residual_in_fp32": True,
        "tie_word_embeddings": True,
        "hidden_act": "silu",
        "pad_token_id": 4,
        "bos_token_id": 2,
        "eos_token_id": 1,
        "torch_dtype": "float32",
    }


def hf_state_dict(model):
    """Parameter names as `MambaForCausalLM` has them (backbone.*; the tied lm_head is implied)."""
    out = {}
    for name, t in model.state_dict().items():
        out["backbone." + name] = t.detach().float().contiguous().cpu()
    return out
