"""Progressive image model with variance-aware masking (after Presta et al., WACV 2025).

One model, one stream, every quality: a base layer coded like the mean-scale hyperprior, then the
residual between a top latent and the decoded base latent, sent in layers, most-uncertain elements
first. Any prefix of the layers decodes.

Data flow::

    x --base.g_a--> y_b --[MeanScaleHyperprior: z, exact h_s]--> y_b_hat, scales_b   (base layer)
    x --g_a_top---> y_t            r = y_t - y_b_hat                                 (residual)
    [y_b_hat, scales_b] --res_prior (exact)--> means_r, scales_r --rank_order--> sending order
    layers 1..c carry r in that order (coded against means_r, scales_r)
    [r so far, scales_r, known] --rem (exact)--> refined means/scales for the elements left
    layers c+1..L carry the rest (coded against the refined parameters)
    decoder: elements not received take their predicted mean; x_hat = g_s_top(y_b_hat + r_tilde);
             with no residual layer, the base has its own path: x_hat = base.g_s(y_b_hat)

Everything that decides entropy parameters or the sending order (h_s, res_prior, rem) runs in the
integer-exact form of exact.py at coding time, so encoder and decoder agree on every machine.
Layer ends are fixed fractions of the residual elements (`bounds`, in 1/10000), so the decoder
derives each layer's size from the image size alone.
"""
from __future__ import annotations

from contextlib import nullcontext

import torch
from torch import nn

from .element_coder import ElementCoder
from .exact import ExactSequential
from .hyperprior import LATENT_STRIDE, MeanScaleHyperprior, analysis_transform, synthesis_transform
from .masking import FRACTION_UNIT, layer_counts, rank_order, ranks
from .subpixel import for_inference
from .tiling import tiled_apply

# Cumulative layer ends in 1/10000 of the residual elements: dense at the start, where the
# high-variance elements carry most of the rate.
DEFAULT_BOUNDS = (50, 100, 200, 350, 500, 750, 1000, 1500, 2000, 3000, 4000, 5500, 7000, 8500, 10000)
DEFAULT_REM_AT = 1000  # the REM runs once the first 10% of the elements are known


