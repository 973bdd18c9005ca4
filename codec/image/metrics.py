"""Quality metrics on 8-bit RGB, as in CompressAI's results schema (per image, then averaged)."""
from __future__ import annotations

import math

import numpy as np
import torch

MS_SSIM_MIN_SIDE = 161  # 5 scales of an 11-tap window need more than (11 - 1) * 2**4 pixels


def bpp(nbytes: int, image: np.ndarray) -> float:
    """Bits per pixel of nbytes for an HxW(xC) image."""
    return nbytes * 8 / (image.shape[0] * image.shape[1])


def psnr_rgb(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two HxWx3 uint8 images (MSE over all samples, peak 255)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(255**2 / mse)


def ms_ssim_rgb(a: np.ndarray, b: np.ndarray) -> float | None:
    """MS-SSIM on RGB (pytorch-msssim, data range 255); None for images too small for 5 scales."""
    if min(a.shape[:2]) < MS_SSIM_MIN_SIDE:
        return None
    from pytorch_msssim import ms_ssim
    t = lambda x: torch.from_numpy(np.array(x, dtype=np.float32)).permute(2, 0, 1)[None]
    return float(ms_ssim(t(a), t(b), data_range=255))
