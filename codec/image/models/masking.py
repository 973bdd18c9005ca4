"""Variance-aware masking: which residual element goes in which layer.

Residual elements are sent most-uncertain first: sorted by their predicted std, largest first,
and the sorted list is cut into layers at fixed fractions. Encoder and decoder must agree on this
order exactly, on every machine, from any prefix of the stream. Two rules make that hold by
construction:

- the stds come from the integer-exact path (exact.py), so they are multiples of 2**-A_BITS that
  are bit-identical everywhere; the sort key is that integer (`std_key`), not a float;
- the key is made unique by folding in the element's position (ties go in raster order,
  channel-major), so any correct sort, stable or not, gives the same permutation.

A std perturbed by less than half a key step rounds to the same key, so float drift upstream of
the exact path cannot move an element between layers (tested).
"""
from __future__ import annotations

import torch

from .exact import A_BITS

KEY_MAX = (1 << 24) - 1  # stds above 2**(24 - A_BITS) = 65536 share one key (none reach it)
FRACTION_UNIT = 10_000  # layer bounds are integers in units of 1/10000 of the residual elements


def std_key(scales: torch.Tensor) -> torch.Tensor:
    """Integer sort key of each std: round(std * 2**A_BITS), clamped to [0, KEY_MAX]."""
    return torch.floor(scales.double() * 2**A_BITS + 0.5).clamp_(0, KEY_MAX).long()


def rank_order(scales: torch.Tensor) -> torch.Tensor:
    """Flat indexes of the elements of one image's residual (C x H x W or 1 x C x H x W), in
    sending order: largest std first, ties in raster order. Deterministic by construction."""
    key = std_key(scales).flatten()
    n = key.numel()
    unique = (KEY_MAX - key) * n + torch.arange(n, dtype=torch.long)  # < 2**24 * 2**39: fits int64
    return torch.argsort(unique)


def layer_counts(n: int, bounds: list[int]) -> list[int]:
    """Cumulative element counts at each layer end: floor(n * bound / FRACTION_UNIT), exact."""
    return [n * b // FRACTION_UNIT for b in bounds]


def ranks(scales: torch.Tensor) -> torch.Tensor:
    """Training form: for a batch B x C x H x W of stds, each element's position in its image's
    sending order as a fraction in [0, 1). Float sort (no exactness needed for training)."""
    flat = scales.detach().flatten(1)
    n = flat.shape[1]
    order = torch.argsort(flat, dim=1, descending=True, stable=True)
    pos = torch.empty_like(order)
    pos.scatter_(1, order, torch.arange(n, device=flat.device).expand_as(order))
    return (pos.float() / n).view_as(scales)
