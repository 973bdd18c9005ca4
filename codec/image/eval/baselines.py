"""Classical codecs, offline, from registry packages: each maps (RGB array, quality) to real bytes.

Quality sweeps are chosen to cover about 0.1 to 2 bpp on Kodak. HEVC intra 4:4:4 (x265 through
pillow-heif) is the offline stand-in for BPG; JPEG XL needs the pillow-jxl-plugin package.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image


@dataclass
class Baseline:
    name: str
    description: str
    qualities: list
    save: Callable[[Image.Image, io.BytesIO, object], None]
    load: Callable[[io.BytesIO], Image.Image] = Image.open
    available: Callable[[], bool] = lambda: True


def _jpeg(subsampling):
    return lambda im, f, q: im.save(f, format="JPEG", quality=q, subsampling=subsampling, optimize=True)


def _heif_available() -> bool:
    try:
        import pillow_heif  # noqa: F401
        return True
    except ImportError:
        return False


def _heif_save(im, f, q):
    import pillow_heif
    pillow_heif.from_pillow(im).save(f, quality=q, chroma=444)


def _heif_load(f):
    import pillow_heif
    return pillow_heif.open_heif(f).to_pillow()


def _jxl_available() -> bool:
    try:
        import pillow_jxl  # noqa: F401  (registers the JXL format with Pillow)
        return True
    except ImportError:
        return False


def _pillow_has(feature):
    def check():
        from PIL import features
        return bool(features.check(feature))
    return check


_JPEG_Q = [1, 3, 5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 95]
BASELINES = {b.name: b for b in [
    Baseline("jpeg", "JPEG 4:2:0 (Pillow/libjpeg, optimized Huffman)", _JPEG_Q, _jpeg(2)),
    Baseline("jpeg444", "JPEG 4:4:4 (Pillow/libjpeg, optimized Huffman)", _JPEG_Q, _jpeg(0)),
    Baseline("webp", "WebP lossy (Pillow/libwebp, method 6)", [0, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95],
             lambda im, f, q: im.save(f, format="WEBP", quality=q, method=6), available=_pillow_has("webp")),
    Baseline("avif", "AVIF 4:4:4 (Pillow/libavif, speed 4)", [10, 20, 30, 40, 50, 60, 70, 80, 90],
             lambda im, f, q: im.save(f, format="AVIF", quality=q, subsampling="4:4:4", speed=4),
             available=_pillow_has("avif")),
    Baseline("jpeg2000", "JPEG 2000 (Pillow/OpenJPEG, 9/7 irreversible, colour transform, rate-controlled)",
             [240, 160, 120, 80, 60, 40, 30, 20, 12],  # compression ratios: 0.1 .. 2 bpp
             lambda im, f, r: im.save(f, format="JPEG2000", quality_mode="rates", quality_layers=[r],
                                      irreversible=True, mct=1), available=_pillow_has("jpg_2000")),
    Baseline("hevc444", "HEVC intra 4:4:4, x265 through pillow-heif (offline stand-in for BPG)",
             [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55], _heif_save, _heif_load, _heif_available),
    Baseline("jxl", "JPEG XL (pillow-jxl-plugin/libjxl)", [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90],
             lambda im, f, q: im.save(f, format="JXL", quality=q), available=_jxl_available),
]}


def code(baseline: Baseline, rgb: np.ndarray, quality) -> tuple[int, np.ndarray, float, float]:
    """Encode and decode one image: (file size in bytes, decoded RGB uint8, encode s, decode s)."""
    buf = io.BytesIO()
    t0 = time.perf_counter()
    baseline.save(Image.fromarray(rgb), buf, quality)
    t1 = time.perf_counter()
    size = buf.tell()
    buf.seek(0)
    with baseline.load(buf) as im:
        out = np.asarray(im.convert("RGB"))
    return size, out, t1 - t0, time.perf_counter() - t1
