#!/usr/bin/env python3
"""Every current shipped model (not superseded) on a folder (Kodak by default) against JPEG and WebP at the same rate.

    python tools/compare_baselines.py [--data ../shared/data/kodak] [--effort E] [--out results/compare.json]

For each shipped model: mean bpp (real file sizes, header included) and mean RGB PSNR; JPEG
(Pillow, 4:2:0) and WebP (Pillow, method 6) are swept over their quality settings and their
PSNR is interpolated at the model's rate (below a baseline's lowest rate, its lowest point, which
spends more bits, stands in). The acceptance bar is +2 dB over JPEG and +0.5 dB over
WebP; the last column says whether each model meets it.
"""
import argparse
import json
from pathlib import Path

from tqdm import tqdm

from codec.container import Kind
from codec.contract import EFFORT
from codec.image.eval.baselines import BASELINES
from codec.image.eval.runner import (eval_baseline, eval_strata, load_folder, psnr_at, results_json,
                               summarise)
from codec.registry import list_models, model_info


def at_rate(curve: dict, bpp: float) -> float | None:
    """The baseline's PSNR at this rate; below its lowest rate, its lowest point stands in (it
    spends more bits there, so beating it is beating the baseline at our rate a fortiori)."""
    v = psnr_at(curve, bpp)
    r = curve["results"]
    if v is None and bpp < min(r["bpp"]):
        v = r["psnr-rgb"][r["bpp"].index(min(r["bpp"]))]
    return v


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/kodak")
    p.add_argument("--models", nargs="*", help="model names (default: every shipped model not superseded by a newer one)")
    p.add_argument("--effort", type=int, default=0, help="strata encoder effort (see `strata encode --help`)")
    p.add_argument("--out", type=Path, help="write all curves as JSON here")
    a = p.parse_args()
    images = load_folder(a.data)
    names = a.models or [m.name for m in list_models(current_only=True, kind=Kind.IMAGE)]

    curves = {}
    for key in ("jpeg", "webp"):
        b = BASELINES[key]
        rows = [r for q in tqdm(b.qualities, desc=key) for r in eval_baseline(b, q, images)]
        curves[key] = results_json(b.name, b.description, rows)
    # Models without encoder effort levels (the progressive ones) are coded at effort 0; a
    # layered model is measured on its full file (its every-layer curve is rd_eval's).
    ours = {n: summarise(eval_strata(n, images, a.effort if EFFORT in model_info(n).codec.capabilities else 0,
                                     every_layer=False))
            for n in tqdm(names, desc="strata")}

    print(f"\n{len(images)} images from {a.data}, strata encoder effort {a.effort}")
    print(f"{'model':<18}{'bpp':>8}{'PSNR':>8}{'JPEG':>8}{'dJPEG':>8}{'WebP':>8}{'dWebP':>8}"
          f"{'enc s':>8}{'dec s':>8}  meets bar")
    for n, s in ours.items():
        j, w = at_rate(curves["jpeg"], s["bpp"]), at_rate(curves["webp"], s["bpp"])
        dj = None if j is None else s["psnr-rgb"] - j
        dw = None if w is None else s["psnr-rgb"] - w
        ok = dj is not None and dw is not None and dj >= 2.0 and dw >= 0.5
        f = lambda v: f"{v:8.2f}" if v is not None else f"{'n/a':>8}"
        print(f"{n:<18}{s['bpp']:8.4f}{s['psnr-rgb']:8.2f}{f(j)}{f(dj)}{f(w)}{f(dw)}"
              f"{s['encoding_time']:8.3f}{s['decoding_time']:8.3f}  {'yes' if ok else 'NO'}")
    for key, c in curves.items():
        pts = ", ".join(f"{b:.3f}/{q:.2f}" for b, q in zip(c["results"]["bpp"], c["results"]["psnr-rgb"]))
        print(f"{key} (bpp/PSNR): {pts}")
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps({"strata": ours, **curves}, indent=1))


if __name__ == "__main__":
    main()
