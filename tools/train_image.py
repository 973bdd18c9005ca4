#!/usr/bin/env python3
"""Train Strata's mean-scale hyperprior on a folder of images (resumable).

    python tools/train_image.py --out checkpoints/msh-q3 --lmbda 0.0067 --steps 20000
    python tools/train_image.py --out checkpoints/msh-q1 --lmbda 0.0018 --init checkpoints/msh-q3/last.pt

Rerunning the same command resumes from OUT/last.pt. Export the result as shipped weights with
tools/export_weights.py.
"""
import argparse
import dataclasses

from codec.training.data import split_train_val
from codec.training.loop import TrainConfig, train


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/bsds500", help="folder of training images")
    for f in dataclasses.fields(TrainConfig):
        if f.name == "data":
            continue
        flag = "--lmbda" if f.name == "lmbda" else "--" + f.name.replace("_", "-")
        kind = float if f.type in ("float",) else int if f.type == "int" else str
        p.add_argument(flag, dest=f.name, type=kind, default=f.default,
                       required=f.default is dataclasses.MISSING)
    args = p.parse_args()
    cfg = TrainConfig(**vars(args))
    train_files, val_files = split_train_val(cfg.data)
    print(f"{len(train_files)} training images, {len(val_files)} validation images")
    train(cfg, train_files, val_files[:8])


if __name__ == "__main__":
    main()
