"""The residual layers of the progressive model, as one part: prior, sending order, REM, element coder.

Data flow (given the decoded base latent y_b_hat and its scales scales_b, which every prefix
of the stream has)::

    [y_b_hat, scales_b] --prior (exact)--> means_r, scales_r --rank_order--> sending order
    layers 1..c carry r in that order, coded against (means_r, scales_r)     [ElementCoder]
    [r so far, scales_r, known] --rem (exact)--> refined means/scales of the elements left
    layers c+1..L carry the rest, coded against the refined parameters
    r_tilde: received elements at their value, the others at their (refined) predicted mean

Contract (as CompressAI's latent codecs): `forward` trains (noisy likelihoods, straight-through
rounding, a per-image fraction q of elements received), `compress` codes r into one string per
layer, `decompress` rebuilds r_tilde from any number of leading layers. Residual means and scales
depend only on the base and on layers already decoded, never on values the decoder may lack:
that is what lets any prefix decode. Everything that decides entropy parameters or the order
(prior, rem) runs in the integer-exact form of exact.py at coding time, so encoder and decoder
agree on every machine. Layer ends are fixed fractions of the residual elements (`bounds`, in
1/10000), so the decoder derives each layer's size from the image size alone.
"""
from __future__ import annotations

import torch
from torch import nn

from .compressai_parts import GaussianConditional, quantize_ste
from .element_coder import ElementCoder
from .exact import ExactSequential
from .hyperprior import scale_indexes
from .masking import FRACTION_UNIT, layer_counts, rank_order, ranks

# Cumulative layer ends in 1/10000 of the residual elements: dense at the start, where the
# high-variance elements carry most of the rate.
DEFAULT_BOUNDS = (50, 100, 200, 350, 500, 750, 1000, 1500, 2000, 3000, 4000, 5500, 7000, 8500, 10000)
DEFAULT_REM_AT = 1000  # the REM runs once the first 10% of the elements are known


