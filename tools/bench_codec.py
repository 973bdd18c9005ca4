#!/usr/bin/env python3
"""Speed and memory benchmark of the image codec (a benchmark, not a test).

    python tools/bench_codec.py [--data ../shared/data/kodak] [--model NAME] [--threads 2]

Reports, on `--threads` CPU threads:
  - median encode and decode time per image of the folder (in-process, model loaded once); for a
    progressive model, decode time at base only, at half the layers and at full quality;
  - the wall time of `strata decode` as a fresh process (imports and model load included);
  - peak resident memory of encoding and decoding one image of the folder and a 3840x2160 image
    (each in a fresh process, so the figure is that operation's own peak).
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = r"""
import json, resource, sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
from codec.image_codec import decode_stream, encode_picture
from codec.image_io import read_image, save_image
from codec.registry import load_model
op, src, dst, model = sys.argv[2:6]
load_model(model)
t = time.perf_counter()
if op == "encode":
    open(dst, "wb").write(encode_picture(read_image(src, 10**9), model))
else:
    img, _ = decode_stream(open(src, "rb").read(), 10**9)
    save_image(img, dst)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(threads, op, src, dst, model):
    out = subprocess.run([sys.executable, "-c", _CHILD, str(threads), op, str(src), str(dst), model],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/kodak")
    p.add_argument("--model", help="model name (default: the registry default)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=24, help="images of the folder to time")
    a = p.parse_args()

    import torch
    torch.set_num_threads(a.threads)
    from PIL import Image
    from codec.eval.runner import load_folder
    from codec.image_codec import decode_stream, encode_picture
    from codec.image_io import Picture
    from codec.registry import default_model, load_model

    model = a.model or default_model()
    net, info = load_model(model)
    # Decode points: the whole stream, and for progressive models base only and half the layers.
    points = {"full": None}
    if info.progressive:
        points = {"base only": 0, f"{net.n_layers // 2} layers": net.n_layers // 2, "full": None}
    images = load_folder(a.data)[: a.limit]
    enc, dec = [], {k: [] for k in points}
    for name, rgb in images:
        pic = Picture(rgb, None, "RGB", 8)
        t0 = time.perf_counter()
        data = encode_picture(pic, model)
        enc.append(time.perf_counter() - t0)
        for label, k in points.items():
            t1 = time.perf_counter()
            decode_stream(data, max_layers=k)
            dec[label].append(time.perf_counter() - t1)
    print(f"model {model}, {a.threads} threads, {len(images)} images of {a.data}")
    print(f"median encode {statistics.median(enc):.3f} s")
    for label, ts in dec.items():
        print(f"median decode ({label}) {statistics.median(ts):.3f} s (min {min(ts):.3f}, max {max(ts):.3f})")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = sorted(Path(a.data).glob("*.png"))[0]
        e = child(a.threads, "encode", src, tmp / "k.strata", model)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "codec.cli", "decode", str(tmp / "k.strata"), "-o",
                        str(tmp / "k.png"), "-q"], check=True)
        cli = time.perf_counter() - t0
        d = child(a.threads, "decode", tmp / "k.strata", tmp / "k2.png", model)
        print(f"{src.name}: encode peak {e['peak_rss_mib']:.0f} MiB, decode peak {d['peak_rss_mib']:.0f} MiB; "
              f"`strata decode` as a fresh process {cli:.2f} s wall")
        big = tmp / "uhd.png"
        Image.open(src).convert("RGB").resize((3840, 2160), Image.BICUBIC).save(big)
        e = child(a.threads, "encode", big, tmp / "uhd.strata", model)
        d = child(a.threads, "decode", tmp / "uhd.strata", tmp / "uhd_out.png", model)
        size = (tmp / "uhd.strata").stat().st_size
        print(f"3840x2160: encode {e['seconds']:.2f} s, peak {e['peak_rss_mib']:.0f} MiB; decode "
              f"{d['seconds']:.2f} s, peak {d['peak_rss_mib']:.0f} MiB; {size * 8 / (3840 * 2160):.4f} bpp")


if __name__ == "__main__":
    main()
