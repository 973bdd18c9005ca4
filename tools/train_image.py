#!/usr/bin/env python3
"""Train Strata's mean-scale hyperprior on a folder of images (resumable).

    python tools/train_image.py --out checkpoints/msh-q3 --lmbda 0.0067 --steps 20000
    python tools/train_image.py --out checkpoints/msh-q1 --lmbda 0.0018 --init checkpoints/msh-q3/last.pt

Rerunning the same command resumes from OUT/last.pt. Export the result as shipped weights with
tools/export_weights.py.
"""
from codec.image.training.command import train_from_command_line
from codec.image.training.loop import TrainConfig, train

if __name__ == "__main__":
    train_from_command_line(TrainConfig, train, __doc__, n_val=8)
