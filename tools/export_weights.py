#!/usr/bin/env python3
"""Export a training checkpoint as shipped, registered weights (package data).

    python tools/export_weights.py checkpoints/trunk/last.pt hyperprior-mid \
        --description "mean-scale hyperprior, mid rate" --command "python tools/train_image.py ..."
"""
import argparse
from pathlib import Path

from codec.image.training.export import export


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", type=Path)
    p.add_argument("name")
    p.add_argument("--description", default="")
    p.add_argument("--command", required=True, help="the training command(s) that produced the checkpoint")
    p.add_argument("--default", action="store_true", help="make it the default model of `strata encode`")
    p.add_argument("--bounds", help="progressive models: comma-separated layer ends in 1/10000 of the "
                   "residual elements (default: the model's)")
    p.add_argument("--synthesis", choices=["float32", "bfloat16"],
                   help="dtype of the synthesis at coding time (default float32; see models/subpixel.py)")
    p.add_argument("--supersedes", nargs="+", metavar="NAME", help="models these weights replace: "
                   "they stay installed to decode their streams, but encoders and evaluations move on")
    a = p.parse_args()
    margs = {"bounds": [int(b) for b in a.bounds.split(",")]} if a.bounds else {}
    if a.synthesis:
        margs["synthesis"] = a.synthesis
    e = export(a.checkpoint, a.name, a.description, a.command, default=a.default, model_args=margs or None,
               supersedes=a.supersedes)
    print(f"exported {e['name']}: {e['file']} sha256 {e['sha256'][:16]}... (step {e['steps']})")


if __name__ == "__main__":
    main()
