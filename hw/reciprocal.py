"""The fixed-point reciprocal that replaces the GDN's division in hardware.

For a positive fixed-point d (raw integer with F fractional bits), 1/d is computed as an FPGA
would, with no divider:

    d = m * 2^e, m in [1, 2)   (leading-one detection: a priority encoder)
    r0 = LUT[top `index_bits` bits of m's fraction]   (1/m at the centre of the entry's interval)
    r1 = r0 * (2 - m * r0)     (optional Newton-Raphson steps, each squaring the relative error)
    1/d = r * 2^-e             (a shift)

Error bound, LUT only: the entry's interval is 2^-index_bits wide and 1/m has slope at most 1
there, so |r0 - 1/m| <= 2^-(index_bits+1) plus the LUT's rounding 2^-(lut_frac_bits+1);
relative to 1/m >= 1/2 that is at most 2^-index_bits + 2^-lut_frac_bits. One Newton step makes
the relative error e0^2 (plus rounding). `relative_error_bound` states it; the tests check it
exhaustively against every input of a type.
"""
from __future__ import annotations

import numpy as np


class Reciprocal:
    def __init__(self, index_bits: int = 8, lut_frac_bits: int = 16, newton_steps: int = 1,
                 work_frac_bits: int = 24):
        self.index_bits, self.lut_frac_bits = index_bits, lut_frac_bits
        self.newton_steps, self.work_frac_bits = newton_steps, work_frac_bits
        centres = 1.0 + (np.arange(1 << index_bits) + 0.5) / (1 << index_bits)
        self.lut = np.floor(2.0 ** lut_frac_bits / centres + 0.5).astype(np.int64)  # 1/m, m in [1, 2)

    def relative_error_bound(self) -> float:
        e0 = 2.0 ** -self.index_bits + 2.0 ** -self.lut_frac_bits
        for _ in range(self.newton_steps):
            e0 = e0 * e0 + 4 * 2.0 ** -self.work_frac_bits  # the square, plus the products' rounding
        return e0

    def __call__(self, d_raw, d_frac_bits: int, out_frac_bits: int) -> np.ndarray:
        """Raw integers (out_frac_bits fractional bits, rounded) of 1/d, d = d_raw * 2^-d_frac_bits > 0."""
        d = np.asarray(d_raw, np.int64)
        if np.any(d <= 0):
            raise ValueError("the reciprocal takes positive inputs (the GDN's beta keeps them so)")
        msb = _msb(d)  # d in [2^msb, 2^(msb+1))
        W = self.work_frac_bits
        # m = d / 2^msb in [1, 2), with W fractional bits
        m = np.where(msb >= W, d >> np.maximum(msb - W, 0), d << np.maximum(W - msb, 0))
        idx = (m >> (W - self.index_bits)) & ((1 << self.index_bits) - 1)
        r = self.lut[idx] << (W - self.lut_frac_bits)  # 1/m with W fractional bits
        one2 = np.int64(2) << W
        for _ in range(self.newton_steps):
            mr = (m * r + (1 << (W - 1))) >> W
            r = (r * (one2 - mr) + (1 << (W - 1))) >> W
        # 1/d = r * 2^-W / m... = (1/m) * 2^-(msb - d_frac_bits)
        shift = W + msb - d_frac_bits - out_frac_bits  # r has W fractional bits of 1/m
        pos = np.maximum(shift, 0)
        rounded = (r + np.where(pos > 0, np.int64(1) << np.maximum(pos - 1, 0), 0)) >> pos
        return np.where(shift >= 0, rounded, r << np.maximum(-shift, 0))


def _msb(x: np.ndarray) -> np.ndarray:
    """Index of the highest set bit of positive int64 values (a priority encoder)."""
    out = np.zeros(x.shape, np.int64)
    v = x.copy()
    for s in (32, 16, 8, 4, 2, 1):
        hi = v >= (np.int64(1) << s)
        out += np.where(hi, s, 0)
        v = np.where(hi, v >> s, v)
    return out
