"""Image arrays <-> model strings: padding to the stride, the model's coding calls, cropping.

    HxWx3 uint8 --pad to STRIDE--> model: analyse + compress_latent (+ residual layers) --> strings
    strings --decompress_latent (exact)--> latent --synthesise--> crop --> clamp/round --> uint8

The container, alpha plane and options live in codecs.py; this module knows tensors and strings.
"""
from __future__ import annotations

import hashlib

import numpy as np
import torch
import torch.nn.functional as F

from .models.hyperprior import STRIDE
from .models.latent_refinement import refine_latent


def _to_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(rgb, dtype=np.float32)).permute(2, 0, 1)[None].div_(255)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    return x[0].clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).contiguous().numpy()


def padded(rgb: np.ndarray) -> torch.Tensor:
    """Replicate padding to the model stride: cheaper to code than zeros, cropped at decode."""
    h, w = rgb.shape[:2]
    return F.pad(_to_tensor(rgb), (0, -w % STRIDE, 0, -h % STRIDE), mode="replicate")


def z_shape(width: int, height: int) -> tuple[int, int]:
    return -(-height // STRIDE), -(-width // STRIDE)


def compress_single(model, rgb: np.ndarray, refine_steps: int = 0, lmbda: float | None = None) -> tuple[bytes, bytes]:
    """HxWx3 uint8 -> (z string, y string) with a single-rate model. refine_steps > 0: refine
    the latent for this image at lambda first (latent_refinement.py)."""
    x = padded(rgb)
    refine = (lambda y, scales, means: refine_latent(model, x, y, scales, means, lmbda, refine_steps,
                                                     *rgb.shape[:2])) if refine_steps else None
    z_string, y_string, *_ = model.compress_latent(model.analyse(x), refine)
    return z_string, y_string


def compress_progressive(model, rgb: np.ndarray) -> tuple[bytes, bytes, list[bytes]]:
    """HxWx3 uint8 -> (z string, base y string, [every residual layer string])."""
    z_string, y_string, _, layers = model.compress(padded(rgb))
    return z_string, y_string, layers


def latent_sha256(latent: torch.Tensor) -> str:
    """Hash of a decoded latent (shape and float32 values): what conformance checks on any backend."""
    h = hashlib.sha256(str(tuple(latent.shape)).encode())
    h.update(latent.float().contiguous().numpy().tobytes())
    return h.hexdigest()


def cropped_uint8(x: torch.Tensor, width: int, height: int) -> np.ndarray:
    """A synthesis output (padded, unclamped) -> HxWx3 uint8 of the image's size."""
    return to_uint8(x[..., :height, :width])
