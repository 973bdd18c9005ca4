"""The quantized transforms in QONNX (Brevitas's exporter) and run by QONNX's own executor: the
interchange form for FINN / hls4ml flows, checked against the integer reference (tests,
tools/export_hls.py). Its Quant nodes carry the same power-of-two scales and bit widths; the
GDN appears as Abs, a 1x1 Conv, Add and Mul (Div in the encoder, where the reference uses the
fixed-point reciprocal)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


def export_qonnx(seq, example: torch.Tensor, path: Path) -> Path:
    from brevitas.export import export_qonnx as brevitas_export
    path = Path(path)
    with torch.no_grad():
        brevitas_export(seq.eval(), input_t=example, export_path=str(path))
    return path


def execute(path: Path, x: np.ndarray) -> np.ndarray:
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.util.cleanup import cleanup_model
    model = cleanup_model(ModelWrapper(str(path)))
    out = execute_onnx(model, {model.graph.input[0].name: x})
    return out[model.graph.output[0].name]
