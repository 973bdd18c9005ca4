"""Entropy coding of a gathered list of latent elements (one residual layer).

A residual layer carries only the elements it adds, so it is coded as a flat list: symbols with
their scale-table indexes, through the same rANS coder and the same shipped CDF tables as the
Gaussian conditional of the base latent. Decoding hands the string to the coder with the zero
guard of rans_guard, so forged layers cannot make it read outside its buffer.
"""
from __future__ import annotations

import numpy as np
import torch

from ...errors import StrataError
from .compressai_parts import RansDecoder, RansEncoder, rans_tables
from .rans_guard import max_string_bytes, padded


class ElementCoder:
    def __init__(self, gaussian_conditional):
        self.cdfs, self.lengths, self.offsets = rans_tables(gaussian_conditional)

    def encode(self, symbols: torch.Tensor, indexes: torch.Tensor) -> bytes:
        """symbols: integer-valued tensor; indexes: scale-table indexes, same numel."""
        string = RansEncoder().encode_with_indexes(
            symbols.reshape(-1).int().tolist(), indexes.reshape(-1).int().tolist(),
            self.cdfs, self.lengths, self.offsets)
        if len(string) > max_string_bytes(indexes.numel()):  # the decoder would refuse it
            raise StrataError("image cannot be coded within the latent size limit")
        return string

    def decode(self, string: bytes, indexes: torch.Tensor) -> torch.Tensor:
        """Symbols (float32, integer-valued) in the order of indexes."""
        n = indexes.numel()
        values = RansDecoder().decode_with_indexes(
            padded(string, n), indexes.reshape(-1).int().tolist(), self.cdfs, self.lengths, self.offsets)
        return torch.from_numpy(np.array(values, dtype=np.float32))
