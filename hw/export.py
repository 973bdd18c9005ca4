"""A trained quantization-aware student -> the shipped integer model (weights file of hw/codecs.py).

The hyper path and entropy models are the float ones of the architecture, with their CDF tables
built once here (never recomputed on load: see MeanScaleHyperprior.update); g_a and g_s are the
integer transforms of integer_model.export_transform.
"""
from __future__ import annotations

import numpy as np
import torch

from .integer_model import Transform, export_transform


def transform_to_file(t: Transform) -> dict:
    """Transform -> tensors and plain values (loadable with torch.load(weights_only=True))."""
    d = t.as_state()
    for layer in d["layers"]:
        layer["weight"] = torch.from_numpy(layer["weight"].astype(np.int8))
        layer["bias"] = torch.from_numpy(layer["bias"].astype(np.int64))
    return d


def transform_from_file(d: dict) -> Transform:
    return Transform.from_state(d)


@torch.no_grad()
def integer_weights(qstudent) -> dict:
    """The weights file of a trained QuantStudent (quant.py)."""
    qstudent = qstudent.float().eval()
    for name, p in qstudent.named_parameters():  # the hyper transforms ship as float16, as the
        if name.startswith(("h_a.", "h_s.")):   # teacher's do; rounded before the tables are built
            p.copy_(p.half().float())
    qstudent.update()  # CDF tables of the entropy models, built once
    hyper = {k: (v.half() if k.startswith(("h_a.", "h_s.")) else v) for k, v in qstudent.state_dict().items()
             if not k.startswith(("g_a.", "g_s."))}
    return {"hyper": hyper, "g_a": transform_to_file(export_transform("g_a", qstudent.g_a)),
            "g_s": transform_to_file(export_transform("g_s", qstudent.g_s))}


def integer_student(qstudent):
    """The in-memory IntegerStudent of a QuantStudent (validation during QAT, tools)."""
    import copy

    from .integer_student import IntegerStudent
    q = copy.deepcopy(qstudent).float().eval()
    m = IntegerStudent(q.transform_N, q.M, q.N)
    m.load_state_dict({k: v for k, v in q.state_dict().items() if not k.startswith(("g_a.", "g_s."))}, strict=False)
    m.set_transforms(export_transform("g_a", q.g_a), export_transform("g_s", q.g_s))
    return m
