"""Run a codec over a folder of images and summarise it in CompressAI's results schema.

Rates are real file sizes (the whole Strata stream, header included) in bits per pixel; PSNR and
MS-SSIM are computed per image on 8-bit RGB output against the 8-bit RGB input, then averaged.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ...api import decode_stream, encode_item
from ...container import Kind
from ...contract import ADAPTERS, EFFORT, LAYERS, EncodeOptions
from ...registry import list_models, model_info
from ...trim import trim
from ..io import Picture, list_images, read_image
from ..metrics import bpp, ms_ssim_rgb, psnr_rgb
from .baselines import Baseline, code

MAX_PIXELS = 10**9
METRICS = ("bpp", "psnr-rgb", "ms-ssim-rgb", "encoding_time", "decoding_time")


def single_rate_family() -> list:
    """The current single-rate models (ModelInfo), the curve every single-rate figure is of;
    adapted variants decode the same files and are evaluated by tools/eval_adapters.py."""
    return [m for m in list_models(current_only=True, kind=Kind.IMAGE)
            if EFFORT in m.codec.capabilities and ADAPTERS not in m.codec.capabilities]


def load_folder(folder: str | Path) -> list[tuple[str, np.ndarray]]:
    """All images of a folder as 8-bit RGB (the CLI's input policy). Clear errors on bad input."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"image folder not found: {folder}")
    files = list_images(folder)
    if not files:
        raise FileNotFoundError(f"no images in {folder}")
    return [(p.name, read_image(p, MAX_PIXELS).rgb) for p in files]


def _row(name, point, nbytes, rgb, out, t_enc, t_dec):
    return {"image": name, "point": point, "bpp": bpp(nbytes, rgb), "psnr-rgb": psnr_rgb(out, rgb),
            "ms-ssim-rgb": ms_ssim_rgb(out, rgb), "encoding_time": t_enc, "decoding_time": t_dec}


def eval_strata(model: str, images, effort: int = 0, every_layer: bool = True) -> list[dict]:
    """Encode each image with a Strata model and decode it. Layered models (every_layer): one
    full file per image, decoded truncated at every layer end (the bytes `strata trim` keeps),
    point k = the first k layers, encoding time that of the full file; other models: one point."""
    layered = every_layer and LAYERS in model_info(model).codec.capabilities
    rows = []
    for name, rgb in tqdm(images, desc=model, leave=False):
        t0 = time.perf_counter()
        data, _ = encode_item(Picture(rgb, None, "RGB", 8), model, EncodeOptions(effort=effort))
        t_enc = time.perf_counter() - t0
        cuts = [(trim(data, layers=k)[0], f"{model}@{k:02d}") for k in range(trim(data, layers=0)[2] + 1)] \
            if layered else [(data, model)]
        for prefix, point in cuts:
            t1 = time.perf_counter()
            img, _ = decode_stream(prefix)
            t2 = time.perf_counter()
            rows.append(_row(name, point, len(prefix), rgb, np.asarray(img), t_enc, t2 - t1))
    return rows


def eval_baseline(b: Baseline, quality, images) -> list[dict]:
    rows = []
    for name, rgb in images:
        size, out, t_enc, t_dec = code(b, rgb, quality)
        rows.append(_row(name, quality, size, rgb, out, t_enc, t_dec))
    return rows


def summarise(rows: list[dict]) -> dict:
    out = {}
    for k in METRICS:
        vals = [r[k] for r in rows if r[k] is not None]
        out[k] = float(np.mean(vals)) if len(vals) == len(rows) else None
    return out


def results_json(name: str, description: str, rows: list[dict], per_image: bool = False) -> dict:
    """CompressAI results schema: one list per metric, one entry per rate point (sorted by bpp)."""
    points = {}
    for r in rows:
        points.setdefault(str(r["point"]), []).append(r)
    summary = sorted(((p, summarise(rs)) for p, rs in points.items()), key=lambda t: t[1]["bpp"])
    res = {"name": name, "description": description,
           "results": {k: [s[k] for _, s in summary] for k in METRICS}}
    res["results"]["points"] = [p for p, _ in summary]
    if per_image:
        res["per_image"] = rows
    return res


def psnr_at(results: dict, bpp: float) -> float | None:
    """PSNR of a curve at a rate by linear interpolation; None outside the measured range."""
    r = results["results"]
    xs, ys = np.asarray(r["bpp"]), np.asarray(r["psnr-rgb"])
    order = np.argsort(xs)
    xs, ys = xs[order], ys[order]
    if bpp < xs[0] or bpp > xs[-1]:
        return None
    return float(np.interp(bpp, xs, ys))
