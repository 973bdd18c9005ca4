"""Quality metrics on 8-bit RGB, as in CompressAI's results schema (per image, then averaged)."""
from __future__ import annotations

import math

import numpy as np


def psnr_rgb(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two HxWx3 uint8 images (MSE over all samples, peak 255)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(255**2 / mse)
