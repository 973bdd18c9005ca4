"""Mean-scale hyperprior: Strata's single-rate image model.

Minnen et al. 2018 ("mean" variant, no autoregressive context), assembled from CompressAI's
layers and entropy models. It is the default single-rate codec, the teacher of the hardware
track and the starting point of the progressive model.

Data flow::

    x --g_a--> y --h_a--> z --[EntropyBottleneck]--> z_hat
                                                      |
                                                    h_s (integer-exact at coding time)
                                                      v
    x_hat <--g_s-- y_hat <--[GaussianConditional(scales, means)]-- y

Contract (as CompressAI's latent codecs): `forward` trains (noisy quantization, likelihoods),
`compress_latent` turns a latent into entropy-coded strings, `decompress_latent` turns them back
into the exact latent; `analyse` / `synthesise` are the transforms at coding time (tiled). Tensors
are padded to `STRIDE`; padding and the container live in `codec.image.coding` and
`codec.image.codecs`. The progressive model reuses this whole model as its base layer.
"""
from __future__ import annotations

from contextlib import nullcontext

import torch
from torch import nn

from ...errors import StrataError
from .compressai_parts import (GDN, CompressionModule, EntropyBottleneck, GaussianConditional,
                               default_scale_table, quantize_ste, z_medians)
from .exact import ExactSequential
from .rans_guard import max_string_bytes, padded
from .subpixel import for_inference
from .tiling import tiled_apply

STRIDE = 64  # total downsampling of g_a (16) times h_a (4)
LATENT_STRIDE = 16


