"""Domain adapters in the synthesis transforms, blended by a gate that runs at the decoder.

After Presta et al., "Domain Adaptation for Learned Image Compression with Supervised Adapters"
(DCC 2024): one adapter per domain (natural photos included), zero-initialised, added to frozen
layers of a trained model's synthesis; the encoder, entropy models and rate are untouched. Two
changes from the reference:

- The gate runs at the decoder, on what every prefix of a stream has (the decoded base latent and
  its scales), so it costs zero bits and works at every truncation point. The reference runs it
  at the encoder and hands its logits to the decoder outside the bitstream.
- Where the adapters sit, for our g_s (deconv, IGDN, deconv, IGDN, deconv, IGDN, deconv):
  a residual bottleneck branch (1x1 N->r, ReLU, 3x3 r->N, zero-initialised output) on the
  output of the second IGDN, at a quarter of the image resolution (cheap: ~8k MACs per pixel for
  three domains against ~150k for g_s), and a zero-initialised parallel copy of the last
  transposed convolution, as in the reference. The parallel copy is linear, so at decode time
  its blended kernel is added to the frozen one: it costs nothing. An untrained (zero) adapter
  leaves every decoded bit as the plain model's.

Decoding is deterministic with any thread count: the branch convolutions run channels_last (see
subpixel.py), and the gate's spatial mean is a float64 NumPy sum, whose order is fixed.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .subpixel import for_inference

BRANCH_AT = 4  # the branch adds to the output of g_s[:4] (deconv, IGDN, deconv, IGDN)


class AdapterBank(nn.Module):
    """The adapters of every domain for one synthesis transform (g_s of N channels, 3 out)."""

    def __init__(self, last: nn.ConvTranspose2d, N: int, domains: int, rank: int):
        super().__init__()
        self.domains, self.rank = domains, rank
        self.down = nn.Conv2d(N, rank * domains, 1)  # every domain's 1x1, stacked
        self.up = nn.Parameter(torch.zeros(domains, N, rank, 3, 3))  # zero: no effect until trained
        self.up_bias = nn.Parameter(torch.zeros(domains, N))
        self.last_delta = nn.Parameter(torch.zeros(domains, *last.weight.shape))
        self.last_bias_delta = nn.Parameter(torch.zeros(domains, last.out_channels))

    def branch(self, h: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """sum_d w_d * up_d(relu(down_d(h))); w: (B, D). One conv pair for every domain: the
        gate weights scale the stacked input channels of the 3x3."""
        a = F.relu(self.down(h))  # (B, D*r, H, W)
        B = h.shape[0]
        a = a * w.to(a.dtype).repeat_interleave(self.rank, 1)[:, :, None, None]
        up = self.up.permute(1, 0, 2, 3, 4).reshape(self.up.shape[1], -1, 3, 3)  # (N, D*r, 3, 3)
        bias = w.to(a.dtype) @ self.up_bias.to(a.dtype)  # (B, N)
        return F.conv2d(a, up.to(a.dtype), padding=1) + bias[:, :, None, None].expand(B, -1, 1, 1)

    def blended_last(self, last: nn.ConvTranspose2d, w: torch.Tensor) -> nn.ConvTranspose2d:
        """The last transposed convolution plus the blend of its parallel copies (w: (D,))."""
        out = nn.ConvTranspose2d(last.in_channels, last.out_channels, last.kernel_size, last.stride,
                                 last.padding, last.output_padding)
        with torch.no_grad():
            out.weight.copy_(last.weight + torch.einsum("d,d...->...", w, self.last_delta))
            out.bias.copy_(last.bias + w @ self.last_bias_delta)
        return out

    def forward(self, g_s: nn.Sequential, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Training form: g_s with the adapters blended per image by w (B, D)."""
        h = g_s[:BRANCH_AT](y)
        h = h + self.branch(h, w)
        h = g_s[BRANCH_AT:-1](h)
        last = g_s[-1]
        x = last(h)
        for d in range(self.domains):  # the parallel copies, one per domain
            wd = w[:, d].to(h.dtype)[:, None, None, None]
            x = x + wd * F.conv_transpose2d(h, self.last_delta[d].to(h.dtype), self.last_bias_delta[d].to(h.dtype),
                                            last.stride, last.padding, last.output_padding)
        return x


