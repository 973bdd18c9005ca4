#!/usr/bin/env python3
"""Training checkpoints (or shipped single-rate models) by real coding on held-out sets.

    python tools/eval_checkpoints.py hyperprior-mid-3 checkpoints/mix-bsds/last.pt \
        checkpoints/mix-urban/last.pt [--data ../shared/data] [--out results/data_mix]

Each checkpoint is coded as it would ship (float16 weights, tables rebuilt: export.py), through
the codec contract, so rates are real stream sizes. Sets: Kodak, the first 20 BSDS500 test
images (held out by the training tools since split_train_val stopped training on test/; the
models shipped before that trained on them) and Urban100's validation split (its last 8
images, which the training tools hold out). Per set: mean bpp, PSNR and the RD cost the runs minimise,
bpp + lambda * 255^2 * MSE (comparable between runs of the same lambda). Writes OUT.json / OUT.md.
"""
import argparse
import json
from pathlib import Path

import numpy as np

from codec.image.eval.runner import load_folder
from codec.image.training.data import load_rgb, split_train_val
from codec.image.training.validate import coded_points


def sets(root: Path) -> dict:
    return {"kodak": [rgb for _, rgb in load_folder(root / "kodak")],
            "bsds500-test20": [rgb for _, rgb in load_folder(root / "bsds500" / "test")[:20]],
            "urban100-val": [load_rgb(p) for p in split_train_val(root / "urban100")[1]]}


def load(spec: str):
    """(model, architecture, lambda) of a registered model name or a checkpoint path."""
    if Path(spec).is_file():
        from codec.image.training.export import model_from_checkpoint
        model, architecture, _, ck = model_from_checkpoint(Path(spec))
        return model, architecture, ck["config"]["lmbda"]
    from codec.registry import load_model_variant
    model, info = load_model_variant(spec)
    return model, info.architecture, info.extra["lambda"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", help="registered model names or checkpoint paths")
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--out", type=Path, default=Path("results/data_mix"))
    a = p.parse_args()
    images = sets(a.data)
    rows = []
    for spec in a.models:
        model, architecture, lmbda = load(spec)
        for name, ims in images.items():
            per = coded_points(model, architecture, ims, {"full": None})["full"]  # one model copy per set
            mse = [10 ** (-p / 10) for p in per["psnr"]]  # in [0,1]^2 units, as the training loss
            rows.append({"model": spec, "set": name, "images": len(ims), "lambda": lmbda,
                         "bpp": float(np.mean(per["bpp"])), "psnr": float(np.mean(per["psnr"])),
                         "rd_cost": float(np.mean(per["bpp"]) + lmbda * 255**2 * np.mean(mse))})
            print(f"{spec} {name}: {rows[-1]['bpp']:.4f} bpp {rows[-1]['psnr']:.3f} dB cost {rows[-1]['rd_cost']:.4f}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["| model | set | images | bpp | PSNR (dB) | RD cost |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['model']} | {r['set']} | {r['images']} | {r['bpp']:.4f} | {r['psnr']:.3f} | {r['rd_cost']:.4f} |"
              for r in rows]
    a.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
