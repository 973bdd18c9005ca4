#!/usr/bin/env python3
"""Rate-distortion evaluation of Strata and offline baselines on a folder of images (Kodak default).

    python tools/rd_eval.py --all                 # every codec, then BD table and figure
    python tools/rd_eval.py --codecs strata webp  # just these
    python tools/rd_eval.py --all --force         # recompute what exists

Writes one JSON per codec in CompressAI's results schema (bpp from real file sizes, PSNR and
MS-SSIM on 8-bit RGB averaged per image, encode/decode seconds per image) to --out, skipping
codecs already there unless --force; then bd.json / bd.md (BD-rate of each Strata curve against
every baseline and the anchors) and rd.png. A second run with nothing new to compute is a no-op.
Codecs: strata (the current shipped single-rate models as one curve), strata-effort2 (the same
models with `strata encode --effort 2`: about 40x slower to encode), strata-progressive (one file per
image from the default progressive model, truncated at every layer end), jpeg, jpeg444, webp,
avif, jpeg2000, hevc444 (x265 4:4:4 via pillow-heif), jxl.
"""
import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from codec.container import Kind
from codec.contract import LAYERS
from codec.image.eval.baselines import BASELINES
from codec.rd.bd import METHOD
from codec.rd.report import bd_markdown, bd_table, load_results, plot_rd
from codec.errors import StrataError
from codec.image.eval.runner import eval_baseline, eval_strata, load_folder, results_json, single_rate_family
from codec.registry import default_model, list_models, model_info

ANCHORS_FOR_PLOT = ["vtm", "bpg_444_x265_ycbcr", "compressai-mbt2018-mean_mse_cpu",
                    "progressive-vam-wacv2025", "progressive-ctc-cvpr2023"]
ANCHORS_FOR_BD = ["vtm", "progressive-ctc-cvpr2023", "progressive-vam-wacv2025", "progressive-dpict-cvpr2022"]
STRATA = ["strata", "strata-effort2", "strata-progressive"]
EFFORT = {"strata": 0, "strata-effort2": 2}  # single-rate curves: encoder effort
RANGE = (0.15, 1.0)  # the progressive codec's goal range (issue 5)


def evaluate(codec: str, images, per_image: bool) -> dict:
    if codec in EFFORT:
        effort = EFFORT[codec]
        models = single_rate_family()
        rows = [r for m in tqdm(models, desc=codec) for r in eval_strata(m.name, images, effort)]
        name, desc = "strata-hyperprior", "Strata mean-scale hyperprior, shipped qualities: " + ", ".join(m.name for m in models)
        if effort:
            name, desc = f"{name}-effort{effort}", f"{desc}; encoder effort {effort}"
        return results_json(name, desc, rows, per_image)
    if codec == "strata-progressive":
        layered = [m.name for m in list_models(kind=Kind.IMAGE) if LAYERS in m.codec.capabilities]
        if not layered:
            raise RuntimeError("no progressive model is installed")
        name = default_model() if default_model() in layered else layered[0]
        rows = eval_strata(name, images)
        desc = f"Strata progressive ({name}): one file per image, truncated at every layer end"
        return results_json("strata-progressive", desc, rows, per_image)
    b = BASELINES[codec]
    if not b.available():
        raise RuntimeError(f"{codec} is not available here (install the eval extras: pip install '.[eval]')")
    rows = [r for q in tqdm(b.qualities, desc=codec) for r in eval_baseline(b, q, images)]
    return results_json(b.name, b.description, rows, per_image)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/kodak")
    p.add_argument("--out", type=Path, default=Path("results/kodak"))
    p.add_argument("--anchors", type=Path, help="published curves of the same images (default: "
                   "../shared/anchors/NAME for a data folder NAME, if there is one)")
    p.add_argument("--limit", type=int, help="the first N images of the folder (sorted by name)")
    p.add_argument("--codecs", nargs="*", default=[], choices=[*STRATA, *BASELINES])
    p.add_argument("--all", action="store_true", help="every codec")
    p.add_argument("--per-image", action="store_true", help="keep per-image rows in the JSON")
    p.add_argument("--force", action="store_true", help="recompute codecs whose results exist")
    a = p.parse_args()
    codecs = [*STRATA, *BASELINES] if a.all else a.codecs
    if not codecs:
        p.error("name --codecs or --all")

    a.out.mkdir(parents=True, exist_ok=True)
    todo = [c for c in codecs if a.force or not (a.out / f"{c}.json").exists()]
    if todo:
        try:
            images = load_folder(a.data)[:a.limit]
        except (FileNotFoundError, OSError, StrataError) as e:
            sys.exit(f"rd_eval: error: {e}")
        for c in todo:
            try:
                res = evaluate(c, images, a.per_image)
            except RuntimeError as e:
                print(f"rd_eval: skipping {c}: {e}", file=sys.stderr)
                continue
            res["data"] = f"{Path(a.data).name} ({len(images)} images)"
            (a.out / f"{c}.json").write_text(json.dumps(res, indent=1) + "\n")
            r = res["results"]
            print(f"{c}: " + ", ".join(f"{b:.3f} bpp/{q:.2f} dB" for b, q in zip(r["bpp"], r["psnr-rgb"])))
    elif (a.out / "rd.png").exists():
        print(f"rd_eval: {a.out} is up to date (use --force to recompute)")
        return

    results = load_results(a.out)
    anchors_dir = a.anchors or Path("../shared/anchors") / Path(a.data).name
    anchors = load_results(anchors_dir) if anchors_dir.is_dir() else {}
    ours = {k: v for k, v in results.items() if k.startswith("strata")}
    refs = {k: v for k, v in results.items() if not k.startswith("strata")}
    if "strata" in results and "strata-progressive" in results:  # the cost of progressivity
        refs = {"strata single-rate": results["strata"], **refs}
    refs.update({f"{k} (anchor)": anchors[k] for k in ANCHORS_FOR_BD if k in anchors})
    rows = bd_table(ours, refs)
    lo, hi = RANGE
    ranged = bd_table(ours, refs, RANGE)
    md = (bd_markdown(rows) + f"\n\n### Over {lo}-{hi} bpp only (curves clipped, interpolated at the ends)\n\n"
          + bd_markdown(ranged))
    (a.out / "bd.json").write_text(json.dumps({"method": METHOD, "rows": rows,
                                               "range_bpp": RANGE, "rows_in_range": ranged}, indent=1) + "\n")
    (a.out / "bd.md").write_text(md + "\n")
    curves = [(v["name"], v, "ours") for v in ours.values()]
    curves += [(v["name"], v, "classical") for k, v in results.items() if not k.startswith("strata")]
    curves += [(f"{k} (published)", anchors[k], "anchor") for k in ANCHORS_FOR_PLOT if k in anchors]
    plot_rd(curves, a.out / "rd.png", f"{Path(a.data).name}, {len(ours)} Strata curve(s) vs baselines")
    print(md)


if __name__ == "__main__":
    main()
