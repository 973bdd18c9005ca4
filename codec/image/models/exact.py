"""Integer-exact evaluation of the hyper-synthesis path.

Why: the hyper decoder decides the entropy-coding parameters (scale indexes and means). If its
floating-point result drifts by one ulp between encoder and decoder (another thread count, another
CPU, oneDNN on or off), a scale index can flip and the rest of the stream decodes to garbage.

How: weights are rounded to W_BITS fractional bits and activations to A_BITS fractional bits, so
every value is an integer times a power of two. Convolutions then run in float64 on
integer-valued tensors; every product and partial sum is an integer below 2**53, so the result is
exact whatever the summation order. After each layer the accumulator is rescaled by a power of two
(exact) and rounded with floor(x + 0.5) (exact). The output is therefore bit-identical on every
machine and thread count. The rounding error this adds (2**-8 on activations) is far below the
quantization step of the latents and costs nothing measurable in rate.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

W_BITS = 12  # fractional bits of weights
A_BITS = 8  # fractional bits of activations
# Largest accumulator magnitude allowed: values stay exact integers in float64 below 2**53.
_ACC_LIMIT = float(2**50)


def _round_half_up(x: torch.Tensor) -> torch.Tensor:
    return torch.floor(x + 0.5)


class ExactSequential:
    """A frozen, integer-exact copy of a Sequential of Conv2d / ConvTranspose2d / ReLU layers."""

    def __init__(self, seq: nn.Sequential):
        self.ops = []
        for layer in seq:
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                w = _round_half_up(layer.weight.detach().double() * 2**W_BITS)
                b = layer.bias.detach().double() if layer.bias is not None else torch.zeros(w.shape[0])
                b = _round_half_up(b * 2 ** (W_BITS + A_BITS))
                deconv = isinstance(layer, nn.ConvTranspose2d)
                # Largest sum of |w| feeding one output: bounds the accumulator (see __call__).
                wsum = float(w.abs().sum(dim=(0, 2, 3) if deconv else (1, 2, 3)).max())
                self.ops.append(("deconv" if deconv else "conv", w, b, layer.stride, layer.padding,
                                 getattr(layer, "output_padding", (0, 0)), wsum))
            elif isinstance(layer, nn.ReLU):
                self.ops.append(("relu",))
            else:
                raise TypeError(f"exact evaluation does not support {type(layer).__name__}")

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x: float tensor; returns float32 output computed exactly (a function of the input bits)."""
        a = _round_half_up(x.double() * 2**A_BITS)
        for op in self.ops:
            if op[0] == "relu":
                a = torch.clamp_min(a, 0.0)
                continue
            kind, w, b, stride, padding, out_pad, _ = op
            if kind == "conv":
                acc = F.conv2d(a, w, None, stride, padding)
            else:
                acc = F.conv_transpose2d(a, w, None, stride, padding, out_pad)
            # Bound every partial sum, not just the result: max|a| * sum|w| per output channel.
            if a.numel() and float(a.abs().max()) * op[6] + float(b.abs().max()) > _ACC_LIMIT:
                raise OverflowError("exact hyper path left its integer range")
            acc = acc + b.view(1, -1, 1, 1)
            a = _round_half_up(acc * 2.0**-W_BITS)
        return (a * 2.0**-A_BITS).float()
