"""The exported integer network: what the headers, the NumPy reference and the C++ kernel share.

A transform (g_a or g_s) is an input type and a list of layers; every tensor has a `FixedType`:

    conv / tconv:  acc = w (*) x + bias        w int8 (w_frac), bias raw at acc_frac = x_frac + w_frac
                   out = acc requantized to the layer's type (shift, AP_RND_CONV, AP_SAT)
    gdn / igdn:    norm = beta + gamma (*) |x|  gamma int8 (g_frac), beta raw at x_frac + g_frac
                   out = x * recip(norm) (gdn: reciprocal.py) or x * norm (igdn), requantized

`run` executes a transform on raw integers. Its convolution accumulators come from one of two
backends that must agree bit for bit (tested): "numpy" (int64 einsum, the specification) and
"torch" (float64 convolutions of integer-valued tensors: exact because every partial sum stays
below 2^53, which `check_exact` proves from the weights and types; it is the CLI's fast path).
Everything after the accumulators (bias, GDN, reciprocal, rounding, saturation) is the same
NumPy code for both.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .fixedpoint import FixedType
from .reciprocal import Reciprocal
from .reference import conv2d_acc, conv_transpose2d_acc

RECIPROCAL = Reciprocal(index_bits=8, lut_frac_bits=16, newton_steps=1, work_frac_bits=24)
RECIP_FRAC = 24  # fractional bits of 1/norm in the encoder's GDN
PIXEL_BITS = 8


@dataclass
class Layer:
    op: str  # conv, tconv, gdn, igdn
    out: FixedType
    weight: np.ndarray  # int8 raw: conv (O, C, k, k); tconv (C, O, k, k); gdn gamma (C, C)
    w_frac: int
    bias: np.ndarray  # raw at the accumulator's fractional bits (conv bias, GDN beta)
    stride: int = 1
    padding: int = 0
    output_padding: int = 0

    def acc_frac(self, x_t: FixedType) -> int:
        return x_t.frac_bits + self.w_frac

    def as_state(self) -> dict:
        return {"op": self.op, "out": self.out.as_dict(), "weight": self.weight, "w_frac": self.w_frac,
                "bias": self.bias, "stride": self.stride, "padding": self.padding,
                "output_padding": self.output_padding}

    @classmethod
    def from_state(cls, d: dict) -> "Layer":
        """From as_state's dict; weight and bias may be arrays or CPU tensors (a weights file)."""
        return cls(d["op"], FixedType(**d["out"]), np.asarray(d["weight"], np.int64), d["w_frac"],
                   np.asarray(d["bias"], np.int64), d["stride"], d["padding"], d["output_padding"])


@dataclass
class Transform:
    name: str
    input: FixedType
    layers: list = field(default_factory=list)

    def types(self) -> list[FixedType]:
        """The type of every tensor: the input, then each layer's output."""
        return [self.input] + [l.out for l in self.layers]

    def as_state(self) -> dict:
        return {"name": self.name, "input": self.input.as_dict(), "layers": [l.as_state() for l in self.layers]}

    @classmethod
    def from_state(cls, d: dict) -> "Transform":
        return cls(d["name"], FixedType(**d["input"]), [Layer.from_state(l) for l in d["layers"]])

    def accumulator_bound(self) -> list[int]:
        """Per layer, the largest |accumulator| any input of the declared types can produce
        (max |x| times the largest sum of |w| feeding one output, plus the largest |bias|)."""
        out, x_t = [], self.input
        for l in self.layers:
            x_max = max(-x_t.raw_min, x_t.raw_max)
            w = np.abs(l.weight)
            per_out = w.sum(axis=(1, 2, 3)) if l.op == "conv" else w.sum(axis=(0, 2, 3)) if l.op == "tconv" else w.sum(axis=1)
            out.append(int(x_max * int(per_out.max()) + int(np.abs(l.bias).max())))
            x_t = l.out
        return out

    def check_exact(self) -> None:
        """Every float64 partial sum of the torch backend is an exact integer."""
        if max(self.accumulator_bound()) >= 2**53:
            raise OverflowError(f"{self.name}: an accumulator can exceed 2^53; the float64 path would be inexact")


