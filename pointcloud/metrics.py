"""Geometry distortion between an original and a decoded cloud, in original coordinates.

- Chamfer, reference convention (Spadaro et al.): the sum over the points of A of the squared
  distance to the nearest point of B, plus the same from B to A.
- Chamfer, mean convention: the two directions' mean squared distances, added.
- D1 point-to-point PSNR (MPEG's pc_error convention): 10 log10(3 peak^2 / max(mse_AB, mse_BA)),
  the peak being the diagonal of the original's bounding box (stated in every report).
"""
from __future__ import annotations

import numpy as np


def _nearest_sq(a: np.ndarray, b: np.ndarray, block: int = 2048) -> np.ndarray:
    """For each point of a, the squared distance to its nearest point of b (blocked, exact)."""
    out = np.empty(len(a))
    bb = (b * b).sum(1)
    for i in range(0, len(a), block):
        x = a[i:i + block]
        d = (x * x).sum(1)[:, None] - 2 * x @ b.T + bb[None]
        out[i:i + block] = np.maximum(d.min(1), 0.0)
    return out


def distortion(original: np.ndarray, decoded: np.ndarray) -> dict:
    a, b = np.asarray(original, np.float64), np.asarray(decoded, np.float64)
    ab, ba = _nearest_sq(a, b), _nearest_sq(b, a)
    peak = float(np.linalg.norm(a.max(0) - a.min(0)))
    worst = max(ab.mean(), ba.mean())
    return {
        "chamfer_sum": float(ab.sum() + ba.sum()),
        "chamfer_mean": float(ab.mean() + ba.mean()),
        "d1_psnr": float("inf") if worst == 0 else float(10 * np.log10(3 * peak ** 2 / worst)),
        "peak": peak,
    }
