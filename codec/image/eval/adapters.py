"""Evaluation of domain adapters: the same stream decoded with and without them.

For each image, one stream is encoded (an adapted model writes the plain model's bytes); each
quality is a real file: the whole single-rate stream, or a progressive stream cut to K layers
(trim). Each is decoded twice, with the gate's adapters and with the plain decoder, so the rate
is identical and only the distortion moves. The gate's weights are recorded per image (the
confusion matrix over domains comes from their argmax), and decode times with and without.
"""
from __future__ import annotations

import time

import numpy as np

from ...contract import LAYERS, DecodeOptions
from ...rd.bd import bd_rate
from ...registry import load_codec, model_info
from ...trim import trim
from ..metrics import bpp, psnr_rgb


def eval_adapted(model: str, images: list[tuple[str, np.ndarray]], layer_points: list[int] | None = None) -> list[dict]:
    """Rows (image, layers, bpp, psnr with adapters, psnr without, gate weights, decode seconds)."""
    from ... import api
    codec = load_codec(model)
    layered = LAYERS in model_info(model).codec.capabilities
    rows = []
    for name, rgb in images:
        data = api.encode(rgb, model)
        points = [k for k in (layer_points or [codec.n_layers]) if k <= codec.n_layers] if layered else [None]
        for k in points:
            stream = trim(data, layers=k)[0] if layered else data
            t = time.perf_counter()
            on, rep = api.decode_stream(stream, DecodeOptions())
            t_on = time.perf_counter() - t
            t = time.perf_counter()
            off, _ = api.decode_stream(stream, DecodeOptions(adapters=False))
            t_off = time.perf_counter() - t
            rows.append({"image": name, "layers": k, "bpp": bpp(len(stream), rgb),
                         "psnr_adapted": psnr_rgb(np.asarray(on.convert("RGB")), rgb),
                         "psnr_plain": psnr_rgb(np.asarray(off.convert("RGB")), rgb),
                         "gate": rep.extra["gate"], "decode_s_adapted": t_on, "decode_s_plain": t_off})
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    """Per quality (layer count): means over the images."""
    out = []
    for k in sorted({r["layers"] for r in rows}, key=lambda v: -1 if v is None else v):
        sel = [r for r in rows if r["layers"] == k]
        a, p = np.mean([r["psnr_adapted"] for r in sel]), np.mean([r["psnr_plain"] for r in sel])
        out.append({"layers": k, "images": len(sel), "bpp": round(float(np.mean([r["bpp"] for r in sel])), 4),
                    "psnr_plain": round(float(p), 3), "psnr_adapted": round(float(a), 3),
                    "gain_db": round(float(a - p), 3),
                    "decode_overhead": round(float(sum(r["decode_s_adapted"] for r in sel)
                                                   / sum(r["decode_s_plain"] for r in sel) - 1), 3)})
    return out


def bd_saving(summary: list[dict]) -> float | None:
    """BD-rate of the adapted curve against the plain one (negative: bits saved), in percent."""
    if len(summary) < 2:
        return None
    rate = [s["bpp"] for s in summary]
    return bd_rate(rate, [s["psnr_plain"] for s in summary], rate, [s["psnr_adapted"] for s in summary])


def confusion(rows_by_domain: dict[str, list[dict]], domains: list[str]) -> list[list[int]]:
    """counts[true domain][gate's top choice], one vote per image."""
    m = [[0] * len(domains) for _ in domains]
    for i, d in enumerate(rows_by_domain):
        seen = set()
        for r in rows_by_domain[d]:
            if r["image"] in seen:
                continue
            seen.add(r["image"])
            g = r["gate"]
            m[i][domains.index(max(g, key=g.get))] += 1
    return m