def _acc(layer: Layer, x: np.ndarray, backend: str) -> np.ndarray:
    """The int64 accumulator of a layer (without bias) on raw x (C, H, W)."""
    if layer.op in ("gdn", "igdn"):
        w, x = layer.weight[:, :, None, None], np.abs(x)
        op, stride, pad = "conv", 1, 0
    else:
        w, op, stride, pad = layer.weight, layer.op, layer.stride, layer.padding
    if backend == "numpy":
        if op == "conv":
            return conv2d_acc(x, w, stride, pad)
        return conv_transpose2d_acc(x, w, stride, pad, layer.output_padding)
    import torch
    import torch.nn.functional as F
    xt, wt = torch.from_numpy(np.asarray(x, np.float64))[None], torch.from_numpy(np.asarray(w, np.float64))
    with torch.no_grad():
        acc = F.conv2d(xt, wt, None, stride, pad) if op == "conv" else \
            F.conv_transpose2d(xt, wt, None, stride, pad, layer.output_padding)
    return acc[0].numpy().astype(np.int64)


def apply_layer(layer: Layer, x_t: FixedType, x: np.ndarray, backend: str = "numpy") -> np.ndarray:
    acc = _acc(layer, x, backend) + layer.bias.reshape(-1, 1, 1)  # bias already at acc_frac
    f = layer.acc_frac(x_t)
    if layer.op in ("conv", "tconv"):
        return layer.out.from_raw(acc, f)
    x = np.asarray(x, np.int64)
    if layer.op == "igdn":
        return layer.out.from_raw(x * acc, x_t.frac_bits + f)
    return layer.out.from_raw(x * RECIPROCAL(acc, f, RECIP_FRAC), x_t.frac_bits + RECIP_FRAC)


def run(t: Transform, x_raw: np.ndarray, backend: str = "numpy", trace: bool = False):
    """Raw input (C, H, W) of t.input's type -> raw output (and, with trace, every layer's)."""
    x = t.input.from_raw(np.asarray(x_raw, np.int64), t.input.frac_bits)  # saturate to the type
    outs, x_t = [x], t.input
    for layer in t.layers:
        x = apply_layer(layer, x_t, x, backend)
        x_t = layer.out
        outs.append(x)
    return outs if trace else x


def to_pixels(raw: np.ndarray, t: FixedType) -> np.ndarray:
    """The synthesis output (3, H, W) -> uint8 pixels: round(255 v) (ties up), clamped."""
    f = t.frac_bits
    p = (np.asarray(raw, np.int64) * 255 + (np.int64(1) << (f - 1))) >> f if f > 0 else np.asarray(raw, np.int64) * 255
    return np.clip(p, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------- export from Brevitas
def _act_type(q) -> FixedType:
    """The fixed-point type of a Brevitas QuantIdentity (power-of-two scale)."""
    import math
    scale = float(q.act_quant.scale())
    frac = -math.log2(scale)
    if frac != round(frac):
        raise ValueError(f"activation scale {scale} is not a power of two")
    bits = int(q.act_quant.bit_width())
    signed = bool(q.act_quant.is_signed)
    return FixedType(bits, bits - int(round(frac)), signed, "AP_RND_CONV", "AP_SAT")


def _weight(m) -> tuple[np.ndarray, int]:
    import math
    qw = m.quant_weight()
    frac = -math.log2(float(qw.scale))
    if frac != round(frac):
        raise ValueError("weight scale is not a power of two")
    return qw.int().detach().numpy().astype(np.int64), int(round(frac))


def export_transform(name: str, seq) -> Transform:
    """A trained QuantStudent transform (quant.py) -> its integer form."""
    import torch

    from .quant import QuantL1GDN
    mods = list(seq)
    t = Transform(name, _act_type(mods[0]))
    x_t = t.input
    for i in range(1, len(mods), 2):
        m, q = mods[i], mods[i + 1]
        out_t = _act_type(q)
        if isinstance(m, QuantL1GDN):
            w, wf = _weight(m.gamma)
            w = w[:, :, 0, 0]
            step = 2.0 ** -(x_t.frac_bits + wf)
            bias = torch.round(m.beta.detach().double() / step).numpy().astype(np.int64)
            layer = Layer("igdn" if m.inverse else "gdn", out_t, w, wf, bias)
        else:
            w, wf = _weight(m)
            step = 2.0 ** -(x_t.frac_bits + wf)
            bias = torch.round(m.bias.detach().double() / step).clamp(-2**31, 2**31 - 1).numpy().astype(np.int64)
            deconv = type(m).__name__ == "QuantConvTranspose2d"
            layer = Layer("tconv" if deconv else "conv", out_t, w, wf, bias, m.stride[0], m.padding[0],
                          m.output_padding[0] if deconv else 0)
        t.layers.append(layer)
        x_t = out_t
    t.check_exact()
    return t
