"""PointNet encoder: a shared per-point MLP, a max-pool over the points, an MLP head.

    points (B, N, 3) --1x1 convs--> (B, C, N) --max over N--> (B, C) --MLP--> latent (B, D)

The max-pool makes the latent independent of the order of the points and of their count.
"""
from __future__ import annotations

import torch
from torch import nn


class PointNetEncoder(nn.Module):
    def __init__(self, latent_dim: int = 256, widths=(64, 128, 256)):
        super().__init__()
        layers, c = [], 3
        for w in widths:
            layers += [nn.Conv1d(c, w, 1), nn.ReLU(inplace=True)]
            c = w
        self.point_mlp = nn.Sequential(*layers[:-1])  # no ReLU before the pool: keeps signs
        self.head = nn.Sequential(nn.Linear(c, 256), nn.ReLU(inplace=True), nn.Linear(256, latent_dim))

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        f = self.point_mlp(points.transpose(1, 2))
        return self.head(f.max(dim=2).values)
