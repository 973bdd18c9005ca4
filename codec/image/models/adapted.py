"""A shipped image model (frozen) with domain adapters and the decoder-side gate (adapters.py).

The inner model is the registered plain model itself (a hyperprior or the progressive model):
the encoder, the entropy models and every stream byte are its own, so a stream of the adapted
model decodes with the plain decoder too (`--no-adapters`). What the adapters change is the
synthesis only::

    strings --inner.decompress (exact)--> latent, base latent y_b, scales_b
    y_b, scales_b --gate--> w (softmax over domains; or top-1, or one domain forced)
    latent --g_s + sum_d w_d adapter_d--> image        (progressive: base.g_s with no layer,
                                                         g_s_top otherwise, each with its bank)
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .adapters import AdaptedSynthesis, DomainAdapters
from .hyperprior import LATENT_STRIDE, amp_context
from .tiling import tiled_apply


class AdaptedModel(nn.Module):
    def __init__(self, inner: nn.Module, domains: list[str], rank: int = 32, gate_width: int = 64):
        super().__init__()
        self.inner = inner
        self.progressive = hasattr(inner, "residual")
        transforms = ["base.g_s", "g_s_top"] if self.progressive else ["g_s"]
        self.adapters = DomainAdapters(inner, transforms, domains, rank, gate_width)

    @property
    def domains(self) -> list[str]:
        return self.adapters.domains

    @property
    def _base(self):
        return self.inner.base if self.progressive else self.inner

    # ------------------------------------------------------------------ training
    def forward(self, x: torch.Tensor, domain_w: torch.Tensor | None = None, q: torch.Tensor | None = None,
                autocast: bool = False) -> dict:
        """Training pass (the inner model frozen). Returns the gate's logits and the adapted
        reconstructions: "x_hat" (the single-rate g_s, or the progressive top path at the
        fractions q) and, for the progressive model, "x_hat_base" (its base-only path).
        domain_w: blending weights (B, D) to train the adapters with (e.g. one-hot labels, as
        the reference); None: the gate's own softmax."""
        amp = amp_context(x, autocast)
        with torch.no_grad():
            y_b, scales_b = self._base.decoded_latent(x, autocast)
        logits = self.adapters.gate(y_b, scales_b)
        w = domain_w if domain_w is not None else torch.softmax(logits, 1)
        out = {"logits": logits}
        with amp:
            if not self.progressive:
                out["x_hat"] = self.adapters.bank("g_s")(self.inner.g_s, y_b, w).float()
                return out
            out["x_hat_base"] = self.adapters.bank("base.g_s")(self.inner.base.g_s, y_b, w).float()
            with torch.no_grad():
                y_t = self.inner.g_a_top(x)
                r_tilde, _ = self.inner.residual(y_t.float() - y_b, y_b, scales_b, q,
                                                 self.inner.base.gaussian_conditional, amp)
            out["x_hat"] = self.adapters.bank("g_s_top")(self.inner.g_s_top, y_b + r_tilde, w).float()
        return out

    # ------------------------------------------------------------------ coding
    def prepare_coding(self) -> None:
        self.inner.prepare_coding()

    def decompress_parts(self, z_string, y_string, z_shape, layers):
        """(latent for the synthesis, base latent, base scales)."""
        if self.progressive:
            return self.inner.decompress_parts(z_string, y_string, z_shape, layers)
        y_hat, scales = self.inner.decompress_latent(z_string, y_string, z_shape)
        return y_hat, y_hat, scales

    def blend(self, y_b: torch.Tensor, scales_b: torch.Tensor, domain: str | None = None,
              top1: bool = False) -> np.ndarray:
        """The blending weights over the domains for one stream: the gate's (softmax, or top-1),
        or one domain forced."""
        if domain is not None:
            w = np.zeros(len(self.domains))
            w[self.domains.index(domain)] = 1.0
            return w
        return self.adapters.gate.weights(y_b, scales_b, top1)

    @torch.no_grad()
    def synthesise(self, latent: torch.Tensor, n_layers: int, w: np.ndarray | None) -> torch.Tensor:
        """The inner model's synthesis (w None: no adapters), or with the adapters blended by w."""
        if w is None:
            return self.inner.synthesise(latent, n_layers) if self.progressive else self.inner.synthesise(latent)
        name = "g_s_top" if self.progressive and n_layers else ("base.g_s" if self.progressive else "g_s")
        g_s = self.inner.g_s_top if name == "g_s_top" else self._base.g_s
        fn = AdaptedSynthesis(g_s, self.adapters.bank(name), torch.from_numpy(w).float(),
                              self._base.synthesis_dtype)
        return tiled_apply(fn, latent.contiguous(memory_format=torch.channels_last), scale=LATENT_STRIDE)
