#!/usr/bin/env python3
"""Speed and memory benchmark of the codec (a benchmark, not a test).

    python tools/bench_codec.py [--data ../shared/data/kodak] [--model NAME] [--threads 2] [--no-uhd]

Reports, on `--threads` CPU threads:
  - median encode and decode time per image of the folder (in-process, model loaded once); for a
    layered model, decode time at base only, at half the layers and at full quality;
  - start-up: the wall time of `python -c "import torch"`, of `strata decode` of one image as a
    fresh process (imports and model load included) and their ratio, and of `strata info`;
  - batch: `strata decode` of every stream of the folder in one process (`-o DIR`), per image,
    against the in-process decode time per image;
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
from codec.api import decode_stream, encode_item
from codec.registry import load_codec, media_for_path
op, src, dst, model = sys.argv[2:6]
load_codec(model)
t = time.perf_counter()
if op == "encode":
    open(dst, "wb").write(encode_item(media_for_path(src).read(src, 10**9), model)[0])
else:
    img, _ = decode_stream(open(src, "rb").read(), max_pixels=10**9)
    media_for_path(dst).write(img, dst)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(threads, op, src, dst, model):
    out = subprocess.run([sys.executable, "-c", _CHILD, str(threads), op, str(src), str(dst), model],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def wall(cmd, repeat=3) -> float:
    """Median wall time of a command run as a fresh process."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/kodak")
    p.add_argument("--model", help="model name (default: the registry default)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=24, help="images of the folder to time")
    p.add_argument("--no-uhd", action="store_true", help="skip the 3840x2160 memory figures")
    a = p.parse_args()

    import torch
    torch.set_num_threads(a.threads)
    from PIL import Image
    from codec.api import decode_stream, encode_item
    from codec.contract import LAYERS, DecodeOptions
    from codec.image.eval.runner import load_folder
    from codec.image.io import Picture
    from codec.registry import default_model, load_codec

    model = a.model or default_model()
    codec = load_codec(model)
    # Decode points: the whole stream, and for layered models base only and half the layers.
    points = {"full": None}
    if LAYERS in codec.capabilities:
        points = {"base only": 0, f"{codec.n_layers // 2} layers": codec.n_layers // 2, "full": None}
    images = load_folder(a.data)[: a.limit]
    enc, dec, streams = [], {k: [] for k in points}, []
    for name, rgb in images:
        t0 = time.perf_counter()
        data, _ = encode_item(Picture(rgb, None, "RGB", 8), model)
        enc.append(time.perf_counter() - t0)
        streams.append((name, data))
        for label, k in points.items():
            t1 = time.perf_counter()
            decode_stream(data, DecodeOptions(layers=k))
            dec[label].append(time.perf_counter() - t1)
    print(f"model {model}, {a.threads} threads, {len(images)} images of {a.data}")
    print(f"median encode {statistics.median(enc):.3f} s")
    for label, ts in dec.items():
        print(f"median decode ({label}) {statistics.median(ts):.3f} s (min {min(ts):.3f}, max {max(ts):.3f})")

    env_threads = {"OMP_NUM_THREADS": str(a.threads)}
    import os
    env = {**os.environ, **env_threads}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        (tmp / "out").mkdir()
        for name, data in streams:
            (tmp / "in" / (Path(name).stem + ".strata")).write_bytes(data)
        first = sorted((tmp / "in").glob("*.strata"))[0]
        strata = [sys.executable, "-m", "codec.cli"]
        t_torch = wall([sys.executable, "-c", "import torch"])
        t_decode = wall(strata + ["decode", str(first), "-o", str(tmp / "k.png"), "-q"])
        t_info = wall(strata + ["info", str(first)])
        print(f"start-up: `import torch` {t_torch:.2f} s; fresh `strata decode` of {first.name} {t_decode:.2f} s "
              f"({t_decode / t_torch:.2f}x import torch); `strata info` {t_info:.2f} s")
        files = sorted(str(f) for f in (tmp / "in").glob("*.strata"))
        t0 = time.perf_counter()
        subprocess.run(strata + ["decode", *files, "-o", str(tmp / "out"), "-q"], check=True, env=env)
        batch = (time.perf_counter() - t0) / len(files)
        full = statistics.mean(dec["full"])
        print(f"batch: `strata decode` of {len(files)} streams in one process {batch:.3f} s per image "
              f"(mean in-process decode {full:.3f} s: {batch / full:.2f}x; the first image pays the start-up)")

        src = sorted(Path(a.data).glob("*.png"))[0]
        e = child(a.threads, "encode", src, tmp / "k.strata", model)
        d = child(a.threads, "decode", tmp / "k.strata", tmp / "k2.png", model)
        print(f"{src.name}: encode peak {e['peak_rss_mib']:.0f} MiB, decode peak {d['peak_rss_mib']:.0f} MiB")
        if a.no_uhd:
            return
        big = tmp / "uhd.png"
        Image.open(src).convert("RGB").resize((3840, 2160), Image.BICUBIC).save(big)
        e = child(a.threads, "encode", big, tmp / "uhd.strata", model)
        d = child(a.threads, "decode", tmp / "uhd.strata", tmp / "uhd_out.png", model)
        size = (tmp / "uhd.strata").stat().st_size
        print(f"3840x2160: encode {e['seconds']:.2f} s, peak {e['peak_rss_mib']:.0f} MiB; decode "
              f"{d['seconds']:.2f} s, peak {d['peak_rss_mib']:.0f} MiB; {size * 8 / (3840 * 2160):.4f} bpp")


if __name__ == "__main__":
    main()