def _conv(cin, cout, k=5, s=2):
    return nn.Conv2d(cin, cout, k, stride=s, padding=k // 2)


def _deconv(cin, cout, k=5, s=2):
    return nn.ConvTranspose2d(cin, cout, k, stride=s, padding=k // 2, output_padding=s - 1)


def analysis_transform(N: int, M: int) -> nn.Sequential:
    """g_a: image -> latent (stride 16), four convolutions with GDN."""
    return nn.Sequential(
        _conv(3, N), GDN(N), _conv(N, N), GDN(N), _conv(N, N), GDN(N), _conv(N, M))


def synthesis_transform(N: int, M: int) -> nn.Sequential:
    """g_s: latent -> image, mirror of analysis_transform with inverse GDN."""
    return nn.Sequential(
        _deconv(M, N), GDN(N, inverse=True), _deconv(N, N), GDN(N, inverse=True),
        _deconv(N, N), GDN(N, inverse=True), _deconv(N, 3))


SYNTHESIS_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def synthesis_dtype(name: str) -> torch.dtype:
    if name not in SYNTHESIS_DTYPES:
        raise ValueError(f"synthesis must be one of {sorted(SYNTHESIS_DTYPES)}")
    return SYNTHESIS_DTYPES[name]


def amp_context(x: torch.Tensor, autocast: bool):
    """bf16 autocast on x's device for the transforms, or nothing."""
    return torch.autocast(x.device.type, dtype=torch.bfloat16) if autocast else nullcontext()


def scale_indexes(gc: GaussianConditional, scales: torch.Tensor) -> torch.Tensor:
    """Index into the scale table of each std: same result as CompressAI's build_indexes (the
    count of table entries below the std, table end excluded), by binary search instead of 64
    full-tensor passes."""
    scales = gc.lower_bound_scale(scales).contiguous()
    return torch.searchsorted(gc.scale_table[:-1].contiguous(), scales).int()


class MeanScaleHyperprior(CompressionModule):
    """N: channels of the transforms; M: channels of the latent y; synthesis: the dtype g_s runs
    in at coding time ("float32", or "bfloat16": about twice as fast, see subpixel.py). It is an
    architecture argument because it decides the decoded bits."""

    def __init__(self, N: int = 128, M: int = 192, synthesis: str = "float32"):
        super().__init__()
        self.N, self.M = N, M
        self.synthesis_dtype = synthesis_dtype(synthesis)
        self.g_a = analysis_transform(N, M)
        self.g_s = synthesis_transform(N, M)
        self.h_a = nn.Sequential(
            _conv(M, N, 3, 1), nn.ReLU(), _conv(N, N), nn.ReLU(), _conv(N, N))
        # ReLU (not LeakyReLU) keeps h_s evaluable with exact integer arithmetic.
        self.h_s = nn.Sequential(
            _deconv(N, M), nn.ReLU(), _deconv(M, M * 3 // 2), nn.ReLU(), _conv(M * 3 // 2, 2 * M, 3, 1))
        self.entropy_bottleneck = EntropyBottleneck(N)
        self.gaussian_conditional = GaussianConditional(None)
        # Frozen coding-time forms, built by prepare_coding(); a plain dict keeps them out of
        # the state dict (they share or derive from the trained parameters).
        self._coding: dict = {}

    # ------------------------------------------------------------------ training
    def forward(self, x: torch.Tensor, autocast: bool = False, ste: bool = False) -> dict:
        """Training pass. With autocast, the transforms run in bf16; entropy models stay fp32.

        ste: "mixed quantization" (Minnen & Singh 2020): the rate still comes from noisy y, but
        g_s sees y rounded around its mean (straight-through gradient), exactly what the decoder
        will see, so the synthesis stops paying for the noise/rounding mismatch."""
        amp = amp_context(x, autocast)
        with amp:
            y = self.g_a(x)
            z = self.h_a(y)
        y, z = y.float(), z.float()
        z_hat, z_lik = self.entropy_bottleneck(z)
        with amp:
            params = self.h_s(z_hat)
        scales, means = params.float().chunk(2, 1)
        y_hat, y_lik = self.gaussian_conditional(y, scales, means=means)
        if ste:
            y_hat = quantize_ste(y - means) + means
        with amp:
            x_hat = self.g_s(y_hat)
        # y and z too: what distillation matches (hw/student.py)
        return {"x_hat": x_hat.float(), "likelihoods": {"y": y_lik, "z": z_lik}, "y": y, "z": z}

    @torch.no_grad()
    def decoded_latent(self, x: torch.Tensor, autocast: bool = False):
        """Training form of what the decoder rebuilds, for a frozen use of this model (the
        progressive base): (y_hat, scales). z is rounded around its medians, y around its means,
        as at coding time (the float h_s stands in for the exact one)."""
        amp = amp_context(x, autocast)
        with amp:
            y = self.g_a(x)
            z = self.h_a(y)
        eb = self.entropy_bottleneck
        z_hat = eb.quantize(z.float(), "dequantize", z_medians(eb))
        with amp:
            scales, means = self.h_s(z_hat).float().chunk(2, 1)
        return torch.round(y.float() - means) + means, scales

    def aux_loss(self) -> torch.Tensor:
        return self.entropy_bottleneck.loss()

    # ------------------------------------------------------------------ coding
    def update(self) -> None:
        """Build the entropy coders' CDF tables from the trained weights (once, at export).

        Shipped weights carry these tables; loading them never recomputes them, because a
        recomputation in floating point could differ between machines.
        """
        self.gaussian_conditional.update_scale_table(default_scale_table(), force=True)
        self.entropy_bottleneck.update(force=True)
        self.prepare_coding()

    def prepare_coding(self) -> None:
        """Freeze the integer-exact hyper-synthesis used by compress/decompress."""
        self.to(memory_format=torch.channels_last)
        self._coding = {"h_s": ExactSequential(self.h_s), "g_s": for_inference(self.g_s, self.synthesis_dtype)}

    def scale_indexes(self, scales: torch.Tensor) -> torch.Tensor:
        return scale_indexes(self.gaussian_conditional, scales)

    def entropy_parameters(self, z_hat: torch.Tensor):
        """Scales and means of y from z_hat, bit-identical on every machine (see exact.py)."""
        if not self._coding:
            raise RuntimeError("call update() or prepare_coding() before coding")
        scales, means = self._coding["h_s"](z_hat).chunk(2, 1)
        return scales, means

    @torch.no_grad()
    def compress_latent(self, y: torch.Tensor, refine=None):
        """Code a latent y: returns (z_string, y_string, z_shape, y_hat, scales) where y_hat and
        scales are exactly what decompress_latent will rebuild. refine(y, scales, means), if
        given, replaces y after z is coded (encoder effort, latent_refinement.py)."""
        z = self.h_a(y)
        z_strings = self.entropy_bottleneck.compress(z)
        z_hat = self.entropy_bottleneck.decompress(z_strings, z.shape[-2:])
        scales, means = self.entropy_parameters(z_hat)
        if refine is not None:
            y = refine(y, scales, means)
        indexes = self.scale_indexes(scales)
        y_strings = self.gaussian_conditional.compress(y, indexes, means=means)
        if len(y_strings[0]) > max_string_bytes(indexes.numel()):  # the decoder would refuse it
            raise StrataError("image cannot be coded within the latent size limit")
        # The decoder's dequantization, same float32 operations: symbols + means.
        y_hat = torch.round(y - means) + means
        return z_strings[0], y_strings[0], tuple(z.shape[-2:]), y_hat, scales

    @torch.no_grad()
    def decompress_latent(self, z_string: bytes, y_string: bytes, z_shape: tuple[int, int]):
        """Inverse of compress_latent: (y_hat, scales). Safe on forged strings (rans_guard)."""
        zh, zw = z_shape
        z_hat = self.entropy_bottleneck.decompress([padded(z_string, self.N * zh * zw)], z_shape)
        scales, means = self.entropy_parameters(z_hat)
        indexes = self.scale_indexes(scales)
        y_hat = self.gaussian_conditional.decompress([padded(y_string, indexes.numel())], indexes, means=means)
        return y_hat, scales

    def analyse(self, x: torch.Tensor) -> torch.Tensor:
        return tiled_apply(self.g_a, x.contiguous(memory_format=torch.channels_last), scale=1 / LATENT_STRIDE)

    @torch.no_grad()  # the float32 form shares trained GDNs: no graph may keep every tile alive
    def synthesise(self, y_hat: torch.Tensor) -> torch.Tensor:
        # channels_last convolutions (transposed ones in sub-pixel form, see subpixel.py) give
        # the same bits whatever the thread count (tested).
        y_hat = y_hat.contiguous(memory_format=torch.channels_last)
        return tiled_apply(self._coding["g_s"], y_hat, scale=LATENT_STRIDE)
