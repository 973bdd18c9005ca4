#!/usr/bin/env python3
"""The measured learning curve of Strata's image models, and the training it projects to the goals.

    python tools/learning_curve.py [--out results/kodak/learning_curve]

Each release of a model family was measured on Kodak by tools/rd_eval.py at its release commit
(results/kodak/*.json, read back with `git show`, so this needs the repository's history). For
each release: the training it had, in pixels of training crops (steps x batch x crop^2 over
every stage, from the registry's recorded commands), and its BD-rate against the goal's
reference. A straight line of BD-rate over log10(pixels) through the releases is extrapolated to
the goal: a projection, not a promise (the recipe changed between releases as well as the length).
"""
import argparse
import json
import math
import subprocess
from pathlib import Path

import numpy as np

from codec.rd.bd import bd_rate

PX = lambda steps, batch, crop: steps * batch * crop * crop  # noqa: E731
# release commit, family, what it had (every stage of the model's chain), from registry.json
RELEASES = [
    ("e2d9b60", "single-rate", "hyperprior-low/mid/high", PX(14000, 8, 128) + PX(1500, 8, 128)),
    ("da1749b", "single-rate", "hyperprior-*-2", PX(32000, 8, 128) + PX(1200, 8, 128)),
    ("ac34e76", "single-rate", "hyperprior-low-3/mid-3/high-4",
     PX(32000, 8, 128) + PX(9000, 4, 256) + PX(1000, 4, 256)),
    ("23a5510", "progressive", "progressive-vam", PX(24000, 8, 128)),
    ("b49cc4f", "progressive", "progressive-vam-2", PX(33143, 8, 128)),
]
FILES = {"single-rate": "strata.json", "progressive": "strata-progressive.json"}
# goal: BD-rate at most this against that reference (issue 19)
GOALS = {"single-rate": ("compressai-mbt2018-mean_mse_cpu", 15.0), "progressive": ("webp", 0.0)}
FULL_STEP_PX = PX(1, 16, 256)  # one step of the full-scale recipe (codec/image/training/recipe.py)
CPU_PX_PER_S = PX(32000, 8, 128) + PX(10000, 4, 256)  # the -3 models' chain ...
CPU_PX_PER_S /= 4.33 * 3600  # ... took about 4 h 20 min on the 2 cores here (README)


def at_commit(rev: str, path: str) -> dict:
    r = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"error: {path} at {rev} is not in this repository's history "
                         "(a shallow clone?): {r.stderr.strip()}")
    return json.loads(r.stdout)


def curve(res: dict):
    return res["results"]["bpp"], res["results"]["psnr-rgb"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--anchors", type=Path, default=Path("../shared/anchors/kodak"))
    p.add_argument("--out", type=Path, default=Path("results/kodak/learning_curve"))
    a = p.parse_args()
    rows = []
    for rev, family, models, px in RELEASES:
        ref_name, goal = GOALS[family]
        ref = (json.loads((a.anchors / f"{ref_name}.json").read_text()) if family == "single-rate"
               else at_commit(rev, f"results/kodak/{ref_name}.json"))
        ours = at_commit(rev, f"results/kodak/{FILES[family]}")
        rows.append({"release": rev, "family": family, "models": models, "train_gpx": px / 1e9,
                     "reference": ref_name, "bd_rate": bd_rate(*curve(ref), *curve(ours)), "goal": goal})
    lines = ["| family | release | models | training crops (Gpx) | vs | BD-rate |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['family']} | {r['release']} | {r['models']} | {r['train_gpx']:.2f} | {r['reference']} | "
              f"{r['bd_rate']:+.1f}% |" for r in rows]
    projections = {}
    for family in GOALS:
        sel = [r for r in rows if r["family"] == family]
        x = np.log10([r["train_gpx"] for r in sel])
        slope, icept = np.polyfit(x, [r["bd_rate"] for r in sel], 1)
        goal = GOALS[family][1]
        gpx = 10 ** ((goal - icept) / slope) if slope < 0 else math.inf
        projections[family] = {"bd_per_decade": slope, "goal_gpx": gpx,
                               "full_scale_steps": gpx * 1e9 / FULL_STEP_PX,
                               "cpu_hours_here": gpx * 1e9 / CPU_PX_PER_S / 3600}
        lines.append("")
        lines.append(f"{family}: {slope:+.1f} BD-rate points per tenfold training; the goal "
                     f"({GOALS[family][1]:+.0f}% vs {GOALS[family][0]}) at about {gpx:,.0f} Gpx of crops = "
                     f"{projections[family]['full_scale_steps']:,.0f} steps of 16 x 256^2, or "
                     f"{projections[family]['cpu_hours_here']:,.0f} h on the two cores here "
                     f"({CPU_PX_PER_S / 1e3:.0f} kpx/s).")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps({"releases": rows, "projections": projections}, indent=1) + "\n")
    a.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
