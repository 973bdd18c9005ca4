#!/usr/bin/env python3
"""Train domain adapters and their decoder-side gate on a shipped image model (resumable).

    python tools/make_screens.py --out checkpoints/screens          # the screen-content domain
    python tools/train_adapters.py --inner hyperprior-mid-3 --out checkpoints/adapters-mid-3 \
        --data ../shared/data/bsds500 ../shared/data/urban100 --comics ../shared/data/manga109/train \
        --screen checkpoints/screens/train --steps 2000

    python tools/train_adapters.py --stage gate --inner hyperprior-mid-3 --out checkpoints/gate-mid-3 \
        --steps 3000 --batch 4 --lr 1e-3 --warmup 100 ...            # same data options

    python tools/export_adapters.py checkpoints/adapters-mid-3/last.pt NAME \
        --gate checkpoints/gate-mid-3/last.pt --command "..."

The adapters stage trains the adapters (everything else frozen); the gate stage the gate alone,
on cached whole-image latents (see codec/image/training/adapter_loop.py); the two are independent.
--data: the natural-photo folders; --comics, --screen: one folder each. Each folder keeps its
validation images (val/ if present, else its last 4). Rerunning the same command resumes from
OUT/last.pt. Export with tools/export_adapters.py.
"""
from pathlib import Path

from codec.errors import StrataError
from codec.image.training.adapter_loop import AdapterConfig, train, train_gate
from codec.image.training.command import DEFAULT_DATA
from codec.image.training.data import split_train_val
from codec.training.config import parse_config

if __name__ == "__main__":
    cfg = parse_config(AdapterConfig, __doc__, DEFAULT_DATA)
    try:
        nat_train, nat_val = [], []
        for folder in cfg.data:
            t, v = split_train_val(Path(folder), n_val=4)
            nat_train += t
            nat_val += v[:4]
        others = {}
        for domain, folder in (("comics", cfg.comics), ("screen", cfg.screen)):
            t, v = split_train_val(Path(folder), n_val=4)
            others[domain] = (t, v[:4])
        print(f"natural {len(nat_train)}, comics {len(others['comics'][0])}, screen {len(others['screen'][0])} "
              "training images")
        if cfg.stage == "gate":
            train_gate(cfg, {"natural": (nat_train, nat_val), **others})
        elif cfg.stage == "adapters":
            train(cfg, nat_train, nat_val, others)
        else:
            raise SystemExit(f"error: --stage must be adapters or gate, not {cfg.stage!r}")
    except (StrataError, FileNotFoundError, ValueError) as e:
        raise SystemExit(f"error: {e}") from None