class AdaptedSynthesis(nn.Module):
    """Coding-time form of g_s with a bank blended by fixed weights w (D,) (one stream's gate
    output): the frozen layers in their sub-pixel, thread-independent form and the synthesis
    dtype; the branch in float32, its convolutions prebuilt for w (domains of weight 0 dropped)."""

    def __init__(self, g_s: nn.Sequential, bank: AdapterBank, w: torch.Tensor, dtype: torch.dtype):
        super().__init__()
        w = w.float()
        self.head = for_inference(g_s[:BRANCH_AT], dtype)
        self.tail = for_inference(nn.Sequential(*g_s[BRANCH_AT:-1], bank.blended_last(g_s[-1], w)), dtype)
        used = [d for d in range(bank.domains) if w[d] != 0]
        self.down = self.up = None
        if used:
            r = bank.rank
            rows = torch.cat([torch.arange(d * r, (d + 1) * r) for d in used])
            N = bank.down.in_channels
            self.down = nn.Conv2d(N, len(rows), 1)
            self.up = nn.Conv2d(len(rows), N, 3, padding=1)
            with torch.no_grad():
                self.down.weight.copy_(bank.down.weight[rows])
                self.down.bias.copy_(bank.down.bias[rows])
                self.up.weight.copy_(torch.cat([w[d] * bank.up[d] for d in used], 1))
                self.up.bias.copy_(w @ bank.up_bias)
            self.to(memory_format=torch.channels_last)

    @torch.no_grad()
    def forward(self, y: torch.Tensor) -> torch.Tensor:
        h = self.head(y)
        if self.down is not None:
            h = h.contiguous(memory_format=torch.channels_last)
            h = h + self.up(F.relu(self.down(h)))
        return self.tail(h)


class Gate(nn.Module):
    """Decoder-side gate: (base latent y, its scales) -> domain logits. Sees the latent at 1/16
    of the image resolution; pooled over space, so any image size gives one set of weights."""

    def __init__(self, M: int, domains: int, width: int = 64):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(2 * M, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU())
        self.head = nn.Linear(width, domains)

    @staticmethod
    def inputs(y: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        """Compressed magnitudes: the latent's energy varies by orders of magnitude between
        flat screens and textured photos, and raw values made the logits swing with it."""
        return torch.cat([torch.sign(y) * torch.log1p(y.abs()), torch.log(scales.clamp_min(0.11))], 1)

    def forward(self, y: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        """Training: logits (B, D)."""
        return self.head(self.features(self.inputs(y, scales)).mean((2, 3)))

    @torch.no_grad()
    def weights(self, y: torch.Tensor, scales: torch.Tensor, top1: bool = False) -> np.ndarray:
        """Decoding: blending weights (D,) of one image, identical for any thread count."""
        f = self.features(self.inputs(y, scales).contiguous(memory_format=torch.channels_last))
        pooled = f[0].double().numpy().reshape(f.shape[1], -1).sum(1) / (f.shape[2] * f.shape[3])
        logits = pooled @ self.head.weight.double().numpy().T + self.head.bias.double().numpy()
        if top1:
            w = np.zeros_like(logits)
            w[int(np.argmax(logits))] = 1.0
            return w
        e = np.exp(logits - logits.max())
        return e / e.sum()


class DomainAdapters(nn.Module):
    """Everything a model gains: one AdapterBank per adapted synthesis transform and the gate.

    transforms: names of the adapted g_s (e.g. ["g_s"] for a hyperprior, ["base.g_s", "g_s_top"]
    for the progressive model); domains: their names, in gate order."""

    def __init__(self, model: nn.Module, transforms: list[str], domains: list[str], rank: int = 32,
                 gate_width: int = 64):
        super().__init__()
        self.domains, self.transform_names = list(domains), list(transforms)
        N, M, D = model.N, model.M, len(domains)
        self.banks = nn.ModuleDict({t.replace(".", "_"): AdapterBank(_get(model, t)[-1], N, D, rank)
                                    for t in transforms})
        self.gate = Gate(M, D, gate_width)

    def bank(self, transform: str) -> AdapterBank:
        return self.banks[transform.replace(".", "_")]

    def parameter_counts(self) -> dict:
        return {"adapters": sum(p.numel() for p in self.banks.parameters()),
                "gate": sum(p.numel() for p in self.gate.parameters())}


def _get(model: nn.Module, dotted: str) -> nn.Module:
    for part in dotted.split("."):
        model = getattr(model, part)
    return model
