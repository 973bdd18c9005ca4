"""Command lines of the training tools: one flag per field of a training config dataclass."""
from __future__ import annotations

import argparse
import dataclasses

from .data import split_train_val


def parse_config(cls, doc: str):
    """Parse sys.argv into cls; `data` (one or more folders) defaults to ../shared/data/bsds500."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", nargs="+", default=["../shared/data/bsds500"],
                   help="folders of training images, mixed (e.g. bsds500 and urban100); each "
                        "keeps its own validation images (its val/ folder, else its last 8)")
    for f in dataclasses.fields(cls):
        if f.name == "data":
            continue
        kind = float if f.type == "float" else int if f.type == "int" else str
        p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=kind, default=f.default,
                       required=f.default is dataclasses.MISSING)
    return cls(**vars(p.parse_args()))


def train_from_command_line(cls, train, doc: str, n_val: int) -> None:
    """Parse the config, split the data folder and train on it, validating on n_val images."""
    cfg = parse_config(cls, doc)
    train_files, val_files = [], []
    for folder in cfg.data:  # n_val validation images from each folder
        t, v = split_train_val(folder)
        train_files += t
        val_files += v[:n_val]
    print(f"{len(train_files)} training images, {len(val_files)} validation images")
    train(cfg, train_files, val_files)
