"""Bjontegaard delta rate and delta PSNR (VCEG-M33).

Method, stated with every figure: a cubic polynomial is fitted to log(rate) as a function of PSNR
(BD-rate) or PSNR as a function of log(rate) (BD-PSNR) for each curve; the difference of the
integrals over the overlapping interval, divided by its width, is the mean log-rate (or PSNR)
gap. BD-rate is exp(gap) - 1 in percent: negative means the test curve needs fewer bits.
"""
from __future__ import annotations

import numpy as np

METHOD = "Bjontegaard (VCEG-M33): cubic polynomial fit of log-rate over PSNR, overlapping PSNR range"


def _integral_gap(x_a, y_a, x_b, y_b) -> float | None:
    """Mean of (fit_b - fit_a) over the overlap of the x ranges; None without overlap."""
    lo, hi = max(min(x_a), min(x_b)), min(max(x_a), max(x_b))
    if hi <= lo:
        return None
    deg_a, deg_b = min(3, len(x_a) - 1), min(3, len(x_b) - 1)
    pa, pb = np.polyint(np.polyfit(x_a, y_a, deg_a)), np.polyint(np.polyfit(x_b, y_b, deg_b))
    area_a = np.polyval(pa, hi) - np.polyval(pa, lo)
    area_b = np.polyval(pb, hi) - np.polyval(pb, lo)
    return float((area_b - area_a) / (hi - lo))


def _check(rate, psnr):
    rate, psnr = np.asarray(rate, float), np.asarray(psnr, float)
    if len(rate) < 2 or len(rate) != len(psnr) or (rate <= 0).any():
        raise ValueError("a curve needs at least two points with positive rates")
    return rate, psnr


def bd_rate(rate_ref, psnr_ref, rate_test, psnr_test) -> float | None:
    """Percent rate change of test vs reference at equal PSNR (None without overlap or with fewer than two points)."""
    if min(len(rate_ref), len(rate_test)) < 2:
        return None
    r1, p1 = _check(rate_ref, psnr_ref)
    r2, p2 = _check(rate_test, psnr_test)
    gap = _integral_gap(p1, np.log(r1), p2, np.log(r2))
    return None if gap is None else float((np.exp(gap) - 1) * 100)


def bd_psnr(rate_ref, psnr_ref, rate_test, psnr_test) -> float | None:
    """PSNR change in dB of test vs reference at equal rate (None without overlap or with fewer than two points)."""
    if min(len(rate_ref), len(rate_test)) < 2:
        return None
    r1, p1 = _check(rate_ref, psnr_ref)
    r2, p2 = _check(rate_test, psnr_test)
    return _integral_gap(np.log(r1), p1, np.log(r2), p2)
