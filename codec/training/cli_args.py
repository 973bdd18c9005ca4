"""Command-line flags generated from a training config dataclass (one flag per field)."""
from __future__ import annotations

import argparse
import dataclasses


def parse_config(cls, doc: str, rename: dict | None = None):
    """Parse sys.argv into cls; `data` defaults to ../shared/data/bsds500."""
    rename = rename or {}
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/bsds500", help="folder of training images")
    for f in dataclasses.fields(cls):
        if f.name == "data":
            continue
        flag = rename.get(f.name, "--" + f.name.replace("_", "-"))
        kind = float if f.type == "float" else int if f.type == "int" else str
        p.add_argument(flag, dest=f.name, type=kind, default=f.default,
                       required=f.default is dataclasses.MISSING)
    return cls(**vars(p.parse_args()))
