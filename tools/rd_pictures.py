#!/usr/bin/env python3
"""Picture for the README: crops of one Kodak image at about equal rates, side by side: the
original, one progressive Strata file cut at two or three layer counts, a single-rate Strata
model, and WebP, AVIF and JPEG at the quality nearest the middle target rate.

    python tools/rd_pictures.py [--image ../shared/data/kodak/kodim23.png] [--data ../shared/data] \
        [--layers K ...] [--targets 0.15 0.25 0.5] [--single-rate MODEL] \
        [--baselines webp avif jpeg] [--crop 192] [--out results/kodak/crops.png]

Every rate is a real file's size (8 * bytes / pixels) and every PSNR is of the whole decoded
image, not of the crop. The progressive panels are prefixes of ONE file (codec.trim), at the
layer counts whose sizes are closest to the target rates unless --layers says which; WebP, AVIF
and JPEG use the quality of their sweep whose file is closest to the middle target, and the
single-rate panel is the current single-rate model (the curve of tools/rd_eval.py) whose file
is closest to it, unless --single-rate names one. The crop
window (--crop pixels a side, shown at 2x nearest-neighbour, the same window in every panel) is
the one with the most detail in the original: the highest sum of squared horizontal and vertical
luma differences, searched on an 8-pixel grid. The numbers also go to crops.json beside the PNG.
"""
import argparse
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SCALE, PAD, PER_ROW, FONT_SIZE = 2, 8, 4, 14
BASELINE_LABELS = {"webp": "WebP", "avif": "AVIF", "jpeg": "JPEG"}


def detail_window(rgb, side, step=8):
    """Top-left (y, x) of the side x side window with the highest gradient energy of the luma."""
    luma = rgb[..., :3].astype(float) @ [0.299, 0.587, 0.114]
    energy = np.zeros_like(luma)
    energy[:, 1:] += np.diff(luma, axis=1) ** 2
    energy[1:, :] += np.diff(luma, axis=0) ** 2
    ii = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    s = ii[side:, side:] - ii[:-side, side:] - ii[side:, :-side] + ii[:-side, :-side]
    y, x = np.unravel_index(np.argmax(s[::step, ::step]), s[::step, ::step].shape)
    return int(y * step), int(x * step)


def closest(sizes, target_bytes):
    """The setting whose file size is nearest target_bytes (the first one on a tie)."""
    return min(sizes, key=lambda k: abs(sizes[k] - target_bytes))


def baseline_files(baseline, im):
    """{quality: file bytes} over the baseline's sweep."""
    files = {}
    for q in baseline.qualities:
        buf = io.BytesIO()
        baseline.save(im, buf, q)
        files[q] = buf.getvalue()
    return files


def layer_sizes(data):
    """{layers kept: bytes} for every cut of a progressive file (trim reads no model)."""
    from codec.trim import trim
    n = trim(data, layers=0)[2]
    return {k: len(trim(data, layers=k)[0]) for k in range(n + 1)}


def panel(codec, setting, nbytes, decoded, ref):
    from codec.image.metrics import bpp, psnr_rgb
    return {"codec": codec, "setting": setting, "bytes": nbytes, "bpp": bpp(nbytes, ref),
            "psnr_db": psnr_rgb(decoded, ref), "pixels": decoded}


