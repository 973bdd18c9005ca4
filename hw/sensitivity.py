"""Hybrid quantization: which activations need 16 bits, by measured sensitivity.

Each activation point (quant.ACT_POINTS) is quantized to 8 bits alone, every other point at 16,
and the PSNR (and rate) the student loses against all-16 is measured (fake quantization, calibrated scales,
real validation crops). Points whose loss stays under a threshold go to int8 (half the memory and
bandwidth, and two products per DSP slice); the others stay int16. The chosen mix is measured
too, next to all-16 and all-8.
"""
from __future__ import annotations

import math

import torch

from .quant import ACT_POINTS, QuantStudent, calibrate


@torch.no_grad()
def _measure(state: dict, N: int, bits: dict, calib: torch.Tensor, val: torch.Tensor) -> dict:
    q = QuantStudent(N, bits=bits)
    q.load_float_student(state)
    calibrate(q, calib)
    q.eval()
    mse, bpp = [], []
    for x in val.split(2):
        out = q(x)
        mse.append(float(torch.mean((out["x_hat"].clamp(0, 1) - x) ** 2)))
        n = x.shape[0] * x.shape[2] * x.shape[3]
        bpp.append(float(sum(torch.log2(l).sum() for l in out["likelihoods"].values()) / -n))
    m = sum(mse) / len(mse)
    return {"psnr": 10 * math.log10(1 / m), "bpp": sum(bpp) / len(bpp)}


def choose_bits(state: dict, N: int, calib: torch.Tensor, val: torch.Tensor, threshold_db: float = 0.05,
                max_bpp_rise: float = 0.005, progress=print) -> dict:
    """{"bits": {point: 8|16}, "measured": {...}}: int8 where it alone costs less than
    threshold_db of PSNR and max_bpp_rise of rate (the encoder's points move the latent)."""
    all16 = {p: 16 for p in ACT_POINTS}
    base = _measure(state, N, all16, calib, val)
    progress(f"all int16: {base['psnr']:.3f} dB, {base['bpp']:.4f} bpp")
    loss, bits = {}, {}
    for p in ACT_POINTS:
        r = _measure(state, N, all16 | {p: 8}, calib, val)
        loss[p] = {"db": base["psnr"] - r["psnr"], "bpp_rise": r["bpp"] / base["bpp"] - 1}
        bits[p] = 8 if loss[p]["db"] < threshold_db and loss[p]["bpp_rise"] < max_bpp_rise else 16
        progress(f"{p} int8 alone: {-loss[p]['db']:+.3f} dB, {100 * loss[p]['bpp_rise']:+.2f}% bpp -> int{bits[p]}")
    mixed = _measure(state, N, bits, calib, val)
    all8 = _measure(state, N, {p: 8 for p in ACT_POINTS}, calib, val)
    progress(f"hybrid: {mixed['psnr']:.3f} dB; all int8: {all8['psnr']:.3f} dB")
    return {"bits": bits, "threshold_db": threshold_db,
            "measured": {"all16": base, "hybrid": mixed, "all8": all8, "int8_alone_loss_db": loss}}
