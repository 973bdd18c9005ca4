"""Where the progressive model loses against single-rate models at equal rate.

For each image, one real file is cut at every layer end (rates are file sizes). At each cut:
the PSNR, and the bits of each residual layer against what the coder's Gaussians estimate for
it (the entropy coder's overhead). Three counterfactuals separate the parts of the model:

- no REM: the same weights coded with the REM never run (`rem_at` at the last layer), so the
  REM's saving is measured in real bits and PSNR;
- top decoder at 0 layers: g_s_top(y_b_hat + the prior's means), against the base's own decoder;
- unquantised top latent: g_s_top(g_a_top(x)), the top path's ceiling with no quantisation at all.

Synthesis runs in float32 here (the shipped default decodes in bfloat16, which moves PSNR by
hundredths of a dB; `synthesis_gap` measures it on one image), since on CPUs without bf16 units
the emulated bf16 path costs ~5 s per decode.
"""
from __future__ import annotations

import numpy as np
import torch

from ...registry import load_model_variant
from ..models.hyperprior import LATENT_STRIDE
from ..models.tiling import tiled_apply
from ...trim import trim
from ..coding import cropped_uint8, padded, z_shape
from ..metrics import bpp, psnr_rgb


def load_variants(name: str) -> dict:
    """The model with float32 synthesis, as shipped and with the REM disabled."""
    model, info = load_model_variant(name, synthesis="float32")
    norem, _ = load_model_variant(name, synthesis="float32", rem_at=model.bounds[-1])
    return {"model": model, "norem": norem, "info": info}


def _psnr(y_to_x, y, rgb) -> float:
    h, w = rgb.shape[:2]
    return psnr_rgb(cropped_uint8(y_to_x(y), w, h), rgb)


@torch.no_grad()
def analyse_image(variants: dict, name: str, rgb: np.ndarray) -> dict:
    from ... import api
    model, norem = variants["model"], variants["norem"]
    h, w = rgb.shape[:2]
    data = api.encode(rgb, name)
    L = model.n_layers
    file_bytes = [len(trim(data, layers=k)[0]) for k in range(L + 1)]
    x = padded(rgb).contiguous(memory_format=torch.channels_last)
    row = {}
    cum = {}
    for key, m in (("rem", model), ("norem", norem)):
        z_s, y_s, shape, layers = m.compress(x)
        y_b_hat, scales_b = m.base.decompress_latent(z_s, y_s, shape)
        y_t = tiled_apply(m.g_a_top, x, scale=1 / LATENT_STRIDE)  # as compress() computes it
        sizes = m.residual.layer_sizes(y_t - y_b_hat, y_b_hat, scales_b)
        cum[key] = np.cumsum([0] + [len(s) for s in layers])
        # the real file's size at each cut, with this variant's layer strings in place of the
        # shipped ones (the base strings are the same: the variants differ after the base)
        nbytes = [file_bytes[k] + int(cum[key][k] - cum["rem"][k]) for k in range(L + 1)]
        row[key] = {
            "bpp": [bpp(n, rgb) for n in nbytes],
            # up to the REM's layer both variants decode the same latent: measured once
            # (the REM runs once layer rem_layer is in, so a cut at rem_layer already differs)
            "psnr": [row["rem"]["psnr"][k] if key == "norem" and k < model.rem_layer else
                     _psnr(lambda y, k=k: m.synthesise(y, k),
                           m.decompress_latent(z_s, y_s, z_shape(w, h), layers[:k]), rgb) for k in range(L + 1)],
            "layer_bytes": [s["bytes"] for s in sizes],
            "layer_estimated_bits": [s["estimated_bits"] for s in sizes],
            "layer_elements": [s["elements"] for s in sizes],
        }
        if key == "rem":
            row["base_bpp"] = {"z": bpp(len(z_s), rgb), "y": bpp(len(y_s), rgb)}
            # what the top decoder would see at 0 layers: the base latent plus the prior's means
            fill = m.residual.decompress_means(y_b_hat, scales_b)
            row["top_on_base_psnr"] = _psnr(lambda y: m.g_s_top(y), y_b_hat + fill, rgb)
            row["top_unquantised_psnr"] = _psnr(lambda y: m.g_s_top(y), y_t, rgb)
    return row


def on_images(curve: dict, images: set[str]) -> dict:
    """A results-schema curve averaged over these images only (from its per-image rows), so that
    the references are measured on the images analysed here."""
    rows = [r for r in curve.get("per_image", []) if r["image"] in images]
    if not rows or len({r["image"] for r in rows}) != len(images):
        raise ValueError(f"{curve['name']}: no per-image rows for every analysed image "
                         "(rerun tools/rd_eval.py with --per-image)")
    points = sorted({r["point"] for r in rows}, key=str)
    mean = lambda k, pt: float(np.mean([r[k] for r in rows if r["point"] == pt]))  # noqa: E731
    return {"name": curve["name"], "results": {"bpp": [mean("bpp", pt) for pt in points],
                                               "psnr-rgb": [mean("psnr-rgb", pt) for pt in points]}}


def summarise(rows: list[dict], single_rate: dict, baselines: dict) -> dict:
    """Means over images per cut, and the gap in dB to each reference curve at that rate, the
    references averaged over the same images (None outside a curve's measured range)."""
    from .runner import psnr_at
    names = {r["image"] for r in rows}
    single_rate = on_images(single_rate, names)
    baselines = {k: on_images(v, names) for k, v in baselines.items()}
    L = len(rows[0]["rem"]["bpp"]) - 1
    mean = lambda f: [float(np.mean([f(r)[k] for r in rows])) for k in range(L + 1)]  # noqa: E731
    cuts = []
    bpp_rem, psnr_rem = mean(lambda r: r["rem"]["bpp"]), mean(lambda r: r["rem"]["psnr"])
    bpp_norem, psnr_norem = mean(lambda r: r["norem"]["bpp"]), mean(lambda r: r["norem"]["psnr"])
    for k in range(L + 1):
        c = {"layers": k, "bpp": bpp_rem[k], "psnr": psnr_rem[k],
             "no_rem_bpp": bpp_norem[k], "no_rem_psnr": psnr_norem[k]}
        for ref, curve in {"single-rate": single_rate, **baselines}.items():
            p = psnr_at(curve, bpp_rem[k])
            c[f"vs {ref} dB"] = None if p is None else psnr_rem[k] - p
        if k:
            byts = sum(r["rem"]["layer_bytes"][k - 1] for r in rows)
            est = sum(r["rem"]["layer_estimated_bits"][k - 1] for r in rows) / 8
            c["layer_coder_overhead"] = byts / est - 1
            c["layer_db_per_bpp"] = (psnr_rem[k] - psnr_rem[k - 1]) / (bpp_rem[k] - bpp_rem[k - 1])
        cuts.append(c)
    return {"images": len(rows), "cuts": cuts,
            "base_path_psnr": psnr_rem[0],
            "top_on_base_psnr": float(np.mean([r["top_on_base_psnr"] for r in rows])),
            "top_unquantised_psnr": float(np.mean([r["top_unquantised_psnr"] for r in rows])),
            "base_bpp": {p: float(np.mean([r["base_bpp"][p] for r in rows])) for p in ("z", "y")}}
