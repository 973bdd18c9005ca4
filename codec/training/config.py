"""Command lines of the training tools: one flag per field of a training config dataclass."""
from __future__ import annotations

import argparse
import dataclasses



def parse_config(cls, doc: str, data_default: str):
    """Parse sys.argv into cls; `data` (one or more folders) defaults to data_default."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", nargs="+", default=[data_default],
                   help="folders of training images, mixed (e.g. bsds500 and urban100); each "
                        "keeps its own validation images (its val/ folder, else its last 8)")
    for f in dataclasses.fields(cls):
        if f.name == "data":
            continue
        kind = float if f.type == "float" else int if f.type == "int" else str
        p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=kind, default=f.default,
                       required=f.default is dataclasses.MISSING)
    return cls(**vars(p.parse_args()))
