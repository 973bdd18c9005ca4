"""Learned vector quantizer: the latent is cut into M sub-vectors that share one codebook.

    latent (B, M*d) --split--> (B, M, d) --nearest codeword--> indices (B, M) --lookup--> (B, M*d)

Training: straight-through gradients, a commitment loss pulling the encoder to its codewords,
and codebook updates by exponential moving averages of the vectors assigned to each codeword
(van den Oord et al., 2017), with unused codewords restarted on encoder outputs.

Nested rates: a stream may carry only the first m sub-vectors; the decoder puts a learned
default vector in each missing position. Training draws m at random, so the encoder learns to
put what matters most first and one model serves every m.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SharedCodebookVQ(nn.Module):
    def __init__(self, latent_dim: int = 256, sub_dim: int = 8, codebook_size: int = 128,
                 decay: float = 0.99, commitment: float = 0.25):
        super().__init__()
        if latent_dim % sub_dim:
            raise ValueError("latent_dim must be a multiple of sub_dim")
        self.m_total, self.d, self.k = latent_dim // sub_dim, sub_dim, codebook_size
        self.decay, self.commitment = decay, commitment
        self.register_buffer("codebook", torch.randn(codebook_size, sub_dim) * 0.5)
        self.register_buffer("ema_count", torch.ones(codebook_size))
        self.register_buffer("ema_sum", self.codebook.clone())
        self.missing = nn.Parameter(torch.zeros(self.m_total, sub_dim))  # stands in for unsent sub-vectors

    def indices(self, latent: torch.Tensor, m: int | None = None) -> torch.Tensor:
        """(B, m) codeword indices of the first m sub-vectors (all when m is None)."""
        z = latent.reshape(latent.shape[0], self.m_total, self.d)[:, : m or self.m_total]
        d2 = (z.pow(2).sum(-1, keepdim=True) - 2 * z @ self.codebook.t() + self.codebook.pow(2).sum(-1))
        return d2.argmin(-1)

    def dequantize(self, idx: torch.Tensor) -> torch.Tensor:
        """(B, m) indices -> (B, M*d) latent, missing sub-vectors set to their learned default."""
        b, m = idx.shape
        q = self.codebook.to(self.missing.dtype)[idx]
        rest = self.missing[m:].unsqueeze(0).expand(b, -1, -1)
        return torch.cat([q, rest], 1).reshape(b, -1)

    def forward(self, latent: torch.Tensor, m: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(latent for the decoder, indices, commitment loss) with straight-through gradients."""
        b = latent.shape[0]
        z = latent.reshape(b, self.m_total, self.d)
        idx = self.indices(latent)
        q = self.codebook[idx]
        if self.training:
            self._ema_update(z.detach().reshape(-1, self.d), idx.reshape(-1))
        commit = F.mse_loss(z, q.detach())
        zq = z + (q - z).detach()
        zq = torch.cat([zq[:, :m], self.missing[m:].unsqueeze(0).expand(b, -1, -1)], 1)
        return zq.reshape(b, -1), idx[:, :m], self.commitment * commit

    @torch.no_grad()
    def _ema_update(self, z: torch.Tensor, idx: torch.Tensor) -> None:
        onehot = F.one_hot(idx, self.k).to(z.dtype)
        self.ema_count.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
        self.ema_sum.mul_(self.decay).add_(onehot.t() @ z, alpha=1 - self.decay)
        n = self.ema_count.sum()
        count = (self.ema_count + 1e-5) / (n + self.k * 1e-5) * n  # Laplace-smoothed
        self.codebook.copy_(self.ema_sum / count.unsqueeze(1))
        dead = self.ema_count < 1e-2
        if dead.any():  # restart unused codewords on random encoder outputs
            pick = z[torch.randint(0, z.shape[0], (int(dead.sum()),), device=z.device)]
            self.codebook[dead] = pick
            self.ema_sum[dead] = pick
            self.ema_count[dead] = 1.0
