#!/usr/bin/env python3
"""What running a model's synthesis in bfloat16 instead of float32 costs and saves.

    python tools/synthesis_precision.py [--model NAME] [--data ../shared/data/kodak] [--threads 2]

Codes every image of the folder once with the model, then decodes the same streams with the
synthesis in float32 and in bfloat16 (the model's weights either way): mean RGB PSNR and median
decode time per image, at base only and at full quality for a progressive model. The choice is an
architecture argument of a registered model (`synthesis`), because it decides the decoded bits.
"""
import argparse
import statistics
import time

import numpy as np
import torch


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="model name (default: the registry default)")
    p.add_argument("--data", default="../shared/data/kodak")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    from codec import image_codec as ic
    from codec.eval.metrics import psnr_rgb
    from codec.eval.runner import load_folder
    from codec.registry import default_model, load_model_variant, model_info

    info = model_info(a.model or default_model())
    models = {d: load_model_variant(info.name, synthesis=d)[0] for d in ("float32", "bfloat16")}
    images = load_folder(a.data)
    points = {"base only": 0, "full": None} if info.progressive else {"full": None}
    res = {(d, k): ([], []) for d in models for k in points}
    for name, rgb in images:
        h, w = rgb.shape[:2]
        enc = models["float32"]  # the encoder does not run the synthesis
        if info.progressive:
            z, y, layers = ic.compress_progressive(enc, rgb)
        else:
            (z, y), layers = ic.compress_rgb(enc, rgb), None
        for (dtype, point), (psnrs, times) in res.items():
            kept = None if layers is None else layers[:points[point]]
            t = time.perf_counter()
            out = ic.decode_rgb(models[dtype], z, y, kept, w, h)
            times.append(time.perf_counter() - t)
            psnrs.append(psnr_rgb(out, rgb))
    print(f"model {info.name}, {len(images)} images of {a.data}, {a.threads} threads")
    for (dtype, point), (psnrs, times) in res.items():
        print(f"{point:>9} {dtype:>8}: {np.mean(psnrs):.3f} dB, decode {statistics.median(times):.3f} s (median)")


if __name__ == "__main__":
    main()
