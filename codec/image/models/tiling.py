"""Tiled application of a fully convolutional transform, without seams.

Large images (4K and up) would need several GiB for the full-resolution activations of g_a and
g_s. We run the transform on overlapping tiles: each tile carries a margin wider than the
transform's receptive field, and only its centre is kept, so the stitched output equals the
untiled one up to floating-point rounding: no seams. The tile grid depends only on the input
size, so encoder and decoder (and every machine) tile identically.
"""
from __future__ import annotations

import torch

TILE_IN = 1024  # tile size, in pixels of the image side of the transform
MARGIN_IN = 64  # margin, in image pixels: the receptive field of g_a / g_s is ~30 px


def tiled_apply(fn, x: torch.Tensor, scale: float, tile: int | None = None) -> torch.Tensor:
    """Apply fn (output size = input size * scale) over tiles of x (tile: image pixels a side).

    scale < 1 for analysis (image -> latent), > 1 for synthesis (latent -> image).
    """
    img_side = scale < 1  # is x on the image side?
    tile = tile or TILE_IN
    tile = tile if img_side else int(tile / scale)
    margin = MARGIN_IN if img_side else int(MARGIN_IN / scale)
    H, W = x.shape[-2:]
    if H <= tile and W <= tile:
        return fn(x)
    out = None
    for top in range(0, H, tile):
        for left in range(0, W, tile):
            t0, l0 = max(top - margin, 0), max(left - margin, 0)
            t1, l1 = min(top + tile + margin, H), min(left + tile + margin, W)
            y = fn(x[..., t0:t1, l0:l1])
            if out is None:
                out = y.new_empty(*y.shape[:2], round(H * scale), round(W * scale))
            ct, cl = round((top - t0) * scale), round((left - l0) * scale)
            h = round(min(tile, H - top) * scale)
            w = round(min(tile, W - left) * scale)
            out[..., round(top * scale):round(top * scale) + h,
                round(left * scale):round(left * scale) + w] = y[..., ct:ct + h, cl:cl + w]
    return out
