"""The diffusion decoder: a noise-prediction network over points and its samplers.

    x_T ~ N(0, I) --(T steps: eps = net(x_t, t, latent, anchors))--> x_0 (the cloud)

- `PointwiseNet` predicts the noise of every point independently from the point, its offsets
  to the nearest anchors, the timestep and the shape latent (concat-squash layers: each layer's
  output is gated and shifted by the context), like the reference's PointwiseNet.
- `Schedule`: a linear beta schedule (Ho et al., 2020) with the DDPM ancestral sampler (all T
  steps, the full sampler) and the generalised DDIM step (Song et al., 2021) on a sub-sequence
  of steps (the fast sampler). Its eta defaults to 1, ancestral sampling on the sub-sequence:
  on this model deterministic DDIM (eta 0) measured worse, and worse still with more steps.
- `portable_normal`: the sampler's noise comes from numpy's Philox counter-based generator and a
  Box-Muller transform in float64, so a seed names the same noise on every machine and library
  version (torch's and numpy's normal samplers make no such promise).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .anchors import ANCHOR_FEATURES, local_features


class ConcatSquash(nn.Module):
    """y = W x * sigmoid(G c) + B c: a linear layer modulated by the context c."""

    def __init__(self, dim_in: int, dim_out: int, dim_ctx: int):
        super().__init__()
        self.layer = nn.Linear(dim_in, dim_out)
        self.gate = nn.Linear(dim_ctx, dim_out)
        self.bias = nn.Linear(dim_ctx, dim_out, bias=False)

    def forward(self, ctx: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x) * torch.sigmoid(self.gate(ctx)) + self.bias(ctx)


class PointwiseNet(nn.Module):
    def __init__(self, latent_dim: int = 256, widths=(128, 256, 256, 128)):
        super().__init__()
        ctx = latent_dim + 3  # latent, then (beta, sin beta, cos beta) of the timestep
        dims = (3 + ANCHOR_FEATURES,) + tuple(widths) + (3,)
        self.layers = nn.ModuleList(ConcatSquash(a, b, ctx) for a, b in zip(dims[:-1], dims[1:]))
        self.act = nn.LeakyReLU(0.02)

    def forward(self, x: torch.Tensor, beta: torch.Tensor, latent: torch.Tensor,
                anchors: torch.Tensor | None) -> torch.Tensor:
        """x (B, N, 3), beta (B,), latent (B, D) -> predicted noise (B, N, 3)."""
        beta = beta.reshape(-1, 1)
        ctx = torch.cat([latent, beta, torch.sin(beta), torch.cos(beta)], -1).unsqueeze(1)
        h = torch.cat([x, local_features(x, anchors)], -1)
        for i, layer in enumerate(self.layers):
            h = layer(ctx, h)
            if i < len(self.layers) - 1:
                h = self.act(h)
        return h


class Schedule:
    def __init__(self, steps: int = 200, beta_1: float = 1e-4, beta_T: float = 0.05):
        self.T = steps
        self.betas = np.concatenate([[0.0], np.linspace(beta_1, beta_T, steps)])  # betas[t], t = 1..T
        self.alpha_bar = np.cumprod(1.0 - self.betas)

    def noisy(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        ab = torch.as_tensor(self.alpha_bar, dtype=x0.dtype, device=x0.device)[t].reshape(-1, 1, 1)
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    def beta(self, t, like: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(self.betas, dtype=like.dtype, device=like.device)[t]

    def timesteps(self, steps: int) -> list[int]:
        """The DDIM sub-sequence of `steps` timesteps, T first."""
        if steps >= self.T:
            return list(range(self.T, 0, -1))
        return sorted({int(round(v)) for v in np.linspace(self.T, 1, steps)}, reverse=True)

    def sample(self, net: PointwiseNet, latent: torch.Tensor, anchors: torch.Tensor | None,
               n_points: int, seed: int, steps: int, eta: float = 1.0) -> torch.Tensor:
        """(1, n_points, 3) in the dtype of latent: DDPM with all T steps when steps >= T, else
        the generalised DDIM step on `steps` timesteps, with fresh noise scaled by eta (0: the
        deterministic DDIM; 1: ancestral sampling on the sub-sequence, a strided DDPM)."""
        dt = latent.dtype
        noise = PortableNoise(seed)
        x = torch.from_numpy(noise.normal((1, n_points, 3))).to(dt)
        if steps >= self.T:  # ancestral DDPM
            for t in range(self.T, 0, -1):
                eps = net(x, self.beta([t], x), latent, anchors)
                a, ab = 1 - self.betas[t], self.alpha_bar[t]
                mean = (x - (1 - a) / math.sqrt(1 - ab) * eps) / math.sqrt(a)
                if t > 1:
                    sigma = math.sqrt(self.betas[t] * (1 - self.alpha_bar[t - 1]) / (1 - ab))
                    mean = mean + sigma * torch.from_numpy(noise.normal((1, n_points, 3))).to(dt)
                x = mean
            return x
        ts = self.timesteps(steps) + [0]
        for t, s in zip(ts[:-1], ts[1:]):
            eps = net(x, self.beta([t], x), latent, anchors)
            ab_t, ab_s = self.alpha_bar[t], self.alpha_bar[s]
            x0 = (x - math.sqrt(1 - ab_t) * eps) / math.sqrt(ab_t)
            if s == 0:
                return x0
            sigma = eta * math.sqrt((1 - ab_s) / (1 - ab_t) * (1 - ab_t / ab_s))
            x = math.sqrt(ab_s) * x0 + math.sqrt(max(1 - ab_s - sigma ** 2, 0.0)) * eps
            if sigma > 0:
                x = x + sigma * torch.from_numpy(noise.normal((1, n_points, 3))).to(dt)
        return x


class PortableNoise:
    """Standard normal noise that depends only on the seed: Philox-4x64 raw words (a documented,
    versioned counter-based generator), turned into uniforms and then normals (Box-Muller) in
    float64 by this code, not by a library sampler that may change."""

    def __init__(self, seed: int):
        self.bits = np.random.Philox(key=int(seed))

    def normal(self, shape) -> np.ndarray:
        n = int(np.prod(shape))
        raw = self.bits.random_raw(2 * ((n + 1) // 2)).astype(np.uint64)
        u = ((raw >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / (1 << 53))  # (0, 1)
        u1, u2 = u[0::2], u[1::2]
        r = np.sqrt(-2.0 * np.log(u1))
        z = np.concatenate([r * np.cos(2 * np.pi * u2), r * np.sin(2 * np.pi * u2)])[:n]
        return z.reshape(shape)
