"""Fixed-point arithmetic with the semantics of the vendor's `ap_fixed<W, I, Q, O>` (Xilinx/AMD
HLS arbitrary-precision types), in NumPy int64: the specification the integer reference, the
exported headers and the C++ kernel share.

A value of type (W, I) is an integer `raw` of W bits meaning raw * 2^-(W - I): W total bits,
I integer bits (sign included when signed), F = W - I fractional bits.

- Quantization (dropping fractional bits): AP_TRN floors (the type's default); AP_RND rounds to
  nearest with ties toward +infinity (adds half an LSB, then floors), as `ap_fixed` does;
  AP_RND_CONV rounds ties to even (convergent), which is what torch.round, and so Brevitas's
  fake quantization, does: the activations use it, so fake quantization and the integer path
  agree on ties.
- Overflow: AP_WRAP keeps the low W bits (two's complement, the default); AP_SAT clamps to the
  type's range.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROUNDING = ("AP_TRN", "AP_RND", "AP_RND_CONV")
OVERFLOW = ("AP_WRAP", "AP_SAT")


@dataclass(frozen=True)
class FixedType:
    width: int
    int_bits: int
    signed: bool = True
    rounding: str = "AP_RND"
    overflow: str = "AP_SAT"

    def __post_init__(self):
        if not 1 <= self.width <= 62:
            raise ValueError("width must be 1..62 bits (int64 arithmetic holds every product)")
        if self.rounding not in ROUNDING or self.overflow not in OVERFLOW:
            raise ValueError(f"rounding in {ROUNDING}, overflow in {OVERFLOW}")

    @property
    def frac_bits(self) -> int:
        return self.width - self.int_bits

    @property
    def raw_min(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def raw_max(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    def cpp(self) -> str:
        """The C++ type, e.g. ap_fixed<16, 6, AP_RND, AP_SAT>."""
        base = "ap_fixed" if self.signed else "ap_ufixed"
        return f"{base}<{self.width}, {self.int_bits}, {self.rounding}, {self.overflow}>"

    # ------------------------------------------------------------------ conversions
    def from_real(self, x) -> np.ndarray:
        """Raw integers of real values (the rounding and overflow modes apply)."""
        scaled = np.asarray(x, np.float64) * float(2 ** self.frac_bits)
        raw = {"AP_RND": lambda v: np.floor(v + 0.5), "AP_RND_CONV": np.round, "AP_TRN": np.floor}[self.rounding](scaled)
        return self._overflow(raw.astype(np.int64))

    def as_dict(self) -> dict:
        return {"width": self.width, "int_bits": self.int_bits, "signed": self.signed,
                "rounding": self.rounding, "overflow": self.overflow}

    def to_real(self, raw) -> np.ndarray:
        return np.asarray(raw, np.int64).astype(np.float64) * 2.0 ** -self.frac_bits

    def from_raw(self, raw, frac_bits: int) -> np.ndarray:
        """Raw integers of this type from integers with `frac_bits` fractional bits (e.g. an
        accumulator): a shift with this type's rounding, then its overflow mode."""
        raw = np.asarray(raw, np.int64)
        shift = frac_bits - self.frac_bits
        if shift > 0:
            low = raw & np.int64((1 << shift) - 1)  # the dropped bits
            if self.rounding == "AP_RND":
                raw = raw + np.int64(1 << (shift - 1))
            raw = raw >> np.int64(shift)  # arithmetic shift: floor
            if self.rounding == "AP_RND_CONV":  # up above half, and at half when odd
                half = np.int64(1 << (shift - 1))
                raw = raw + ((low > half) | ((low == half) & (raw & 1 == 1)))
        elif shift < 0:
            raw = raw << np.int64(-shift)
        return self._overflow(raw)

    def _overflow(self, raw: np.ndarray) -> np.ndarray:
        if self.overflow == "AP_SAT":
            return np.clip(raw, self.raw_min, self.raw_max).astype(np.int64)
        span = np.int64(1) << np.int64(self.width)
        low = raw & (span - 1)
        if self.signed:
            low = np.where(low > self.raw_max, low - span, low)
        return low.astype(np.int64)
