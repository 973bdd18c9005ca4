#!/usr/bin/env python3
"""Export a quantization-aware student checkpoint as a shipped, registered integer model.

    python tools/export_student.py checkpoints/student-q/last.pt student-n64-int \
        --command "python tools/train_student.py ..."

The weights file holds the integer g_a / g_s (hw/export.py) and the float hyper path; the model
decodes with `strata decode` like any other (architecture hardware-student).
"""
import argparse
from pathlib import Path

import torch


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", type=Path)
    p.add_argument("name")
    p.add_argument("--command", required=True, help="the training commands that produced the checkpoint")
    p.add_argument("--description", default="")
    a = p.parse_args()
    from codec.image.training.export import register
    from codec.registry import model_info
    from hw.export import integer_weights
    from hw.quant import load_checkpoint
    ck = torch.load(a.checkpoint, map_location="cpu", weights_only=False)
    cfg = ck["config"]
    if cfg.get("quant") != "hybrid":
        raise SystemExit("error: the checkpoint is not a quantization-aware student (--quant hybrid)")
    model = load_checkpoint(a.checkpoint)
    bits = model.bits
    blob = integer_weights(model)
    lmbda = cfg["lmbda"] or float(model_info(cfg["teacher"]).extra["lambda"])
    entry = {"architecture": "hardware-student", "args": {"N": cfg["N"], "M": model.M, "hyper_N": model.N},
             "description": a.description or f"hardware student (N={cfg['N']}, L1 GDN, int8 weights, "
                                               f"hybrid int8/int16 activations) distilled from {cfg['teacher']}",
             "lambda": lmbda, "steps": ck["step"], "command": a.command, "teacher": cfg["teacher"], "bits": bits,
             "parameters": sum(p.numel() for n, p in model.named_parameters() if not n.startswith(("g_a", "g_s")))
             + sum(l["weight"].numel() + l["bias"].numel() for t in ("g_a", "g_s") for l in blob[t]["layers"])}
    e = register(blob, a.name, entry)
    print(f"exported {e['name']}: {e['file']} sha256 {e['sha256'][:16]}... (step {e['steps']})")


if __name__ == "__main__":
    main()
