"""Keep CompressAI's rANS decoder inside its buffer on hostile input.

CompressAI's C++ decoder reads 32-bit words with no bounds check. A valid string is read exactly to
its end; a forged one makes it read past the end (its bypass mode even lets the data choose how
many words to read), which can fault. We therefore hand it the string followed by zeros, enough
that every read a forged string can cause lands in them: each decoded symbol reads at most four
bytes once the data is exhausted, and bypass runs read from the data are bounded by a constant
times its length. Zero words also end bypass runs, so decoding a forged string terminates.
Valid strings decode exactly as before, since the decoder never reaches the padding.
"""
from __future__ import annotations

from ...errors import StrataError

BYTES_PER_SYMBOL = 16  # upper bound of reads per symbol past the data
BYTES_PER_DATA_BYTE = 128  # upper bound of bypass-run reads caused per byte of data
SLACK = 4096


def max_string_bytes(n_symbols: int) -> int:
    """8 bits per latent element: several times what even pure noise costs a shipped model."""
    return n_symbols + SLACK


def padded(string: bytes, n_symbols: int) -> bytes:
    """The string with a zero guard; refuses strings far longer than any real one could be."""
    if len(string) > max_string_bytes(n_symbols):
        raise StrataError("corrupt stream: latent chunk is too long for the image size")
    return string + bytes(BYTES_PER_SYMBOL * n_symbols + BYTES_PER_DATA_BYTE * len(string) + SLACK)
