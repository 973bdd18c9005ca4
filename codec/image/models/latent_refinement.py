"""Encoder-side latent refinement: spend encode time to lower the rate-distortion cost.

The analysis transform g_a is an amortised guess of the best latent for an image. Starting from
that guess, a few Adam steps on y itself minimise the model's training objective
(bits + lambda * 255^2 * MSE, lambda scaled by LAMBDA_SCALE, see there) for this one image
(Campos et al. 2019; Yang et al. 2020). Only the
encoder changes: the stream format, the decoder and its bits are untouched, so refined streams
decode with any strata that knows the model.

The hyper-latent z is coded from g_a's latent and kept: the scales and means of y then come from
the integer-exact hyper-synthesis once, and the refinement moves y against fixed entropy
parameters (the rounding offsets the decoder will use are known exactly).

Objective per step, as the model was trained (mixed quantization): the rate from y with uniform
noise (a smooth surrogate), the distortion from y rounded around its mean (what the decoder will
see, straight-through gradient). The noise surrogate drifts if followed too long, so every step
also scores the latent with hard rounding (the real objective) and the best latent seen is kept:
refinement never returns a latent that scores worse than g_a's.

Determinism: every operation in the loop gives the same bits whatever the thread count: the
synthesis in its sub-pixel bfloat16 form (subpixel.py; oneDNN's transposed convolutions, and the
backward pass of strided ones, would not), elementwise likelihoods, Adam, noise from a seeded
generator, and scores summed in float64. (The g_a and h_a that produce the starting point are
the float32 ones effort 0 uses.)

Memory: large latents are refined window by window (WINDOW latent pixels plus a HALO of context
on each side), so peak memory does not grow with the image.
"""
from __future__ import annotations

import math

import torch

from .compressai_parts import likelihood, quantize_ste
from .subpixel import for_inference

EFFORT_STEPS = (0, 12, 40)  # Adam steps per window, indexed by --effort
LEARNING_RATE = 5e-3  # peak; cosine decay to zero over the steps
WINDOW = 48  # latent pixels (768 image pixels): a Kodak image is one window
HALO = 4  # latent pixels of context around a window (g_s's receptive field is ~2)
SEED = 0
# Refinement minimises bits + LAMBDA_SCALE * lambda * 255^2 * SSE. At the model's own lambda it
# drifts to ~8% higher rates, where the gain at equal rate is smaller; at 0.4x the rate stays
# within ~2% of effort 0 and the whole gain goes to quality (Kodak, hyperprior-*-3: +0.28 dB
# at equal rate against +0.20 dB at 1x, effort 2).
LAMBDA_SCALE = 0.4


def _y_bits(model, y_values, scales, means):
    """Bits of y at these values (rounded: the real rate; noisy: the surrogate), summed in
    float64: a float32 sum's rounding depends on the thread count."""
    lik = likelihood(model.gaussian_conditional, y_values, scales, means)
    return -torch.log2(lik).double().sum()


def _refine_window(model, synthesis, x, y, scales, means, valid, lmbda, steps, seed):
    """Refine one window's latent y against fixed scales and means (x: its image pixels;
    valid: 1 on real image pixels, 0 on padding)."""
    gen = torch.Generator().manual_seed(seed)
    n_pix = max(float(valid.sum()), 1.0)
    y = y.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([y], lr=LEARNING_RATE)
    best_cost, best_y = math.inf, None  # step 0 scores g_a's latent, so best_y is always set
    for step in range(steps + 1):  # the last pass only scores the final latent
        y_hat = quantize_ste(y - means) + means
        x_hat = synthesis(y_hat.contiguous(memory_format=torch.channels_last))
        sse = ((x_hat - x) ** 2 * valid).double().sum()
        with torch.no_grad():  # the real objective of this latent (z's bits are fixed)
            cost = float(_y_bits(model, y_hat, scales, means) + lmbda * 255**2 * sse) / n_pix
            if cost < best_cost:
                best_cost, best_y = cost, y.detach().clone()
        if step == steps:
            break
        y_noisy = y + torch.rand(y.shape, generator=gen) - 0.5
        loss = (_y_bits(model, y_noisy, scales, means) + lmbda * 255**2 * sse) / n_pix
        for group in opt.param_groups:
            group["lr"] = LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * step / steps))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return best_y


def _spans(size: int):
    """(start, end, context start, context end) of each window along one latent axis."""
    for start in range(0, size, WINDOW):
        end = min(start + WINDOW, size)
        yield start, end, max(start - HALO, 0), min(end + HALO, size)


def refine_latent(model, x: torch.Tensor, y: torch.Tensor, scales: torch.Tensor, means: torch.Tensor,
                  lmbda: float, steps: int, height: int, width: int) -> torch.Tensor:
    """x: 1x3xHxW padded image; y: g_a(x); scales, means: y's entropy parameters from the coded
    z; height, width: the real image inside the padding; lmbda: the model's training lambda.
    Returns a latent of y's shape with a lower rate-distortion cost (steps: Adam steps per
    window; 0 returns y)."""
    if steps <= 0:
        return y
    lmbda = lmbda * LAMBDA_SCALE
    stride = x.shape[-1] // y.shape[-1]
    synthesis = for_inference(model.g_s, torch.bfloat16)
    x = x.float().contiguous()
    out = y.detach().float().clone()
    rows = torch.arange(x.shape[-2]).view(-1, 1) < height
    cols = torch.arange(x.shape[-1]).view(1, -1) < width
    valid = (rows & cols).float()[None, None]
    with torch.enable_grad():
        for i, (t0, t1, a0, a1) in enumerate(_spans(y.shape[-2])):
            for j, (l0, l1, b0, b1) in enumerate(_spans(y.shape[-1])):
                lat = (..., slice(a0, a1), slice(b0, b1))
                px = (..., slice(a0 * stride, a1 * stride), slice(b0 * stride, b1 * stride))
                refined = _refine_window(model, synthesis, x[px], out[lat], scales[lat], means[lat],
                                         valid[px], lmbda, steps, SEED + 1000 * i + j)
                out[..., t0:t1, l0:l1] = refined[..., t0 - a0:t1 - a0, l0 - b0:l1 - b0]
    return out
