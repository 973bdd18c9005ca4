#!/usr/bin/env python3
"""Train Strata's progressive (variance-aware masking) model on a folder of images (resumable).

The base layer is a trained hyperprior checkpoint (frozen); the top transforms start from a
higher-rate hyperprior checkpoint (both made with tools/train_image.py):

    python tools/train_progressive.py --out checkpoints/vam --init-base checkpoints/base/last.pt \\
        --init-top checkpoints/high/last.pt --lmbda 0.05 --steps 20000

`--init-from CKPT` starts instead from a progressive checkpoint's weights (fresh optimizer and step
count), to fine-tune it at another lambda. Rerunning the same command resumes from OUT/last.pt. Export with tools/export_weights.py.
"""
from codec.image.training.command import train_from_command_line
from codec.image.training.progressive_loop import ProgressiveConfig, train

if __name__ == "__main__":
    train_from_command_line(ProgressiveConfig, train, __doc__, n_val=4)
