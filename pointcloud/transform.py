"""The canonical frame of the model and the resampling to its point count.

- Canonical frame: centred on the bounding-box centre and scaled so that the farthest point is
  at distance 1 (the cloud fills the unit ball). Centre and scale travel in the stream, so
  decoding returns original coordinates. At a few hundred bits per cloud the frame must be
  small: the scale is sent as log2 in steps of 1/1024 octave (0.034% at most), the centre in
  steps of scale/1024 (0.05% of the cloud's radius), each a zig-zag varint (about 7 bytes in
  all, where four float32 take 16). Both ends use the quantized frame.
- Resampling: a cloud with more points than the model takes is subsampled without replacement,
  one with fewer is completed by repeating points drawn with replacement; both from a fixed seed,
  so the same file always gives the same stream. Uniform random subsampling keeps the density of
  the input (farthest-point sampling would flatten it and costs O(N * n) on large inputs).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from codec.errors import StrataError

RESAMPLE_SEED = 20250
STEPS = 1024  # per octave of scale, and per scale of centre
MAX_CODE = 1 << 62


@dataclass(frozen=True)
class Frame:
    scale_code: int  # round(log2(scale) * STEPS)
    centre_code: tuple[int, int, int]  # round(centre / scale * STEPS)

    @property
    def scale(self) -> float:
        return 2.0 ** (self.scale_code / STEPS)

    @property
    def centre(self) -> np.ndarray:
        return np.asarray(self.centre_code, np.float64) * (self.scale / STEPS)

    @staticmethod
    def of(points: np.ndarray) -> "Frame":
        p = points.astype(np.float64)
        mid = (p.min(0) + p.max(0)) / 2
        r = float(np.sqrt(((p - mid) ** 2).sum(1)).max())
        # the radius, 1/2048 larger: the quantized centre may move the farthest point out by that
        code = round(math.log2(r * (1 + 0.5 / STEPS)) * STEPS) + 1 if r > 0 else 0
        scale = 2.0 ** (code / STEPS)
        centre = np.round(mid / scale * STEPS)
        if np.abs(centre).max() >= MAX_CODE:
            raise StrataError("the cloud lies too far from the origin for its size to be coded")
        return Frame(code, tuple(int(c) for c in centre))

    def to_canonical(self, points: np.ndarray) -> np.ndarray:
        return (points.astype(np.float64) - self.centre) / self.scale

    def from_canonical(self, points: np.ndarray) -> np.ndarray:
        return points.astype(np.float64) * self.scale + self.centre

    def pack(self) -> bytes:
        return b"".join(_varint(v) for v in (self.scale_code, *self.centre_code))

    @staticmethod
    def unpack(data: bytes, pos: int = 0) -> tuple["Frame", int]:
        """(frame, position after it); StrataError when the bytes are not a frame."""
        values = []
        for _ in range(4):
            v, pos = _read_varint(data, pos)
            values.append(v)
        if abs(values[0]) > 128 * STEPS:
            raise StrataError("corrupt stream: the coordinate frame is out of range")
        return Frame(values[0], tuple(values[1:])), pos


def _varint(v: int) -> bytes:
    z = (v << 1) if v >= 0 else ((-v) << 1) - 1  # zig-zag: small magnitudes, few bytes
    out = bytearray()
    while True:
        out.append((z & 0x7F) | (0x80 if z > 0x7F else 0))
        z >>= 7
        if not z:
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    z, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise StrataError("corrupt stream: the coordinate frame is truncated or malformed")
        b = data[pos]
        pos += 1
        z |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return (z >> 1) if not z & 1 else -((z + 1) >> 1), pos


def resample(points: np.ndarray, n: int) -> np.ndarray:
    """Exactly n points of the cloud (see the module docstring)."""
    if len(points) == n:
        return points
    rng = np.random.default_rng(RESAMPLE_SEED)
    if len(points) > n:
        return points[np.sort(rng.choice(len(points), n, replace=False))]
    return np.concatenate([points, points[rng.integers(0, len(points), n - len(points))]])
