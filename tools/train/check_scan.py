#!/usr/bin/env python3
"""Checks the parallel selective scan of mamba_torch.py against the plain loop (values and
gradients), over lengths that are and are not chunk multiples and strong decays. Exits 1 on a
mismatch.  tools/train/check_scan.py [--device cuda]"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamba_torch import selective_scan, selective_scan_reference  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    torch.manual_seed(0)
    worst = 0.0
    cases = [(2, 1, 8, 4, 4, 0.1), (2, 37, 8, 16, 8, 0.1), (1, 200, 16, 16, 64, 0.1), (3, 130, 4, 4, 128, 0.1),
             (2, 96, 8, 16, 32, 30.0)]   # the last: decays of e^-30 and stronger a step
    for (B, L, D, N, chunk, dt_scale) in cases:
        dev = a.device
        u = torch.randn(B, L, D, device=dev, dtype=torch.float64, requires_grad=True)
        delta = (torch.rand(B, L, D, device=dev, dtype=torch.float64) * dt_scale).requires_grad_()
        A = -torch.exp(torch.randn(D, N, device=dev, dtype=torch.float64)).requires_grad_()
        Bm = torch.randn(B, L, N, device=dev, dtype=torch.float64, requires_grad=True)
        Cm = torch.randn(B, L, N, device=dev, dtype=torch.float64, requires_grad=True)
        Dv = torch.randn(D, device=dev, dtype=torch.float64, requires_grad=True)
        inputs = (u, delta, A, Bm, Cm, Dv)
        y1, h1 = selective_scan(*inputs, chunk=chunk)
        y2, h2 = selective_scan_reference(*inputs)
        g1 = torch.autograd.grad((y1 ** 2).sum() + h1.sum(), inputs)
        g2 = torch.autograd.grad((y2 ** 2).sum() + h2.sum(), inputs)
        for x, y in [(y1, y2), (h1, h2)] + list(zip(g1, g2)):
            if not torch.isfinite(x).all():
                print("non-finite values", file=sys.stderr)
                return 1
            err = float((x - y).detach().abs().max() / (y.abs().max() + 1e-12))
            worst = max(worst, err)
        print(f"B {B} L {L:4d} D {D:3d} N {N:3d} chunk {chunk:4d} dt*{dt_scale:<5}: ok")
    print(f"worst relative error {worst:.2e}")
    if worst >= 1e-9:
        return 1
    if a.device.startswith("cuda"):
        return check_cuda_kernels(a.device)
    return 0


def check_cuda_kernels(dev):
    """scan_cuda's kernels (fp32) against the fp64 loop: values and every gradient."""
    from scan_cuda import selective_scan_cuda
    worst = 0.0
    for (B, L, D, dt_scale) in [(2, 1, 128, 0.1), (3, 77, 256, 0.1), (2, 300, 128, 0.1), (1, 64, 128, 30.0)]:
        N = 16
        ref = [torch.randn(B, L, D, dtype=torch.float64), torch.rand(B, L, D, dtype=torch.float64) * dt_scale,
               -torch.exp(torch.randn(D, N, dtype=torch.float64)), torch.randn(B, L, N, dtype=torch.float64),
               torch.randn(B, L, N, dtype=torch.float64), torch.randn(D, dtype=torch.float64)]
        ref = [t.to(dev).requires_grad_() for t in ref]
        fast = [t.detach().float().requires_grad_() for t in ref]
        y1 = selective_scan_cuda(*fast)
        y2, _ = selective_scan_reference(*ref)
        w = torch.randn_like(y2)
        g1 = torch.autograd.grad((y1 * w.float()).sum(), fast)
        g2 = torch.autograd.grad((y2 * w).sum(), ref)
        for name, x, y in [("y", y1, y2)] + [("d" + k, p, q) for k, p, q in zip(["u", "delta", "A", "B", "C", "D"], g1, g2)]:
            if not torch.isfinite(x).all():
                print(f"CUDA scan: non-finite {name}", file=sys.stderr)
                return 1
            err = float((x.double() - y).abs().max() / (y.abs().max() + 1e-12))
            worst = max(worst, err)
            if err > 1e-4:
                print(f"CUDA scan: {name} relative error {err:.2e} at B {B} L {L} D {D}", file=sys.stderr)
                return 1
        print(f"CUDA B {B} L {L:4d} D {D:3d} dt*{dt_scale:<5}: ok")
    print(f"CUDA kernels: worst relative error {worst:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
