"""Entropy coding of the payload's symbols with counted priors, through constriction's range
coder (MIT/Apache; a maintained Rust library with exact, platform-independent fixed-point
models). Probabilities come from integer counts (+1 each, so every symbol stays codable), which
makes the quantized model the same at the encoder and the decoder on every machine.

    (symbols, Prior) groups --range coder--> 32-bit words --> bytes (trailing zero bytes dropped)
"""
from __future__ import annotations

import numpy as np

from codec.errors import StrataError


class Prior:
    """A categorical distribution from counts (smoothed by +1)."""

    def __init__(self, counts):
        import constriction
        p = np.asarray(counts, np.float64) + 1.0
        self.model = constriction.stream.model.Categorical(p / p.sum(), perfect=False)
        self.size = len(p)


def encode(groups: list[tuple[np.ndarray, Prior]]) -> bytes:
    """Each group's symbols coded with its prior, groups in order, into one range-coded string."""
    import constriction
    enc = constriction.stream.queue.RangeEncoder()
    for symbols, prior in groups:
        if len(symbols):
            enc.encode(np.asarray(symbols, np.int32), prior.model)
    return enc.get_compressed().astype("<u4").tobytes().rstrip(b"\0")


class Decoder:
    """Reads groups back in the order they were written; each read names its prior and count."""

    def __init__(self, data: bytes):
        import constriction
        pad = (-len(data)) % 4
        words = np.frombuffer(data + b"\0" * pad, "<u4").astype(np.uint32)
        self._dec = constriction.stream.queue.RangeDecoder(words if len(words) else np.zeros(1, np.uint32))

    def read(self, prior: Prior, n: int) -> np.ndarray:
        if n == 0:
            return np.zeros(0, np.int64)
        try:
            return np.asarray(self._dec.decode(prior.model, n), np.int64)
        except Exception:
            raise StrataError("corrupt stream: the entropy-coded payload does not decode") from None


def pack_fixed(symbols, bits: int) -> bytes:
    """Symbols in `bits` bits each, most significant first, zero-padded to whole bytes."""
    v = 0
    for s in symbols:
        v = (v << bits) | int(s)
    n = len(symbols) * bits
    pad = (-n) % 8
    return (v << pad).to_bytes((n + pad) // 8, "big")


def unpack_fixed(data: bytes, count: int, bits: int) -> np.ndarray:
    """Inverse of pack_fixed; StrataError unless data is exactly that long."""
    if len(data) != (count * bits + 7) // 8:
        raise StrataError("corrupt stream: fixed-length indices of the wrong size")
    v = int.from_bytes(data, "big") >> ((-count * bits) % 8)
    mask = (1 << bits) - 1
    return np.array([(v >> (bits * (count - 1 - i))) & mask for i in range(count)], np.int64)
