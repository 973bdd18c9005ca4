"""Rate-distortion of the point-cloud coders on a test split: Strata's shipped rates (real
streams through the codec API, rates from their sizes) and Draco at a sweep of bit depths.

Every figure is per shape in original coordinates, then averaged over shapes: bits per input
point of the whole file, Chamfer in both conventions, D1 PSNR (peak: each original's bounding-box
diagonal). Strata's streams are also split into their parts (container header and chunk framing,
frame and seed, indices, anchors) so that the entropy coding of the indices can be compared
with fixed-length indices (log2 of the codebook size each, as the reference codes them).
"""
from __future__ import annotations

import math
import time

import numpy as np

from codec import api, container
from codec.container import ChunkType
from codec.contract import DecodeOptions, EncodeOptions
from codec.registry import list_models, load_codec

from .transform import Frame
from .draco import draco_code
from .metrics import distortion

ARCHITECTURE = "ddpm-pointcloud"


def strata_models() -> list[str]:
    """The current point-cloud models, lowest rate first."""
    ms = [m for m in list_models(current_only=True) if m.architecture == ARCHITECTURE]
    return [m.name for m in sorted(ms, key=lambda m: (m.args["anchors"], m.args["subvectors"]))]


def eval_strata(name: str, clouds: list[np.ndarray], steps: int | None = None, effort: int = 0) -> dict:
    codec = load_codec(name)
    rows = []
    for pts in clouds:
        data, _ = codec.encode(pts, EncodeOptions(effort=effort))
        s = container.parse(data)
        t = time.perf_counter()
        rec, _ = api.decode_stream(s, DecodeOptions(steps=steps))
        dt = time.perf_counter() - t
        latent = s.payload(ChunkType.LATENT)
        anchors = s.payload(ChunkType.ANCHORS) or b""
        frame_bytes = Frame.unpack(latent)[1] + 1  # with the seed
        rows.append({"bytes": len(data), "frame_bytes": frame_bytes, "index_bytes": len(latent) - frame_bytes,
                     "anchor_bytes": len(anchors),
                     "decode_s": dt, "bpp": len(data) * 8 / len(pts), **distortion(pts, rec)})
    out = _mean(rows)
    k = int(codec.model.vq.k)
    out.update({"model": name, "subvectors": codec.subvectors, "anchors": codec.anchors,
                "steps": steps or codec.default_steps, "effort": effort,
                "fixed_index_bytes": math.ceil(codec.subvectors * math.log2(k) / 8),
                "payload_bpp": out["bpp"] - _overhead_bits(name, codec.anchors > 0) / len(clouds[0])})
    return out


def _overhead_bits(name: str, with_anchors: bool) -> float:
    """Container header and chunk framing of a stream of this model (bits)."""
    hdr = container.Header(container.Kind.POINT_CLOUD, name, b"\0" * 8, 1, 1, "XYZ", 32)
    chunks = [(ChunkType.LATENT, b"")] + ([(ChunkType.ANCHORS, b"")] if with_anchors else [])
    return container.packed_size(hdr, chunks) * 8.0


def eval_draco(clouds: list[np.ndarray], bits: int) -> dict:
    rows = []
    for pts in clouds:
        data, rec = draco_code(pts, bits)
        rows.append({"bytes": len(data), "bpp": len(data) * 8 / len(pts), "points_coded": len(rec),
                     **distortion(pts, rec)})
    return {"codec": "draco", "bits": bits, **_mean(rows)}


def _mean(rows: list[dict]) -> dict:
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]} | {"shapes": len(rows)}
