#!/usr/bin/env python3
"""Peak memory of decoding at the pixel cap (a benchmark, not a test).

    python tools/bench_memory.py [--sizes 4096x4096,10000x10000] [--model NAME] [--real]

For each size, in a fresh process each (VmHWM, the process's own peak):
  - a forged stream of a few hundred bytes that declares that size (valid header and CRCs,
    random latent chunks): what a hostile file costs the decoder;
  - with --real, a real image of that size (Kodak's kodim23 resized) encoded and decoded.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import json, re, sys, time
op, src, dst, max_pixels = sys.argv[1:5]
from codec.cli import main
t = time.perf_counter()
args = [op, src, "-o", dst, "-q", "--max-pixels", max_pixels]
rc = main(args)
peak = int(re.search(r"VmHWM:\s*(\d+)", open("/proc/self/status").read())[1]) / 1024
print(json.dumps({"rc": rc, "seconds": time.perf_counter() - t, "peak_mib": peak}))
"""


def child(op, src, dst, max_pixels):
    r = subprocess.run([sys.executable, "-c", _CHILD, op, str(src), str(dst), str(max_pixels)],
                       capture_output=True, text=True)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["stderr"] = r.stderr.strip()
    return out


def forged(model: str, w: int, h: int) -> bytes:
    import numpy as np
    from codec import container
    from codec.container import ChunkType, Header, Kind
    from codec.registry import model_info
    info = model_info(model)
    rng = np.random.default_rng(0)
    header = Header(Kind.IMAGE, info.name, info.hash8, w, h)
    return container.pack(header, [(ChunkType.HYPER, rng.bytes(40)), (ChunkType.LATENT, rng.bytes(40))])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="4096x4096")
    p.add_argument("--model", help="model name (default: the registry default)")
    p.add_argument("--real", action="store_true", help="also encode and decode a real image of each size")
    p.add_argument("--data", default="../shared/data/kodak")
    a = p.parse_args()
    from codec.registry import default_model
    model = a.model or default_model()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for size in a.sizes.split(","):
            w, h = map(int, size.split("x"))
            cap = w * h
            s = tmp / "forged.strata"
            s.write_bytes(forged(model, w, h))
            d = child("decode", s, tmp / "f.png", cap)
            print(f"{w}x{h} forged {s.stat().st_size}-byte stream: decode peak {d['peak_mib']:.0f} MiB, "
                  f"{d['seconds']:.1f} s, exit {d['rc']} ({d['stderr'][:80]})", flush=True)
            if a.real:
                from PIL import Image
                src = tmp / "big.png"
                Image.open(Path(a.data) / "kodim23.png").convert("RGB").resize((w, h), Image.BICUBIC).save(src)
                e = child("encode", src, tmp / "big.strata", cap)
                d = child("decode", tmp / "big.strata", tmp / "big_out.png", cap)
                print(f"{w}x{h} real image: encode peak {e['peak_mib']:.0f} MiB ({e['seconds']:.1f} s), "
                      f"decode peak {d['peak_mib']:.0f} MiB ({d['seconds']:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
