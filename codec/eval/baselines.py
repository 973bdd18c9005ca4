"""Classical codecs through Pillow, offline: each maps (RGB array, quality) to real file bytes."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image


@dataclass
class Baseline:
    name: str
    description: str
    qualities: list[int]
    save: Callable[[Image.Image, io.BytesIO, int], None]


def _jpeg(subsampling):
    return lambda im, f, q: im.save(f, format="JPEG", quality=q, subsampling=subsampling, optimize=True)


BASELINES = {
    "jpeg": Baseline("jpeg", "JPEG 4:2:0 (Pillow/libjpeg, optimized Huffman)",
                     [5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 95], _jpeg(2)),
    "jpeg444": Baseline("jpeg444", "JPEG 4:4:4 (Pillow/libjpeg, optimized Huffman)",
                        [5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 95], _jpeg(0)),
    "webp": Baseline("webp", "WebP lossy (Pillow/libwebp, method 6)",
                     [0, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95],
                     lambda im, f, q: im.save(f, format="WEBP", quality=q, method=6)),
}


def code(baseline: Baseline, rgb: np.ndarray, quality: int) -> tuple[int, np.ndarray]:
    """Encode and decode one image; returns (file size in bytes, decoded RGB uint8)."""
    buf = io.BytesIO()
    baseline.save(Image.fromarray(rgb), buf, quality)
    size = buf.tell()
    buf.seek(0)
    with Image.open(buf) as im:
        return size, np.asarray(im.convert("RGB"))
