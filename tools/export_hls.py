#!/usr/bin/env python3
"""Export a shipped hardware student for HLS (hw/hls.py): headers, manifest, golden vectors from a
real image, the g_s top function and its testbench; optionally run the testbench (C simulation
with g++ and the vendor's ap_types) and export the Brevitas model to QONNX, checked with QONNX's
executor against the integer reference.

    python tools/export_hls.py --model student-n64-mid --image ../shared/data/kodak/kodim23.png \
        --out build/hls --csim --qat checkpoints/student-q/last.pt

--crop WxH takes the top-left crop of the image (the kernel's arrays are sized for one tile;
multiples of 64 keep the latent whole).
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="student-n64-mid")
    p.add_argument("--image", required=True)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--crop", help="WxH: code this top-left crop of the image (one kernel tile)")
    p.add_argument("--csim", action="store_true", help="compile the testbench with g++ and run it")
    p.add_argument("--qat", help="the QAT checkpoint: also export QONNX and check it with QONNX's executor")
    a = p.parse_args()
    a.out = a.out.resolve()  # the testbench runs inside it
    from codec.errors import StrataError
    from codec.image.io import read_image
    from codec.registry import load_codec
    from hw import hls
    from hw.evaluate import latent_of
    from hw.integer_model import run

    try:
        codec = load_codec(a.model)
        if not hasattr(codec.model, "int_g_s"):
            raise StrataError(f"{a.model!r} is not a hardware student")
        rgb = read_image(a.image, 10**8).rgb
    except (StrataError, OSError) as e:
        sys.exit(f"export_hls: error: {e}")
    if a.crop:
        w, h = (int(v) for v in a.crop.lower().split("x"))
        rgb = np.ascontiguousarray(rgb[:h, :w])
    y_raw, _ = latent_of(codec, rgb)
    gs, ga = codec.model.int_g_s, codec.model.int_g_a
    man = hls.export(gs, y_raw, a.out)
    # the encoder's golden vectors too (pixels padded as the codec pads them)
    from codec.image.coding import padded
    x_raw = np.round(padded(rgb)[0].double().numpy() * 255).astype(np.int64)
    hls.export(ga, x_raw, a.out, kernel=False)
    report = {"model": a.model, "image": a.image, "latent": list(y_raw.shape), "output": man["layers"][-1]["output_shape"]}
    if a.csim:
        from hw.kernel_check import run_testbench
        t0 = time.time()
        verdict, kernel = run_testbench(a.out)
        report["csim"] = {"testbench": verdict, "seconds": time.time() - t0,
                          "equals_reference": bool(np.array_equal(kernel, run(gs, y_raw, "torch").ravel()))}
    if a.qat:
        import torch

        from hw.qonnx_check import execute, export_qonnx
        from hw.quant import load_checkpoint
        q = load_checkpoint(a.qat)
        y = torch.from_numpy(y_raw / 256.0).float()[None]
        path = export_qonnx(q.g_s, y, a.out / "g_s.qonnx.onnx")
        out = execute(path, y.numpy())[0]
        lsb = np.abs(out * 2.0 ** gs.layers[-1].out.frac_bits - run(gs, y_raw, "torch"))
        report["qonnx"] = {"file": path.name, "max_lsb_vs_integer": float(lsb.max()), "mean_lsb": float(lsb.mean())}
    (a.out / "report.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
