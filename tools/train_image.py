#!/usr/bin/env python3
"""Train Strata's mean-scale hyperprior on a folder of images (resumable).

    python tools/train_image.py --out checkpoints/msh-q3 --lmbda 0.0067 --steps 20000
    python tools/train_image.py --out checkpoints/msh-q1 --lmbda 0.0018 --init checkpoints/msh-q3/last.pt

Rerunning the same command resumes from OUT/last.pt. Export the result as shipped weights with
tools/export_weights.py.
"""
from codec.training.cli_args import parse_config
from codec.training.data import split_train_val
from codec.training.loop import TrainConfig, train


def main():
    cfg = parse_config(TrainConfig, __doc__, {"lmbda": "--lmbda"})
    train_files, val_files = split_train_val(cfg.data)
    print(f"{len(train_files)} training images, {len(val_files)} validation images")
    train(cfg, train_files, val_files[:8])


if __name__ == "__main__":
    main()
