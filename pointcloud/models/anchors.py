"""The local latent: a few anchor points on a voxel grid, which lift the fidelity ceiling that one
global latent sets.

    cloud --farthest point sampling--> K anchors --snap to a 2^D grid--> unique voxels
    voxels --octree occupancy bytes, level by level--> symbols (entropy coded with a counted prior)

The denoiser sees, for every point it moves, its offsets to the nearest anchors, so the points
it draws gather on the surface that the anchors pin down; more anchors, finer surface.
Anchors live in canonical coordinates (the cloud inside the unit ball), so the grid spans
[-1, 1] on each axis.
"""
from __future__ import annotations

import numpy as np
import torch

GRID_DEPTH = 6  # 64 cells per axis: a cell is 2/64 = 0.031 of the canonical diameter
NEIGHBOURS = 3  # nearest anchors each point sees
ANCHOR_FEATURES = 4 * NEIGHBOURS + 1  # offset and distance per neighbour, and "anchors present"


def farthest_points(points: torch.Tensor, k: int) -> torch.Tensor:
    """(B, N, 3) -> (B, k, 3): greedy farthest-point sampling from the point farthest from the
    centroid (deterministic: no random start)."""
    b, n, _ = points.shape
    dist = (points - points.mean(1, keepdim=True)).pow(2).sum(-1)
    chosen = torch.empty(b, k, dtype=torch.long, device=points.device)
    best = torch.full((b, n), float("inf"), dtype=points.dtype, device=points.device)
    for i in range(k):
        far = dist.argmax(1) if i == 0 else best.argmax(1)
        chosen[:, i] = far
        p = points[torch.arange(b), far].unsqueeze(1)
        best = torch.minimum(best, (points - p).pow(2).sum(-1))
    return points[torch.arange(b).unsqueeze(1), chosen]


def to_cells(points: np.ndarray, depth: int = GRID_DEPTH) -> np.ndarray:
    """Canonical coordinates -> integer cells in [0, 2^depth) per axis (unique, sorted)."""
    n = 1 << depth
    cells = np.clip(np.floor((points + 1.0) * (n / 2.0)), 0, n - 1).astype(np.int64)
    return np.unique(cells, axis=0)


def cell_centres(cells: np.ndarray, depth: int = GRID_DEPTH) -> np.ndarray:
    n = 1 << depth
    return (cells.astype(np.float64) + 0.5) * (2.0 / n) - 1.0


def snap(anchors: torch.Tensor, depth: int = GRID_DEPTH) -> torch.Tensor:
    """Anchors moved to their cell centres (training sees what the decoder will get)."""
    n = 1 << depth
    cells = torch.clamp(torch.floor((anchors + 1.0) * (n / 2.0)), 0, n - 1)
    return (cells + 0.5) * (2.0 / n) - 1.0


def local_features(x: torch.Tensor, anchors: torch.Tensor | None) -> torch.Tensor:
    """(B, N, 3) points, (B, K, 3) anchors or None -> (B, N, ANCHOR_FEATURES): offsets to and
    distances from the nearest anchors, nearest first; zeros (and the flag 0) without anchors."""
    b, n, _ = x.shape
    if anchors is None or anchors.shape[1] == 0:
        return x.new_zeros(b, n, ANCHOR_FEATURES)
    k = min(NEIGHBOURS, anchors.shape[1])
    d2 = (x.unsqueeze(2) - anchors.unsqueeze(1)).pow(2).sum(-1)  # (B, N, K)
    near = d2.topk(k, dim=2, largest=False).indices  # sorted, nearest first
    a = torch.gather(anchors.unsqueeze(1).expand(b, n, -1, 3), 2, near.unsqueeze(-1).expand(-1, -1, -1, 3))
    off = x.unsqueeze(2) - a  # (B, N, k, 3)
    feats = torch.cat([off, off.pow(2).sum(-1, keepdim=True).clamp_min(1e-12).sqrt()], -1).reshape(b, n, 4 * k)
    if k < NEIGHBOURS:  # fewer anchors than neighbours: repeat the farthest one
        feats = torch.cat([feats] + [feats[..., -4:]] * (NEIGHBOURS - k), -1)
    return torch.cat([feats, x.new_ones(b, n, 1)], -1)


# ---------------------------------------------------------------- octree occupancy symbols
def octree_symbols(cells: np.ndarray, depth: int = GRID_DEPTH) -> list[np.ndarray]:
    """Unique cells -> one array of occupancy bytes (1..255) per level, root first, each level's
    nodes in Morton order: bit c of a byte says whether child c (x, y, z bits) is occupied."""
    out = []
    for level in range(depth):
        shift = depth - level - 1
        parent = cells >> (shift + 1)
        child = ((cells >> shift) & 1)
        code = (child[:, 0] << 2) | (child[:, 1] << 1) | child[:, 2]
        keys = _morton(parent, level)
        order = np.unique(keys, return_inverse=True)
        occ = np.zeros(len(order[0]), np.int64)
        np.bitwise_or.at(occ, order[1], 1 << code)
        out.append(occ)
    return out


def cells_from_symbols(levels: list[np.ndarray], depth: int = GRID_DEPTH) -> np.ndarray:
    """Inverse of octree_symbols; raises ValueError when the symbols do not form a tree."""
    nodes = np.zeros((1, 3), np.int64)
    for level in range(depth):
        occ = levels[level]
        if len(occ) != len(nodes) or np.any(occ < 1) or np.any(occ > 255):
            raise ValueError("octree symbols do not match the tree")
        bits = (occ[:, None] >> np.arange(8)) & 1
        parent, child = np.nonzero(bits)
        offs = np.stack([(child >> 2) & 1, (child >> 1) & 1, child & 1], 1)
        nodes = nodes[parent] * 2 + offs
        nodes = nodes[np.argsort(_morton(nodes, level + 1), kind="stable")]
    return nodes


def children(occ: np.ndarray) -> int:
    """How many nodes the next level holds: the set bits of this level's occupancy bytes."""
    return int(((np.asarray(occ, np.int64)[:, None] >> np.arange(8)) & 1).sum())


def _morton(cells: np.ndarray, bits: int) -> np.ndarray:
    key = np.zeros(len(cells), np.int64)
    for b in range(bits):
        for axis in range(3):
            key |= ((cells[:, axis] >> b) & 1) << (3 * b + (2 - axis))
    return key
