"""Hardware-friendly GDN: no square root, and a division that becomes a reciprocal in hardware.

    GDN (Balle et al.):        y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)
    L1 GDN (this module):      y_i = x_i / (beta_i + sum_j gamma_ij |x_j|)
    inverse (decoder, IGDN):   y_i = x_i * (beta_i + sum_j gamma_ij |x_j|)

The L1 form (Johnston et al., "Computationally efficient neural image compression", 2019) needs
only absolute values, a 1x1 convolution and a multiply; the encoder's division is `Reciprocal`
(reciprocal.py) on the integer path. beta and gamma stay non-negative through a squared
reparametrization with a floor (as CompressAI's GDN does), so the denominator is >= beta_min > 0
and the reciprocal's input is always positive.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class L1GDN(nn.Module):
    def __init__(self, channels: int, inverse: bool = False, beta_min: float = 1e-3, gamma_init: float = 0.1):
        super().__init__()
        self.inverse, self.beta_min = inverse, beta_min
        self._beta = nn.Parameter(torch.ones(channels).sqrt())  # beta = max(_beta^2, beta_min)
        self._gamma = nn.Parameter((gamma_init * torch.eye(channels)).sqrt())

    @property
    def beta(self) -> torch.Tensor:
        return self._beta.pow(2).clamp_min(self.beta_min)

    @property
    def gamma(self) -> torch.Tensor:
        return self._gamma.pow(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        norm = F.conv2d(x.abs(), self.gamma.reshape(c, c, 1, 1), self.beta)
        return x * norm if self.inverse else x / norm
