"""Validation of a model in training by real coding through the codec contract: rates from the
stream sizes (header included), PSNR on 8-bit output, at chosen layer counts."""
from __future__ import annotations

import copy

import numpy as np
import torch

from ... import container
from ...contract import DecodeOptions, EncodeOptions
from ...registry import ModelInfo, codec_class
from ..io import Picture
from ..metrics import psnr_rgb


@torch.no_grad()
def validate(model, architecture: str, images: list[np.ndarray], points: dict[str, int | None]) -> dict:
    """{point: {"bpp", "psnr"}} averaged over images; points: name -> layers used (None: all)."""
    res = coded_points(model, architecture, images, points)
    return {k: {s: float(np.mean(v)) for s, v in d.items()} for k, d in res.items()}


@torch.no_grad()
def coded_points(model, architecture: str, images: list[np.ndarray], points: dict[str, int | None]) -> dict:
    """{point: {"bpp": [per image], "psnr": [per image]}} by real coding of a copy of the model."""
    m = copy.deepcopy(model).float().eval()
    m.update()
    info = ModelInfo("in-training", architecture, {}, "", "00" * 32)
    codec = codec_class(architecture)(info, m)
    res = {k: {"bpp": [], "psnr": []} for k in points}
    for im in images:
        data, _ = codec.encode(Picture(im, None, "RGB", 8), EncodeOptions())
        stream = container.parse(data, max_pixels=1 << 62)
        for key, k in points.items():
            img, rep = codec.decode(stream, DecodeOptions(layers=k))
            kept = stream.without(codec.layer_chunk) + [(codec.layer_chunk, p) for p in codec.layers(stream)[:rep.layers]] \
                if rep.layers is not None else stream.chunks
            res[key]["psnr"].append(psnr_rgb(np.asarray(img.convert("RGB")), im))
            res[key]["bpp"].append(stream.header.rate(container.packed_size(stream.header, kept)))
    return res


def val_line(v: dict) -> str:
    return ", ".join(f"{k} {d['bpp']:.3f} bpp {d['psnr']:.2f} dB" for k, d in v.items())
