#!/usr/bin/env python3
"""Rate-distortion of Strata's point-cloud models against Draco on ModelNet10's test split.

    python tools/eval_pointcloud.py --data ../shared/data/modelnet10 --out results/modelnet10

Writes OUT/rd.json (every figure), OUT/rd.md (the tables) and OUT/rd.png (bpp vs Chamfer and
D1 PSNR). --limit N evaluates every k-th shape so that N remain (a quick look); --full-limit
sets how many shapes (every k-th) are also decoded with the full DDPM sampler (slow).
"""
import argparse
import json
from pathlib import Path

from tqdm import tqdm

from pointcloud.data import split_files
from pointcloud.evaluate import eval_draco, eval_strata, strata_models
from pointcloud.io import read_cloud


def every(items, n):
    if not n or n >= len(items):
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/modelnet10")
    p.add_argument("--out", type=Path, default=Path("results/modelnet10"))
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--full-limit", type=int, default=48)
    p.add_argument("--draco-bits", default="1,2,3,4,5,6,7,8,10")
    p.add_argument("--models", nargs="+", metavar="NAME",
                   help="re-evaluate only these Strata models, keeping every other row of OUT/rd.json")
    a = p.parse_args()
    files = split_files(a.data, "test")
    clouds = [read_cloud(f) for f in tqdm(every(files, a.limit), desc="reading")]
    res = {"shapes": len(clouds), "strata": [], "strata_full": [], "strata_effort": [], "draco": []}
    if a.models:
        res = json.loads((a.out / "rd.json").read_text())
        for key in ("strata", "strata_full", "strata_effort"):
            res[key] = [r for r in res[key] if r["model"] not in a.models]
    for name in tqdm(a.models or strata_models(), desc="strata"):
        res["strata"].append(eval_strata(name, clouds))
        res["strata_effort"].append(eval_strata(name, every(clouds, a.full_limit), effort=1))
        res["strata_full"].append(eval_strata(name, every(clouds, a.full_limit), steps=200))  # = T: the full DDPM
    for key in ("strata", "strata_full", "strata_effort"):
        res[key].sort(key=lambda r: r["bpp"])
    for bits in tqdm([] if a.models else [int(b) for b in a.draco_bits.split(",")], desc="draco"):
        res["draco"].append(eval_draco(clouds, bits))
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "rd.json").write_text(json.dumps(res, indent=1) + "\n")
    (a.out / "rd.md").write_text(markdown(res))
    plot(res, a.out / "rd.png")
    print(markdown(res))


def markdown(res) -> str:
    lines = [f"ModelNet10 test split, {res['shapes']} shapes; rates are whole files in bits per input "
             "point; Chamfer in original units (sum: reference convention; mean: per-point means); "
             "D1 PSNR peak = bounding-box diagonal.", "",
             "| codec | rate | bpp (file) | bpp (payload) | Chamfer sum | Chamfer mean | D1 PSNR dB | decode s |",
             "|---|---|---|---|---|---|---|---|"]
    for key, label in (("strata", "fast"), ("strata_effort", "fast, effort 1"), ("strata_full", "full DDPM")):
        for r in res[key]:
            lines.append(f"| {r['model']} ({label}, {r['steps']} steps, {int(r['shapes'])} shapes) | "
                         f"{r['subvectors']} idx + {r['anchors']} anchors | {r['bpp']:.3f} | {r['payload_bpp']:.3f} | "
                         f"{r['chamfer_sum']:.2f} | {r['chamfer_mean']:.4f} | {r['d1_psnr']:.2f} | {r['decode_s']:.3f} |")
    for r in res["draco"]:
        lines.append(f"| Draco (merged duplicates) | {r['bits']} bits, {r['points_coded']:.0f} pts | {r['bpp']:.3f} | - | "
                     f"{r['chamfer_sum']:.2f} | {r['chamfer_mean']:.4f} | {r['d1_psnr']:.2f} | - |")
    lines += ["", "| model | index bytes, entropy coded | fixed-length | saving |", "|---|---|---|---|"]
    for r in res["strata"]:
        lines.append(f"| {r['model']} | {r['index_bytes']:.2f} | {r['fixed_index_bytes']} | "
                     f"{100 * (1 - r['index_bytes'] / r['fixed_index_bytes']):.1f}% |")
    return "\n".join(lines) + "\n"


def plot(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, label in ((axes[0], "chamfer_sum", "Chamfer (sum convention)"), (axes[1], "d1_psnr", "D1 PSNR (dB)")):
        for name, rows, style in (("Strata (fast sampler)", res["strata"], "o-"), ("Strata (full DDPM)", res["strata_full"], "s--"),
                                  ("Draco, merged", res["draco"], "^-")):
            ax.plot([r["bpp"] for r in rows], [r[key] for r in rows], style, label=name)
        ax.set_xscale("log")
        if key == "chamfer_sum":
            ax.set_yscale("log")
        ax.set_xlabel("bits per input point (whole file)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"ModelNet10 test ({res['shapes']} shapes)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
