#!/usr/bin/env python3
"""Where the progressive default loses against the single-rate models at equal rate (issue 19).

    python tools/progressive_losses.py [--data ../shared/data/kodak] [--every 3] \
        [--results results/kodak] [--out results/kodak/progressive_losses]

One real file per image (every --every-th image of the folder), cut at every layer end; see
codec/image/eval/progressive_losses.py for what is measured. The reference curves (single-rate
models, WebP, AVIF) are read from --results (written by tools/rd_eval.py --per-image on the same
folder) and averaged over the analysed images.
Writes OUT.json (per image and summary) and OUT.md (the table); a rerun on the same images
reuses OUT.json's measurements unless --force.
"""
import argparse
import json
from pathlib import Path

from tqdm import tqdm

from codec.image.eval.progressive_losses import analyse_image, load_variants, summarise
from codec.image.eval.runner import load_folder
from codec.registry import default_model

REFERENCES = ("webp", "avif")


def markdown(s: dict, model: str, data: str) -> str:
    refs = [k[3:-3] for k in s["cuts"][0] if k.startswith("vs ")]
    f = lambda v, fmt="+.2f": "—" if v is None else format(v, fmt)  # noqa: E731
    lines = [f"# Where {model} loses ({s['images']} images of {data})", "",
             "| layers | bpp | PSNR | " + " | ".join(f"vs {r} (dB)" for r in refs)
             + " | layer dB/bpp | coder overhead | no REM: bpp | no REM: PSNR |",
             "|" + "---|" * (7 + len(refs))]
    for c in s["cuts"]:
        lines.append(f"| {c['layers']} | {c['bpp']:.3f} | {c['psnr']:.2f} | "
                     + " | ".join(f(c[f'vs {r} dB']) for r in refs)
                     + f" | {f(c.get('layer_db_per_bpp'), '.1f')} | {f(c.get('layer_coder_overhead'), '+.1%')}"
                     f" | {c['no_rem_bpp']:.3f} | {c['no_rem_psnr']:.2f} |")
    lines += ["", f"Base layer: z {s['base_bpp']['z']:.4f} bpp, y {s['base_bpp']['y']:.4f} bpp; "
              f"its own decoder {s['base_path_psnr']:.2f} dB, the top decoder at 0 layers (base latent + the prior's means) "
              f"{s['top_on_base_psnr']:.2f} dB.",
              f"Top path with the unquantised top latent, g_s_top(g_a_top(x)): {s['top_unquantised_psnr']:.2f} dB "
              f"(all layers: {s['cuts'][-1]['psnr']:.2f} dB).",
              "vs X: PSNR minus X's PSNR at the same rate (interpolated on X's measured curve; — outside it). "
              "Layer dB/bpp: PSNR gained per bpp by that layer. Coder overhead: the layer's bytes over the "
              "bits its Gaussians estimate. No REM: the same weights coded with the REM never run.",
              "Synthesis in float32 (see the module's docstring)."]
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("../shared/data/kodak"))
    p.add_argument("--every", type=int, default=3, help="analyse every N-th image (1: all)")
    p.add_argument("--model", default=None, help="a progressive model (default: the default model)")
    p.add_argument("--results", type=Path, default=Path("results/kodak"))
    p.add_argument("--out", type=Path, default=Path("results/kodak/progressive_losses"))
    p.add_argument("--force", action="store_true", help="measure again what OUT.json holds")
    a = p.parse_args()
    model = a.model or default_model()
    images = load_folder(a.data)[::a.every]
    cached = json.loads(a.out.with_suffix(".json").read_text()) if a.out.with_suffix(".json").exists() else {}
    if (not a.force and cached.get("model") == model and cached.get("data") == str(a.data)
            and [r["image"] for r in cached["images"]] == [n for n, _ in images]):
        rows = cached["images"]  # the measurements are there; only the summary is redone
    else:
        variants = load_variants(model)
        rows = [{"image": name, **analyse_image(variants, model, rgb)} for name, rgb in tqdm(images, desc=model)]
    curves = {"single-rate": json.loads((a.results / "strata.json").read_text())}
    curves.update({r: json.loads((a.results / f"{r}.json").read_text()) for r in REFERENCES
                   if (a.results / f"{r}.json").exists()})
    s = summarise(rows, curves.pop("single-rate"), curves)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps({"model": model, "data": str(a.data), "summary": s,
                                                      "images": rows}, indent=1))
    a.out.with_suffix(".md").write_text(markdown(s, model, a.data.name))
    print(markdown(s, model, a.data.name))


if __name__ == "__main__":
    main()