def _conv(cin, cout, k):
    return nn.Conv2d(cin, cout, k, padding=k // 2)


class ResidualLayers(nn.Module):
    """M: latent channels; P: width of the prior and the REM; bounds: cumulative layer ends in
    1/FRACTION_UNIT of the elements; rem_at: the layer end after which the REM runs. The layers
    share the base layer's Gaussian conditional (its scale table and CDFs): it is passed in, not
    owned."""

    def __init__(self, M: int, P: int, bounds, rem_at: int):
        super().__init__()
        bounds = [int(b) for b in bounds]
        if bounds != sorted(set(bounds)) or bounds[-1] != FRACTION_UNIT or bounds[0] <= 0:
            raise ValueError("bounds must increase strictly and end at FRACTION_UNIT")
        if rem_at not in bounds:
            raise ValueError("rem_at must be a layer end")
        self.bounds, self.rem_at = bounds, rem_at
        # Convolutions and ReLUs only: evaluable in exact integer arithmetic at coding time,
        # where they run in float64; 1x1 output layers keep that cost down.
        self.prior = nn.Sequential(_conv(2 * M, P, 3), nn.ReLU(), _conv(P, P, 3), nn.ReLU(),
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
    def forward(self, r: torch.Tensor, y_b_hat: torch.Tensor, scales_b: torch.Tensor, q: torch.Tensor,
                gc: GaussianConditional, amp) -> tuple[torch.Tensor, torch.Tensor]:
        """(r_tilde, likelihoods of r) with a fraction q (per image) of the elements received,
        exactly as the decoder will see them: unsent elements at their predicted mean."""
        with amp:
            scales_r, means_r = self.prior(torch.cat([y_b_hat, scales_b], 1)).float().chunk(2, 1)
        frac = ranks(gc.lower_bound_scale(scales_r))
        f_c = self.rem_at / FRACTION_UNIT
        known_c = frac < f_c
        r_c = torch.where(known_c, means_r + quantize_ste(r - means_r), means_r)
        with amp:
            d_s, d_m = self.rem(torch.cat([r_c, scales_r, known_c.float()], 1)).float().chunk(2, 1)
        scales_e = torch.where(known_c, scales_r, scales_r + d_s)
        means_e = torch.where(known_c, means_r, means_r + d_m)
        _, lik = gc(r, scales_e, means=means_e, training=True)
        qv = q.view(-1, 1, 1, 1)
        fill = torch.where(qv >= f_c, means_e, means_r)
        r_tilde = torch.where(frac < qv, means_e + quantize_ste(r - means_e), fill)
        return r_tilde, lik

    # ------------------------------------------------------------------ coding
    def prepare_coding(self, gc: GaussianConditional) -> None:
        self._coding = {"prior": ExactSequential(self.prior), "rem": ExactSequential(self.rem),
                        "elements": ElementCoder(gc), "gc": gc}

    def _walk(self, y_b_hat, scales_b, n_layers: int, code_layer) -> torch.Tensor:
        """The layer schedule, shared by encoder and decoder so both derive the same parameters.

        code_layer(k, idx, indexes, means) returns the symbols of layer k (the encoder computes
        and codes them, the decoder decodes them). Returns r_tilde."""
        scales_r, means_r = self._coding["prior"](torch.cat([y_b_hat, scales_b], 1)).chunk(2, 1)
        order = rank_order(scales_r)
        counts = layer_counts(order.numel(), self.bounds)
        scales, means = scales_r.flatten(), means_r.flatten()
        r_tilde = means.clone()
        start = 0
        for k in range(n_layers):
            idx = order[start:counts[k]]
            sym = code_layer(k, idx, scale_indexes(self._coding["gc"], scales[idx]), means[idx])
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
    def compress(self, r: torch.Tensor, y_b_hat: torch.Tensor, scales_b: torch.Tensor) -> list[bytes]:
        """One string per layer (all n_layers) for the residual r = y_top - y_b_hat."""
        r, strings = r.flatten(), []

        def code_layer(k, idx, indexes, means):
            sym = torch.round(r[idx] - means)
            strings.append(self._coding["elements"].encode(sym, indexes))
            return sym

        self._walk(y_b_hat, scales_b, self.n_layers, code_layer)
        return strings

    @torch.no_grad()
    def decompress_means(self, y_b_hat: torch.Tensor, scales_b: torch.Tensor) -> torch.Tensor:
        """r_tilde with no layer received: every element at the prior's mean."""
        return self._walk(y_b_hat, scales_b, 0, None)

    @torch.no_grad()
    def layer_sizes(self, r: torch.Tensor, y_b_hat: torch.Tensor, scales_b: torch.Tensor) -> list[dict]:
        """Per layer, what compress spends: elements, bytes of its string, and the bits the
        coder's Gaussians estimate for its symbols (the gap is the entropy coder's overhead:
        table quantisation and each string's flush, which weighs most on the small layers)."""
        r, sizes = r.flatten(), []
        table = self._coding["gc"].scale_table

        def code_layer(k, idx, indexes, means):
            sym = torch.round(r[idx] - means)
            s = table[indexes.long()].double()
            normal = torch.distributions.Normal(0.0, 1.0)
            p = normal.cdf((sym.double() + 0.5) / s) - normal.cdf((sym.double() - 0.5) / s)
            sizes.append({"elements": idx.numel(),
                          "bytes": len(self._coding["elements"].encode(sym, indexes)),
                          "estimated_bits": float(-torch.log2(p.clamp_min(1e-9)).sum())})
            return sym

        self._walk(y_b_hat, scales_b, self.n_layers, code_layer)
        return sizes

    @torch.no_grad()
    def decompress(self, strings: list[bytes], y_b_hat: torch.Tensor, scales_b: torch.Tensor) -> torch.Tensor:
        """r_tilde from the given leading layers (1..n_layers). Exact on every machine."""
        if not 0 < len(strings) <= self.n_layers:
            raise ValueError("between 1 and n_layers layers")

        def code_layer(k, idx, indexes, means):
            return self._coding["elements"].decode(strings[k], indexes)

        return self._walk(y_b_hat, scales_b, len(strings), code_layer)
