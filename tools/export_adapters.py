#!/usr/bin/env python3
"""Export trained domain adapters as a shipped, registered model (the plain model + adapters).

    python tools/export_adapters.py checkpoints/adapters-mid-3/last.pt hyperprior-mid-3-da \
        --command "python tools/train_adapters.py ..."

The weights file holds only the adapters and the gate; the entry names the plain model it adapts
(whose own checked weights decode the latents), so its streams are the plain model's, byte for
byte, under the adapted model's name.
"""
import argparse
from pathlib import Path

import torch


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", type=Path)
    p.add_argument("name")
    p.add_argument("--command", required=True, help="the training commands that produced the checkpoint")
    p.add_argument("--gate", type=Path, help="the gate from this run (train_adapters.py --stage gate)")
    a = p.parse_args()
    from codec.image.training.adapter_loop import DOMAINS
    from codec.image.training.export import register
    from codec.registry import model_info
    ck = torch.load(a.checkpoint, map_location="cpu", weights_only=False)
    cfg = ck["config"]
    inner = model_info(cfg["inner"])
    state = {k: v.float().contiguous() for k, v in ck["adapters"].items()}
    steps = {"adapters": ck["step"]}
    if a.gate:
        g = torch.load(a.gate, map_location="cpu", weights_only=False)
        if g["config"]["inner"] != cfg["inner"]:
            raise SystemExit(f"error: the gate was trained on {g['config']['inner']}, the adapters on {cfg['inner']}")
        state.update({k: v.float().contiguous() for k, v in g["adapters"].items() if k.startswith("gate.")})
        steps["gate"] = g["step"]
    counts = {"adapters": sum(v.numel() for k, v in state.items() if k.startswith("banks.")),
              "gate": sum(v.numel() for k, v in state.items() if k.startswith("gate."))}
    entry = {"architecture": inner.architecture + "+adapters",
             "args": {"inner": inner.name, "domains": list(DOMAINS), "rank": cfg["rank"], "gate_width": cfg["gate_width"]},
             "description": f"{inner.name} with decoder-side domain adapters ({', '.join(DOMAINS)}) and their gate",
             "lambda": inner.extra.get("lambda"), "steps": steps, "command": a.command,
             "parameters": counts}
    e = register({"adapters": state}, a.name, entry)
    print(f"exported {e['name']}: {e['file']} sha256 {e['sha256'][:16]}... (steps {steps}, {counts})")


if __name__ == "__main__":
    main()
