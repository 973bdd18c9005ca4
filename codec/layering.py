"""Choosing how many layers of a layered stream to keep: the one search behind `strata trim`
and the encoder's --bpp / --psnr targets."""
from __future__ import annotations

from typing import Callable, Sequence


def most_layers_within(sizes: Sequence[int], budget: float) -> int | None:
    """sizes[k]: bytes of the stream with k layers (non-decreasing). The most layers whose
    stream fits the budget, or None when even the stream without layers does not."""
    fits = [k for k, s in enumerate(sizes) if s <= budget]
    return max(fits) if fits else None


def fewest_layers_reaching(n: int, reaches: Callable[[int], bool]) -> int:
    """The fewest layers k in 0..n with reaches(k), assuming quality rises with k (binary search,
    about log2(n) decodes); n when none reaches."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if reaches(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo
