"""The student as it is shipped and decoded: integer g_a / g_s (integer_model.py) around the float
hyper path, entropy models and exact hyper-synthesis of the mean-scale hyperprior.

Encoding: pixels -> integer g_a -> y (exact fixed-point values) -> h_a, entropy coding (CPU).
Decoding: entropy decoding with the exact h_s (codec/image/models/exact.py) -> y_hat, whose
values have 8 fractional bits -> integer g_s -> pixels. Both transforms run on the torch backend
(float64 convolutions of integers, exact; integer_model.run) over tiles with a margin wider than
their receptive field, so tiling changes no bit and memory stays bounded. Nothing here needs
Brevitas: the shipped weights are already integers.
"""
from __future__ import annotations

import numpy as np
import torch

from codec.image.models.hyperprior import LATENT_STRIDE, MeanScaleHyperprior
from codec.image.models.tiling import tiled_apply

from .integer_model import Transform, run, to_pixels
from .quant import LATENT_FRAC_BITS

TILE = 512  # image pixels per tile side: at N=64 the int64 activations of a tile stay < 1 GB


class IntegerStudent(MeanScaleHyperprior):
    def __init__(self, N: int = 64, M: int = 192, hyper_N: int = 128):
        super().__init__(hyper_N, M)
        self.transform_N = N
        del self.g_a, self.g_s  # integer transforms instead (set_transforms)
        self.int_g_a: Transform | None = None
        self.int_g_s: Transform | None = None

    def set_transforms(self, g_a: Transform, g_s: Transform) -> None:
        g_a.check_exact()
        g_s.check_exact()
        self.int_g_a, self.int_g_s = g_a, g_s

    def prepare_coding(self) -> None:
        from codec.image.models.exact import ExactSequential
        self._coding = {"h_s": ExactSequential(self.h_s)}

    # ------------------------------------------------------------------ integer transforms
    def _run_transform(self, t: Transform, x_raw: torch.Tensor) -> torch.Tensor:
        """(1, C, H, W) raw integers (as float64) -> raw output of t (as float64)."""
        out = run(t, x_raw[0].numpy().astype(np.int64), backend="torch")
        return torch.from_numpy(out.astype(np.float64))[None]

    @torch.no_grad()
    def analyse(self, x: torch.Tensor) -> torch.Tensor:
        """x in [0, 1] (padded image, as codec.image.coding makes it) -> y, float32 (exact)."""
        raw = torch.round(x.double() * 255)  # the 8-bit pixel is the input's raw value
        y = tiled_apply(lambda t: self._run_transform(self.int_g_a, t), raw, scale=1 / LATENT_STRIDE, tile=TILE)
        return (y * 2.0 ** -self.int_g_a.layers[-1].out.frac_bits).float()

    @torch.no_grad()
    def synthesise_raw(self, y_hat: torch.Tensor) -> torch.Tensor:
        raw = torch.round(y_hat.double() * 2**LATENT_FRAC_BITS)  # exact: y_hat has 8 fraction bits
        return tiled_apply(lambda t: self._run_transform(self.int_g_s, t), raw, scale=LATENT_STRIDE, tile=TILE)

    def synthesise(self, y_hat: torch.Tensor) -> torch.Tensor:
        """The unclamped image in real units (tools); the codec decodes with `pixels`."""
        return (self.synthesise_raw(y_hat) * 2.0 ** -self.int_g_s.layers[-1].out.frac_bits).float()

    def pixels(self, y_hat: torch.Tensor) -> np.ndarray:
        """y_hat -> (3, H, W) uint8, exactly what the integer reference (and the FPGA) computes."""
        return to_pixels(self.synthesise_raw(y_hat)[0].numpy().astype(np.int64), self.int_g_s.layers[-1].out)
