"""The Draco baseline (Google's geometry codec, through DracoPy) at a given quantization.

Draco quantizes every coordinate to `bits` bits on the bounding cube (origin: the minimum
corner, range: the largest extent) but never merges the points that land on the same grid
position, so at low bit depths it codes hundreds of copies of a few points. As in the
low-rate Draco curves of the point-cloud compression literature, the points that the
quantization makes identical are merged before encoding (the grid is the one Draco uses, passed
to it explicitly). The rate is the size of Draco's output for the input's point count.
"""
from __future__ import annotations

import numpy as np


def draco_grid(points: np.ndarray, bits: int) -> tuple[np.ndarray, float]:
    origin = points.min(0)
    extent = float((points.max(0) - origin).max()) or 1.0
    return origin, extent


def merge_duplicates(points: np.ndarray, bits: int) -> np.ndarray:
    """One point per occupied cell of Draco's grid at this depth (the first, in input order)."""
    origin, extent = draco_grid(points, bits)
    cells = np.floor((points - origin) / extent * ((1 << bits) - 1) + 0.5).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    return points[np.sort(first)]


LEVELS = tuple(range(11))


def draco_code(points: np.ndarray, bits: int, levels=LEVELS) -> tuple[bytes, np.ndarray]:
    """(Draco bytes, decoded points) of a cloud at `bits` bits per coordinate: the smallest
    file over the compression levels."""
    import DracoPy
    pts = np.ascontiguousarray(points, np.float32)
    merged = merge_duplicates(pts.astype(np.float64), bits).astype(np.float32)
    origin, extent = draco_grid(pts.astype(np.float64), bits)
    data = min((DracoPy.encode(merged, quantization_bits=bits, compression_level=level,
                               quantization_range=extent, quantization_origin=origin.tolist())
                for level in levels), key=len)
    return data, np.asarray(DracoPy.decode(data).points, np.float64).reshape(-1, 3)