def middle(targets):
    return sorted(targets)[len(targets) // 2]


def strata_panels(ref, model, single_rate, layers, targets, target_bytes):
    from codec import api
    from codec.contract import DecodeOptions
    from codec.trim import trim
    decode = lambda s: np.asarray(api.decode_stream(s, DecodeOptions())[0].convert("RGB"))
    data = api.encode(ref, model)
    if not layers:
        sizes = layer_sizes(data)
        layers = [closest(sizes, target_bytes(t)) for t in targets]
    cuts = sorted(set(layers))
    if len(cuts) < len(layers):  # a smooth image's whole file can sit below the higher targets
        print(f"note: {len(layers)} cuts asked, {len(cuts)} distinct: {cuts} "
              f"(the whole file is {8 * len(data) / (ref.shape[0] * ref.shape[1]):.3f} bpp)")
    panels = []
    for k in cuts:
        stream, kept, n = trim(data, layers=k)
        panels.append(panel(f"Strata {model}", f"{kept} of {n} layers", len(stream), decode(stream), ref))
    if single_rate is None:
        from codec.image.eval.runner import single_rate_family
        files = {m.name: api.encode(ref, m.name) for m in single_rate_family()}
        single_rate = closest({m: len(d) for m, d in files.items()}, target_bytes(middle(targets)))
        single = files[single_rate]
    else:
        single = api.encode(ref, single_rate)
    panels.append(panel(f"Strata {single_rate}", "single-rate", len(single), decode(single), ref))
    return panels


def baseline_panels(ref, names, target):
    from codec.image.eval.baselines import BASELINES
    panels, im = [], Image.fromarray(ref)
    for name in names:
        b = BASELINES[name]
        if not b.available():
            print(f"skipped {name}: not available here ({b.description})")
            continue
        files = baseline_files(b, im)
        q = closest({k: len(v) for k, v in files.items()}, target)
        with b.load(io.BytesIO(files[q])) as out:
            panels.append(panel(BASELINE_LABELS.get(name, name), f"quality {q}", len(files[q]),
                                np.asarray(out.convert("RGB")), ref))
    return panels


def caption(p):
    if p["psnr_db"] == float("inf"):
        return f"{p['codec']} ({p['setting']}, {p['bpp']:.2f} bpp)"
    return f"{p['codec']}, {p['setting']}: {p['bpp']:.3f} bpp, {p['psnr_db']:.2f} dB"


def fitting_font(texts, width):
    """The default font at the largest size (up to FONT_SIZE) at which every text fits width."""
    d = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    for size in range(FONT_SIZE, 7, -1):
        font = ImageFont.load_default(size=size)
        if all(d.textlength(t, font=font) <= width for t in texts):
            return font
    return font


def sheet(panels, window, title):
    y, x, side = window
    s, cap = side * SCALE, FONT_SIZE + 10
    rows = -(-len(panels) // PER_ROW)
    top = PAD + cap
    img = Image.new("RGB", (PER_ROW * (s + PAD) + PAD, top + rows * (s + cap + PAD)), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.text((PAD, PAD), title, fill=(0, 0, 0), font=fitting_font([title], img.width - 2 * PAD))
    font = fitting_font([caption(p) for p in panels], s)
    for i, p in enumerate(panels):
        left, ptop = PAD + (i % PER_ROW) * (s + PAD), top + (i // PER_ROW) * (s + cap + PAD)
        crop = Image.fromarray(p["pixels"][y:y + side, x:x + side]).resize((s, s), Image.NEAREST)
        img.paste(crop, (left, ptop))
        d.text((left, ptop + s + 4), caption(p), fill=(0, 0, 0), font=font)
    return img


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", type=Path, help="default: DATA/kodak/kodim23.png")
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--layers", type=int, nargs="+", help="progressive cuts (default: nearest the targets)")
    p.add_argument("--targets", type=float, nargs="+", default=[0.15, 0.25, 0.5], help="bpp")
    p.add_argument("--single-rate", help="default: the current single-rate model nearest the middle target")
    p.add_argument("--baselines", nargs="+", default=list(BASELINE_LABELS))
    p.add_argument("--crop", type=int, default=192)
    p.add_argument("--out", type=Path, default=Path("results/kodak/crops.png"))
    a = p.parse_args()
    from codec.registry import default_model
    path = a.image or a.data / "kodak" / "kodim23.png"
    with Image.open(path) as im:
        ref = np.asarray(im.convert("RGB"))
    h, w = ref.shape[:2]
    target_bytes = lambda t: t * h * w / 8
    mid = middle(a.targets)
    model = default_model()
    panels = [panel("original", "PNG file", path.stat().st_size, ref, ref)]
    panels += strata_panels(ref, model, a.single_rate, a.layers, a.targets, target_bytes)
    panels += baseline_panels(ref, a.baselines, target_bytes(mid))
    side = min(a.crop, h, w)
    y, x = detail_window(ref, side)
    title = (f"{path.name} ({w}x{h}): the {side} px window with the most detail, at ({x}, {y}), "
             f"shown at {SCALE}x. Rates from real file sizes, PSNR of the whole image; "
             f"WebP / AVIF / JPEG at the quality nearest {mid:g} bpp.")
    for q in panels:
        print(f"{q['codec']:<26} {q['setting']:<16} {q['bpp']:7.3f} bpp  {q['psnr_db']:6.2f} dB")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    sheet(panels, (y, x, side), title).save(a.out)
    record = {"image": path.name, "width": w, "height": h, "targets_bpp": a.targets,
              "window": {"x": x, "y": y, "side": side, "scale": SCALE},
              "panels": [{k: (None if v == float("inf") else v) for k, v in q.items() if k != "pixels"}
                         for q in panels]}
    a.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {a.out} and {a.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
