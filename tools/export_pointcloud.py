#!/usr/bin/env python3
"""Export a point-cloud training checkpoint as shipped weights, registered under one model name
per rate (NAME=SUBVECTORS:ANCHORS; one trained model serves every rate).

    python tools/export_pointcloud.py checkpoints/pc-ddpm/last.pt pc-ddpm-1 \\
        pc8=8:0 pc32=32:0 pc32a32=32:32 pc32a128=32:128 --steps 20 \\
        --command "python tools/train_pointcloud.py --out checkpoints/pc-ddpm --steps 24000"
"""
import argparse
from pathlib import Path

from pointcloud.export import export


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", type=Path)
    p.add_argument("file_stem", help="name of the weights file in codec/weights/")
    p.add_argument("rates", nargs="+", help="NAME=SUBVECTORS:ANCHORS")
    p.add_argument("--steps", type=int, default=20, help="the models' default fast-sampler steps")
    p.add_argument("--command", required=True, help="the training command that produced the checkpoint")
    a = p.parse_args()
    rates = {}
    for r in a.rates:
        name, _, spec = r.partition("=")
        m, _, k = spec.partition(":")
        rates[name] = (int(m), int(k))
    for e in export(a.checkpoint, a.file_stem, rates, a.steps, a.command):
        print(f"{e['name']}: {e['description']} ({e['file']}, sha256 {e['sha256'][:12]})")


if __name__ == "__main__":
    main()