def _conv(cin, cout, k):
    return nn.Conv2d(cin, cout, k, padding=k // 2)


def _ste_round(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.round(x) - x).detach()


class ProgressiveVAM(nn.Module):
    """N, M: transform and latent channels (as the hyperprior); P: width of res_prior and rem;
    synthesis: the dtype of both synthesis transforms at coding time (see hyperprior)."""

    def __init__(self, N: int = 128, M: int = 192, P: int = 128,
                 bounds=DEFAULT_BOUNDS, rem_at: int = DEFAULT_REM_AT, synthesis: str = "float32"):
        super().__init__()
        bounds = [int(b) for b in bounds]
        if bounds != sorted(set(bounds)) or bounds[-1] != FRACTION_UNIT or bounds[0] <= 0:
            raise ValueError("bounds must increase strictly and end at FRACTION_UNIT")
        if rem_at not in bounds:
            raise ValueError("rem_at must be a layer end")
        self.N, self.M, self.bounds, self.rem_at = N, M, bounds, rem_at
        self.base = MeanScaleHyperprior(N, M, synthesis)
        self.g_a_top = analysis_transform(N, M)
        self.g_s_top = synthesis_transform(N, M)
        # Convolutions and ReLUs only: evaluable in exact integer arithmetic at coding time,
        # where they run in float64; 1x1 output layers keep that cost down.
        self.res_prior = nn.Sequential(_conv(2 * M, P, 3), nn.ReLU(), _conv(P, P, 3), nn.ReLU(),
                                       _conv(P, 2 * M, 1))
        self.rem = nn.Sequential(_conv(3 * M, P, 1), nn.ReLU(), _conv(P, P, 3), nn.ReLU(),
                                 _conv(P, 2 * M, 1))
        self._coding: dict = {}

    @property
    def n_layers(self) -> int:
        return len(self.bounds)

    @property
    def rem_layer(self) -> int:
        """Number of layers after which the REM refines the remaining parameters."""
        return self.bounds.index(self.rem_at) + 1

    # ------------------------------------------------------------------ training
    def forward(self, x: torch.Tensor, q: torch.Tensor, autocast: bool = False) -> dict:
        """Training pass. q: per-image fraction of residual elements received (1 = full).

        The base is frozen (trained as a single-rate hyperprior); this trains the top encoder,
        the residual prior, the REM and the top decoder. Rate: noisy residual likelihoods.
        Decoder input: residual rounded with a straight-through gradient, unsent elements at
        their predicted mean, exactly as the decoder will see them.
        """
        amp = torch.autocast(x.device.type, dtype=torch.bfloat16) if autocast else nullcontext()
        base = self.base
        with torch.no_grad():
            with amp:
                y_b = base.g_a(x)
                z = base.h_a(y_b)
            eb = base.entropy_bottleneck
            z_hat = eb.quantize(z.float(), "dequantize", eb._get_medians())
            with amp:
                scales_b, means_b = base.h_s(z_hat).float().chunk(2, 1)
            y_b_hat = torch.round(y_b.float() - means_b) + means_b
        with amp:
            y_t = self.g_a_top(x)
            scales_r, means_r = self.res_prior(torch.cat([y_b_hat, scales_b], 1)).float().chunk(2, 1)
        r = y_t.float() - y_b_hat
        frac = ranks(base.gaussian_conditional.lower_bound_scale(scales_r))
        f_c = self.rem_at / FRACTION_UNIT
        known_c = frac < f_c
        r_c = torch.where(known_c, means_r + _ste_round(r - means_r), means_r)
        with amp:
            d_s, d_m = self.rem(torch.cat([r_c, scales_r, known_c.float()], 1)).float().chunk(2, 1)
        scales_e = torch.where(known_c, scales_r, scales_r + d_s)
        means_e = torch.where(known_c, means_r, means_r + d_m)
        _, lik = base.gaussian_conditional(r, scales_e, means=means_e, training=True)
        qv = q.view(-1, 1, 1, 1)
        fill = torch.where(qv >= f_c, means_e, means_r)
        r_tilde = torch.where(frac < qv, means_e + _ste_round(r - means_e), fill)
        with amp:
            x_hat = self.g_s_top(y_b_hat + r_tilde)
        return {"x_hat": x_hat.float(), "likelihoods": {"r": lik}}

    # ------------------------------------------------------------------ coding
    def update(self) -> None:
        """Build the base's CDF tables (shipped with the weights, see hyperprior.update)."""
        self.base.update()
        self.prepare_coding()

    def prepare_coding(self) -> None:
        self.base.prepare_coding()
        self.to(memory_format=torch.channels_last)
        self._coding = {"res_prior": ExactSequential(self.res_prior), "rem": ExactSequential(self.rem),
                        "g_s_top": for_inference(self.g_s_top, self.base.synthesis_dtype),
                        "elements": ElementCoder(self.base.gaussian_conditional)}

    def _walk_layers(self, y_b_hat, scales_b, n_layers: int, code_layer) -> torch.Tensor:
        """The layer schedule, shared by encoder and decoder so both derive the same parameters.

        code_layer(k, idx, indexes, means) returns the symbols of layer k (the encoder computes
        and codes them, the decoder decodes them). Returns r_tilde: received elements at their
        value, the others at their predicted mean.
        """
        scales_r, means_r = self._coding["res_prior"](torch.cat([y_b_hat, scales_b], 1)).chunk(2, 1)
        order = rank_order(scales_r)
        counts = layer_counts(order.numel(), self.bounds)
        scales, means = scales_r.flatten(), means_r.flatten()
        r_tilde = means.clone()
        start = 0
        for k in range(n_layers):
            idx = order[start:counts[k]]
            sym = code_layer(k, idx, self.base.scale_indexes(scales[idx]), means[idx])
            r_tilde[idx] = sym + means[idx]
            start = counts[k]
            if k + 1 == self.rem_layer:
                known = torch.zeros_like(r_tilde, dtype=torch.bool)
                known[order[:start]] = True
                rem_in = torch.cat([r_tilde.view_as(scales_r), scales_r, known.view_as(scales_r).float()], 1)
                d_s, d_m = self._coding["rem"](rem_in).chunk(2, 1)
                scales = torch.where(known, scales, scales + d_s.flatten())
                means = torch.where(known, means, means + d_m.flatten())
                r_tilde = torch.where(known, r_tilde, means)
        return r_tilde.view_as(scales_r)

    @torch.no_grad()
    def synthesise(self, y: torch.Tensor, n_layers: int) -> torch.Tensor:
        """y from decompress_latent: the base path with no residual layer, else the top one."""
        if n_layers == 0:
            return self.base.synthesise(y)
        y = y.contiguous(memory_format=torch.channels_last)
        return tiled_apply(self._coding["g_s_top"], y, scale=LATENT_STRIDE)

    @torch.no_grad()
    def compress(self, x: torch.Tensor):
        """x: 1x3xHxW in [0,1], sides multiples of STRIDE.
        Returns (z_string, y_string, z_shape, [layer strings, all n_layers of them])."""
        z_string, y_string, z_shape, y_b_hat, scales_b = self.base.compress_latent(self.base.analyse(x))
        y_t = tiled_apply(self.g_a_top, x.contiguous(memory_format=torch.channels_last),
                          scale=1 / LATENT_STRIDE)
        r = (y_t - y_b_hat).flatten()
        strings = []

        def code_layer(k, idx, indexes, means):
            sym = torch.round(r[idx] - means)
            strings.append(self._coding["elements"].encode(sym, indexes))
            return sym

        self._walk_layers(y_b_hat, scales_b, self.n_layers, code_layer)
        return z_string, y_string, z_shape, strings

    @torch.no_grad()
    def decompress_latent(self, z_string: bytes, y_string: bytes, z_shape, layers: list[bytes]) -> torch.Tensor:
        """The latent the synthesis receives, from the base and the given leading layers (any
        number, 0..n_layers): y_b_hat alone, or y_b_hat + r_tilde. Exact on every machine."""
        if len(layers) > self.n_layers:
            raise ValueError("more layers than the model defines")
        y_b_hat, scales_b = self.base.decompress_latent(z_string, y_string, z_shape)
        if not layers:
            return y_b_hat

        def code_layer(k, idx, indexes, means):
            return self._coding["elements"].decode(layers[k], indexes)

        return y_b_hat + self._walk_layers(y_b_hat, scales_b, len(layers), code_layer)

    @torch.no_grad()
    def decompress(self, z_string: bytes, y_string: bytes, z_shape, layers: list[bytes]) -> torch.Tensor:
        """Decode the base and the given leading layers: 1x3xHxW."""
        return self.synthesise(self.decompress_latent(z_string, y_string, z_shape, layers), len(layers))
