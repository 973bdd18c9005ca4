"""The DDPM point-cloud codec model (Spadaro et al., ICME 2025), as a composition of its parts:

    cloud (canonical) --PointNetEncoder--> latent --SharedCodebookVQ--> m indices ─┐ (payload)
    cloud --farthest points--> K anchors --snap to grid--> voxels ─────────────────┤ (payload)
    indices --dequantize--> latent ─┐                                              │
    voxels --cell centres--> anchors┴--Schedule.sample(PointwiseNet, seed)--> cloud

A rate is a pair (m sub-vectors, K anchors); one trained model serves all of them (training
draws the pair at random). The counted priors of the indices and of the octree bytes are
buffers of the model, filled from the training set after training (`count_priors`).
"""
from __future__ import annotations

import random

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .anchors import GRID_DEPTH, farthest_points, octree_symbols, snap, to_cells
from .diffusion import PointwiseNet, Schedule
from .pointnet import PointNetEncoder
from .vq import SharedCodebookVQ

TRAIN_SUBVECTORS = (4, 8, 16, 32)
TRAIN_ANCHORS = (0, 0, 16, 32, 64, 128)


class DDPMPointCloud(nn.Module):
    def __init__(self, latent_dim: int = 256, sub_dim: int = 8, codebook_size: int = 128,
                 diffusion_steps: int = 200, points: int = 1024):
        super().__init__()
        self.points = points
        self.encoder = PointNetEncoder(latent_dim)
        self.vq = SharedCodebookVQ(latent_dim, sub_dim, codebook_size)
        self.denoiser = PointwiseNet(latent_dim)
        self.schedule = Schedule(diffusion_steps)
        # Counted priors (+1 smoothing applied when coding): per sub-vector position, per level.
        self.register_buffer("index_counts", torch.zeros(self.vq.m_total, codebook_size))
        self.register_buffer("octree_counts", torch.zeros(GRID_DEPTH, 256))

    # ------------------------------------------------------------------ training
    def forward(self, clouds: torch.Tensor, train_points: int = 512,
                rate: tuple[int, int] | None = None) -> dict:
        """Losses of a batch of canonical clouds (B, N, 3) at one random (or given) rate."""
        m, k = rate or (random.choice(TRAIN_SUBVECTORS), random.choice(TRAIN_ANCHORS))
        latent, _, commit = self.vq(self.encoder(clouds), m)
        anchors = snap(farthest_points(clouds, k)) if k else None
        b, n, _ = clouds.shape
        pick = torch.stack([torch.randperm(n, device=clouds.device)[:train_points] for _ in range(b)])
        x0 = torch.gather(clouds, 1, pick.unsqueeze(-1).expand(-1, -1, 3))
        t = torch.randint(1, self.schedule.T + 1, (b,), device=clouds.device)
        noise = torch.randn_like(x0)
        eps = self.denoiser(self.schedule.noisy(x0, t, noise), self.schedule.beta(t, x0), latent, anchors)
        mse = F.mse_loss(eps, noise)
        return {"loss": mse + commit, "mse": mse, "commit": commit}

    # ------------------------------------------------------------------ coding
    @torch.no_grad()
    def analyse(self, cloud: np.ndarray, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Canonical (N, 3) cloud -> (m indices, unique anchor cells (n, 3))."""
        x = torch.from_numpy(np.ascontiguousarray(cloud, np.float32)).unsqueeze(0)
        idx = self.vq.indices(self.encoder(x), m)[0].numpy()
        if not k:
            return idx, np.zeros((0, 3), np.int64)
        return idx, to_cells(farthest_points(x.double(), k)[0].numpy())

    @torch.no_grad()
    def synthesise(self, idx: np.ndarray, anchor_points: np.ndarray, n_points: int, seed: int,
                   steps: int) -> np.ndarray:
        """Indices and anchor cell centres (canonical) -> (n_points, 3) float64 canonical cloud.
        Runs in float64 (a copy of the denoiser), so the result does not depend on thread count."""
        net = self._float64_denoiser()
        latent = self.vq.dequantize(torch.from_numpy(idx.astype(np.int64)).unsqueeze(0)).double()
        anchors = torch.from_numpy(anchor_points).unsqueeze(0) if len(anchor_points) else None
        return self.schedule.sample(net, latent, anchors, n_points, seed, steps)[0].numpy()

    def _float64_denoiser(self) -> PointwiseNet:
        cached = getattr(self, "_net64", None)
        if cached is None:
            import copy
            cached = copy.deepcopy(self.denoiser).double().eval()
            object.__setattr__(self, "_net64", cached)  # not a submodule: never saved
        return cached

    @torch.no_grad()
    def count_priors(self, clouds: np.ndarray, anchor_counts=(16, 32, 64, 128), batch: int = 64) -> None:
        """Fill the counted priors from canonical training clouds (B, N, 3)."""
        self.index_counts.zero_()
        self.octree_counts.zero_()
        for i in range(0, len(clouds), batch):
            x = torch.from_numpy(clouds[i:i + batch]).float()
            idx = self.vq.indices(self.encoder(x))
            self.index_counts += F.one_hot(idx, self.vq.k).sum(0).float()
            for k in anchor_counts:
                for anchors in farthest_points(x.double(), k).numpy():
                    for level, occ in enumerate(octree_symbols(to_cells(anchors))):
                        self.octree_counts[level] += torch.bincount(torch.from_numpy(occ), minlength=256).float()
