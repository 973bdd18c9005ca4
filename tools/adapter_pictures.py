#!/usr/bin/env python3
"""Picture for the README: crops of a comic page and a screenshot, original / without adapters /
with adapters, decoded from the same file.

    python tools/adapter_pictures.py --model progressive-vam-2-da1 [--layers 4] \
        [--comic ../shared/data/manga109/test/X.png] [--screen checkpoints/screens/test/screen-0000.png] \
        [--out results/adapters/crops.png]

The crop (--crop pixels a side, shown at 2x) is the window of the image where the adapters gain
the most, so the picture shows what they do, and says so in its caption.
"""
import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def best_window(ref, a, b, side):
    """Top-left of the side x side window where b's squared error is most below a's."""
    gain = ((a.astype(float) - ref) ** 2 - (b.astype(float) - ref) ** 2).sum(2)
    ii = np.pad(gain.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    s = ii[side:, side:] - ii[:-side, side:] - ii[side:, :-side] + ii[:-side, :-side]
    y, x = np.unravel_index(np.argmax(s[::8, ::8]), s[::8, ::8].shape)
    return y * 8, x * 8


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--layers", type=int, help="progressive models: cut the file to K layers")
    p.add_argument("--comic", type=Path)
    p.add_argument("--screen", type=Path, default=Path("checkpoints/screens/test/screen-0000.png"))
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--crop", type=int, default=160)
    p.add_argument("--out", type=Path, default=Path("results/adapters/crops.png"))
    a = p.parse_args()
    from codec import api
    from codec.contract import DecodeOptions
    from codec.image.metrics import bpp, psnr_rgb
    from codec.image.io import list_images
    from codec.trim import trim
    comic = a.comic or list_images(a.data / "manga109" / "test")[0]
    rows = []
    for label, path in (("comic", comic), ("screen", a.screen)):
        with Image.open(path) as im:
            ref = np.asarray(im.convert("RGB"))
        data = api.encode(ref, a.model)
        if a.layers is not None:
            data = trim(data, layers=a.layers)[0]
        plain = np.asarray(api.decode_stream(data, DecodeOptions(adapters=False))[0].convert("RGB"))
        adapted = np.asarray(api.decode_stream(data, DecodeOptions())[0].convert("RGB"))
        y, x = best_window(ref, plain, adapted, a.crop)
        crops = [c[y:y + a.crop, x:x + a.crop] for c in (ref, plain, adapted)]
        names = ["original", f"without adapters {psnr_rgb(plain, ref):.2f} dB",
                 f"with adapters {psnr_rgb(adapted, ref):.2f} dB"]
        rows.append((f"{label}: {path.name}, {bpp(len(data), ref):.3f} bpp (same file)", crops, names))
    s, pad, cap = a.crop * 2, 8, 34
    sheet = Image.new("RGB", (3 * s + 4 * pad, len(rows) * (s + cap + pad) + pad), (255, 255, 255))
    d = ImageDraw.Draw(sheet)
    for r, (title, crops, names) in enumerate(rows):
        top = pad + r * (s + cap + pad)
        d.text((pad, top), title, fill=(0, 0, 0))
        for c, (crop, name) in enumerate(zip(crops, names)):
            left = pad + c * (s + pad)
            sheet.paste(Image.fromarray(crop).resize((s, s), Image.NEAREST), (left, top + cap))
            d.text((left, top + 16), name, fill=(0, 0, 0))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(a.out)
    print(f"wrote {a.out} (crops where the adapters gain most, {a.crop} px shown at 2x)")


if __name__ == "__main__":
    main()
