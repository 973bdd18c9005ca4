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
    from codec import container
    from codec.contract import LAYERS, DecodeOptions, EncodeOptions
    from codec.image.eval.runner import load_folder
    from codec.image.io import Picture
    from codec.image.metrics import psnr_rgb
    from codec.registry import default_model, load_model_variant, model_info

    info = model_info(a.model or default_model())
    codecs = {d: info.codec(info, load_model_variant(info.name, synthesis=d)[0]) for d in ("float32", "bfloat16")}
    images = load_folder(a.data)
    points = {"base only": 0, "full": None} if LAYERS in info.codec.capabilities else {"full": None}
    res = {(d, k): ([], []) for d in codecs for k in points}
    for name, rgb in images:
        # the encoder does not run the synthesis: one stream serves both decoders
        data, _ = codecs["float32"].encode(Picture(rgb, None, "RGB", 8), EncodeOptions())
        stream = container.parse(data, 1 << 62)
        for (dtype, point), (psnrs, times) in res.items():
            t = time.perf_counter()
            img, _ = codecs[dtype].decode(stream, DecodeOptions(layers=points[point]))
            times.append(time.perf_counter() - t)
            psnrs.append(psnr_rgb(np.asarray(img), rgb))
    print(f"model {info.name}, {len(images)} images of {a.data}, {a.threads} threads")
    for (dtype, point), (psnrs, times) in res.items():
        print(f"{point:>9} {dtype:>8}: {np.mean(psnrs):.3f} dB, decode {statistics.median(times):.3f} s (median)")


if __name__ == "__main__":
    main()
