#!/usr/bin/env python3
"""One command per stage of Strata's image-model recipe (codec/image/training/recipe.py), resumable.

    python tools/train_recipe.py --list                       # the stages and what each starts from
    python tools/train_recipe.py trunk                        # CUDA: full scale; CPU: the cpu scale
    python tools/train_recipe.py mid --max-minutes 9          # a chain of 9-minute calls, one run
    torchrun --nproc_per_node 8 tools/train_recipe.py trunk   # data-parallel over 8 GPUs (DDP)

Run folders are ROOT/STAGE (--root, default checkpoints/recipe); rerunning a command resumes
from ROOT/STAGE/last.pt, and a stage starts from the last checkpoints of the stages it follows.
--steps, --batch, --crop, --workers and --lr override the stage's values; the command line
that was run is printed for the record. Export a stage with tools/export_weights.py.
"""
import argparse
from pathlib import Path

import torch

from codec.image.training.command import train_config
from codec.image.training.loop import TrainConfig, train as train_single_rate
from codec.image.training.progressive_loop import ProgressiveConfig, train as train_progressive
from codec.image.training.recipe import SCALES, STAGES, missing_inputs, stage, stage_config

LOOPS = {"single-rate": (TrainConfig, train_single_rate, "tools/train_image.py", 8),
         "progressive": (ProgressiveConfig, train_progressive, "tools/train_progressive.py", 4)}


def command_line(tool: str, cfg: dict) -> str:
    parts = [f"python {tool}"]
    for k, v in cfg.items():
        flag = "--" + k.replace("_", "-")
        parts.append(f"{flag} {' '.join(v)}" if isinstance(v, list) else f"{flag} {v}")
    return " ".join(parts)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stage", nargs="?", help="one of: " + ", ".join(s.name for s in STAGES))
    p.add_argument("--list", action="store_true", help="print the stages and exit")
    p.add_argument("--root", type=Path, default=Path("checkpoints/recipe"))
    p.add_argument("--scale", choices=("auto",) + SCALES, default="auto",
                   help="auto: full on CUDA, cpu otherwise")
    p.add_argument("--data", nargs="+", help="training folders (default: BSDS500 and Urban100)")
    p.add_argument("--max-minutes", type=float)
    for name, kind in (("steps", int), ("batch", int), ("crop", int), ("workers", int), ("lr", float)):
        p.add_argument("--" + name, type=kind)
    a = p.parse_args()
    if a.list or not a.stage:
        for s in STAGES:
            after = ", ".join(f"{k} <- {v}" for k, v in s.after.items()) or "scratch"
            print(f"{s.name:12s} {s.loop:12s} {s.full['steps']:>7,} / {s.cpu['steps']:>6,} steps  "
                  f"({after}): {s.what}")
        print("steps: full scale / cpu scale")
        return
    try:
        s = stage(a.stage)
    except Exception as e:
        raise SystemExit(f"error: {e}") from None
    scale = a.scale if a.scale != "auto" else ("full" if torch.cuda.is_available() else "cpu")
    cfg = stage_config(s.name, a.root, scale, a.data, steps=a.steps, batch=a.batch, crop=a.crop,
                       workers=a.workers, lr=a.lr, max_minutes=a.max_minutes)
    missing = missing_inputs(cfg, s.name)
    if missing:
        raise SystemExit(f"error: stage {s.name} starts from {', '.join(missing)}: train "
                         f"{', '.join(s.after.values())} first")
    cls, train, tool, n_val = LOOPS[s.loop]
    print(f"stage {s.name} at {scale} scale: {command_line(tool, cfg)}")
    train_config(cls(**cfg), train, n_val)


if __name__ == "__main__":
    main()
