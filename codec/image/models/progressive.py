"""Progressive image model with variance-aware masking (after Presta et al., WACV 2025).

One model, one stream, every quality: a base layer coded by a mean-scale hyperprior, then the
residual between a top latent and the decoded base latent, sent in layers, most-uncertain
elements first (residual.py). Any prefix of the layers decodes. A composition of two parts::

    x --base (MeanScaleHyperprior: g_a, z, exact h_s)--> y_b_hat, scales_b         (base layer)
    x --g_a_top--> y_t,   r = y_t - y_b_hat
    r, [y_b_hat, scales_b] --residual (ResidualLayers: prior, order, REM, coder)--> layer strings
    decoder: r_tilde from the layers received; x_hat = g_s_top(y_b_hat + r_tilde);
             with no residual layer, the base has its own path: x_hat = base.g_s(y_b_hat)
"""
from __future__ import annotations

import torch

from .compressai_parts import CompressionModule
from .hyperprior import LATENT_STRIDE, MeanScaleHyperprior, amp_context, analysis_transform, synthesis_transform
from .residual import DEFAULT_BOUNDS, DEFAULT_REM_AT, ResidualLayers
from .subpixel import for_inference
from .tiling import tiled_apply

# State-dict names of the first releases (progressive-vam, -2), before the residual layers
# became their own part: shipped weights keep them, loading maps them.
_OLD_NAMES = {"res_prior.": "residual.prior.", "rem.": "residual.rem."}


class ProgressiveVAM(CompressionModule):
    """N, M: transform and latent channels (as the hyperprior); P: width of the residual prior and
    REM; bounds, rem_at: the layers (residual.py); synthesis: the dtype of both synthesis
    transforms at coding time (see hyperprior)."""

    def __init__(self, N: int = 128, M: int = 192, P: int = 128,
                 bounds=DEFAULT_BOUNDS, rem_at: int = DEFAULT_REM_AT, synthesis: str = "float32"):
        super().__init__()
        self.N, self.M = N, M
        self.base = MeanScaleHyperprior(N, M, synthesis)
        self.g_a_top = analysis_transform(N, M)
        self.g_s_top = synthesis_transform(N, M)
        self.residual = ResidualLayers(M, P, bounds, rem_at)
        self._coding: dict = {}

    @property
    def bounds(self) -> list[int]:
        return self.residual.bounds

    @property
    def n_layers(self) -> int:
        return self.residual.n_layers

    @property
    def rem_layer(self) -> int:
        return self.residual.rem_layer

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        renamed = {}
        for k, v in state_dict.items():
            old = next((o for o in _OLD_NAMES if k.startswith(o)), None)
            renamed[_OLD_NAMES[old] + k[len(old):] if old else k] = v
        return super().load_state_dict(renamed, strict=strict, assign=assign)

    # ------------------------------------------------------------------ training
    def forward(self, x: torch.Tensor, q: torch.Tensor, autocast: bool = False) -> dict:
        """Training pass. q: per-image fraction of residual elements received (1 = full).

        The base is frozen (trained as a single-rate hyperprior); this trains the top encoder,
        the residual layers and the top decoder. Rate: noisy residual likelihoods. Decoder
        input: exactly what the decoder will see (residual.py)."""
        amp = amp_context(x, autocast)
        y_b_hat, scales_b = self.base.decoded_latent(x, autocast)
        with amp:
            y_t = self.g_a_top(x)
        r_tilde, lik = self.residual(y_t.float() - y_b_hat, y_b_hat, scales_b, q,
                                     self.base.gaussian_conditional, amp)
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
        self.residual.prepare_coding(self.base.gaussian_conditional)
        self._coding = {"g_s_top": for_inference(self.g_s_top, self.base.synthesis_dtype)}

    @torch.no_grad()
    def compress(self, x: torch.Tensor):
        """x: 1x3xHxW in [0,1], sides multiples of STRIDE.
        Returns (z_string, y_string, z_shape, [layer strings, all n_layers of them])."""
        z_string, y_string, z_shape, y_b_hat, scales_b = self.base.compress_latent(self.base.analyse(x))
        y_t = tiled_apply(self.g_a_top, x.contiguous(memory_format=torch.channels_last),
                          scale=1 / LATENT_STRIDE)
        return z_string, y_string, z_shape, self.residual.compress(y_t - y_b_hat, y_b_hat, scales_b)

    @torch.no_grad()
    def decompress_latent(self, z_string: bytes, y_string: bytes, z_shape, layers: list[bytes]) -> torch.Tensor:
        """The latent the synthesis receives, from the base and the given leading layers (any
        number, 0..n_layers): y_b_hat alone, or y_b_hat + r_tilde. Exact on every machine."""
        return self.decompress_parts(z_string, y_string, z_shape, layers)[0]

    @torch.no_grad()
    def decompress_parts(self, z_string: bytes, y_string: bytes, z_shape, layers: list[bytes]):
        """(decompress_latent's latent, the base latent y_b_hat, its scales): the last two are what
        every prefix has (the decoder-side gate of the adapters reads them)."""
        if len(layers) > self.n_layers:
            raise ValueError("more layers than the model defines")
        y_b_hat, scales_b = self.base.decompress_latent(z_string, y_string, z_shape)
        if not layers:
            return y_b_hat, y_b_hat, scales_b
        return y_b_hat + self.residual.decompress(layers, y_b_hat, scales_b), y_b_hat, scales_b

    @torch.no_grad()
    def synthesise(self, y: torch.Tensor, n_layers: int) -> torch.Tensor:
        """y from decompress_latent: the base path with no residual layer, else the top one."""
        if n_layers == 0:
            return self.base.synthesise(y)
        y = y.contiguous(memory_format=torch.channels_last)
        return tiled_apply(self._coding["g_s_top"], y, scale=LATENT_STRIDE)
