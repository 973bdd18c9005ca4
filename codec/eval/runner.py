"""Run a codec over a folder of images and summarise it in CompressAI's results schema.

Rates are real file sizes (the whole Strata stream, header included) in bits per pixel; PSNR is
computed per image on 8-bit RGB output against the 8-bit RGB input, then averaged.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..image_codec import decode_stream, encode_picture
from ..image_io import read_image
from ..training.data import list_images
from .baselines import Baseline, code
from .metrics import psnr_rgb

MAX_PIXELS = 10**9


def load_folder(folder: str | Path) -> list[tuple[str, np.ndarray]]:
    files = list_images(Path(folder))
    if not files:
        raise FileNotFoundError(f"no images in {folder}")
    return [(p.name, read_image(p, MAX_PIXELS).rgb) for p in files]


def _row(name, nbytes, rgb, out, t_enc, t_dec):
    h, w = rgb.shape[:2]
    return {"image": name, "bpp": nbytes * 8 / (h * w), "psnr-rgb": psnr_rgb(out, rgb),
            "encoding_time": t_enc, "decoding_time": t_dec}


def eval_strata(model: str, images) -> list[dict]:
    from ..image_io import Picture
    rows = []
    for name, rgb in tqdm(images, desc=model, leave=False):
        pic = Picture(rgb, None, "RGB", 8)
        t0 = time.perf_counter()
        data = encode_picture(pic, model)
        t1 = time.perf_counter()
        img, _ = decode_stream(data)
        t2 = time.perf_counter()
        rows.append(_row(name, len(data), rgb, np.asarray(img), t1 - t0, t2 - t1))
    return rows


def eval_baseline(b: Baseline, quality: int, images) -> list[dict]:
    rows = []
    for name, rgb in images:
        t0 = time.perf_counter()
        size, out = code(b, rgb, quality)
        rows.append(_row(name, size, rgb, out, time.perf_counter() - t0, 0.0))
    return rows


def summarise(rows: list[dict]) -> dict:
    keys = ("bpp", "psnr-rgb", "encoding_time", "decoding_time")
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


def results_json(name: str, description: str, points: list[dict]) -> dict:
    """CompressAI results schema: one list per metric, one entry per rate point (sorted by bpp)."""
    points = sorted(points, key=lambda p: p["bpp"])
    keys = ("bpp", "psnr-rgb", "encoding_time", "decoding_time")
    return {"name": name, "description": description,
            "results": {k: [p[k] for p in points] for k in keys}}


def psnr_at(results: dict, bpp: float) -> float | None:
    """PSNR of a curve at a rate by linear interpolation; None outside the measured range."""
    r = results["results"]
    xs, ys = np.asarray(r["bpp"]), np.asarray(r["psnr-rgb"])
    order = np.argsort(xs)
    xs, ys = xs[order], ys[order]
    if bpp < xs[0] or bpp > xs[-1]:
        return None
    return float(np.interp(bpp, xs, ys))
