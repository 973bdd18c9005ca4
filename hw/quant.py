"""The quantization-aware student (Brevitas): what the FPGA computes, trainable.

Every tensor of the two big transforms is fixed point with a power-of-two scale, so the hardware
needs shifts and no multipliers for rescaling:

- weights: int8, per tensor (Brevitas `Int8WeightPerTensorFixedPoint`);
- biases: int32 at the accumulator's scale (input scale x weight scale, `Int32Bias`): added to
  the accumulator with no shift at all;
- activations: int8 or int16 per point (`ACT_POINTS`), chosen by measured sensitivity
  (sensitivity.py; "hybrid" quantization); their scales are calibrated, then trained;
- L1 GDN: gamma is an int8 power-of-two weight (a 1x1 convolution of |x|, kept non-negative by
  projection after every step), beta lands on the accumulator's scale like a bias;
- the two ends are fixed: the encoder's input is the 8-bit pixel itself (value p/256: the model
  sees x * 255/256), the decoder's input is the dequantized latent, which carries exactly 8
  fractional bits (integer symbols plus means from the exact hyper path), as int16.

Activations round half to even (torch.round), which is `ap_fixed`'s AP_RND_CONV: the integer
reference (reference.py) uses that mode, so fake quantization and integer inference differ only
by float rounding inside the convolutions. The hyper transforms and entropy models stay the
float, CPU-side ones of the teacher's architecture (their exact path is codec/image/models/exact.py).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from codec.image.models.hyperprior import MeanScaleHyperprior

# Activation points, in graph order: the output of each layer of g_a (a.*) and g_s (s.*).
G_A_POINTS = tuple(f"a.{i}" for i in range(7))
G_S_POINTS = tuple(f"s.{i}" for i in range(7))
ACT_POINTS = G_A_POINTS + G_S_POINTS
BIT_CHOICES = (8, 16)
LATENT_FRAC_BITS = 8  # the dequantized latent: symbols + means of exact.py (A_BITS = 8)
LATENT_INT_BITS = 8  # |y_hat| < 128 (int16 with 8 fractional bits); forged streams saturate


def _brevitas():
    # Imported here: only training, calibration and export need Brevitas; decoding does not.
    import brevitas.nn as qnn
    from brevitas.inject.enum import ScalingImplType
    from brevitas.quant import (Int8ActPerTensorFixedPoint, Int8WeightPerTensorFixedPoint, Int32Bias,
                                Uint8ActPerTensorFixedPoint)
    return qnn, ScalingImplType, Int8ActPerTensorFixedPoint, Int8WeightPerTensorFixedPoint, Int32Bias, Uint8ActPerTensorFixedPoint


def act(bits: int, last: bool = False):
    qnn, _, Act, *_ = _brevitas()
    return qnn.QuantIdentity(act_quant=Act, bit_width=bits, return_quant_tensor=not last)


def fixed_input(signed: bool, bits: int, max_val: float):
    """An input quantizer with a constant scale: max_val / 2^(bits - signed)."""
    qnn, Const, Act, _, _, UAct = _brevitas()
    return qnn.QuantIdentity(act_quant=Act if signed else UAct, bit_width=bits,
                             scaling_impl_type=Const.CONST, max_val=max_val,
                             **({"min_val": -max_val} if signed else {}), return_quant_tensor=True)


def qconv(cin, cout, k=5, s=2):
    qnn, _, _, W, B, _ = _brevitas()
    return qnn.QuantConv2d(cin, cout, k, stride=s, padding=k // 2, weight_quant=W, bias_quant=B)


def qdeconv(cin, cout, k=5, s=2):
    qnn, _, _, W, B, _ = _brevitas()
    return qnn.QuantConvTranspose2d(cin, cout, k, stride=s, padding=k // 2, output_padding=s - 1,
                                    weight_quant=W, bias_quant=B)


class QuantL1GDN(nn.Module):
    """L1 GDN (gdn.py) on a quantized input: norm = beta + gamma_q (*) |x|; x / norm or x * norm.

    gamma is the int8 weight of a 1x1 Brevitas convolution; beta is rounded (straight-through)
    to the scale of that convolution's accumulator, x's scale times gamma's."""

    def __init__(self, channels: int, inverse: bool, beta_min: float = 1e-3):
        super().__init__()
        qnn, _, _, W, _, _ = _brevitas()
        self.inverse, self.beta_min = inverse, beta_min
        self.gamma = qnn.QuantConv2d(channels, channels, 1, bias=False, weight_quant=W)
        self.beta = nn.Parameter(torch.ones(channels))

    @torch.no_grad()
    def load_float(self, gdn) -> None:
        """Start from a float L1GDN's parameters."""
        self.gamma.weight.copy_(gdn.gamma.reshape_as(self.gamma.weight))
        self.beta.copy_(gdn.beta)

    @torch.no_grad()
    def project(self) -> None:
        self.gamma.weight.clamp_(min=0)
        self.beta.clamp_(min=self.beta_min)

    def beta_step(self, x_scale: torch.Tensor) -> torch.Tensor:
        return x_scale * self.gamma.quant_weight().scale

    def forward(self, xq) -> torch.Tensor:
        if isinstance(xq, torch.Tensor):  # quantization off (Brevitas calibration): float beta
            x, beta = xq, self.beta
        else:
            x, step = xq.value, self.beta_step(xq.scale)
            beta = self.beta + (torch.round(self.beta / step) * step - self.beta).detach()
        norm = self.gamma(x.abs()) + beta.view(1, -1, 1, 1)
        return x * norm if self.inverse else x / norm


class QuantStudent(MeanScaleHyperprior):
    """The L1-GDN student (student.py) with Brevitas quantizers; bits: {point: 8 or 16}."""

    def __init__(self, N: int = 64, M: int = 192, hyper_N: int = 128, bits: dict | None = None):
        super().__init__(hyper_N, M)
        self.transform_N = N
        self.bits = {p: 16 for p in ACT_POINTS} | dict(bits or {})
        if set(self.bits) != set(ACT_POINTS) or not set(self.bits.values()) <= set(BIT_CHOICES):
            raise ValueError(f"bits: {{point: {BIT_CHOICES}}} for the points {ACT_POINTS}")
        b = self.bits
        self.g_a = nn.Sequential(
            fixed_input(False, 8, 1.0), qconv(3, N), act(b["a.0"]), QuantL1GDN(N, False), act(b["a.1"]),
            qconv(N, N), act(b["a.2"]), QuantL1GDN(N, False), act(b["a.3"]),
            qconv(N, N), act(b["a.4"]), QuantL1GDN(N, False), act(b["a.5"]),
            qconv(N, M), act(b["a.6"], last=True))
        self.g_s = nn.Sequential(
            fixed_input(True, 16, 2.0 ** (LATENT_INT_BITS - 1)),
            qdeconv(M, N), act(b["s.0"]), QuantL1GDN(N, True), act(b["s.1"]),
            qdeconv(N, N), act(b["s.2"]), QuantL1GDN(N, True), act(b["s.3"]),
            qdeconv(N, N), act(b["s.4"]), QuantL1GDN(N, True), act(b["s.5"]),
            qdeconv(N, 3), act(b["s.6"], last=True))

    def forward(self, x, autocast: bool = False, ste: bool = False) -> dict:
        # The pixel enters as the integer p (value p/256): see the module docstring.
        return super().forward(x * (255 / 256), autocast=False, ste=ste)

    def project(self) -> None:
        for m in self.modules():
            if isinstance(m, QuantL1GDN):
                m.project()

    def load_float_student(self, state: dict) -> None:
        """Weights of a float L1-GDN student (HardwareStudent state dict): the convolutions, the
        GDNs' reparametrized gamma / beta, the hyper path and entropy models."""
        from .student import HardwareStudent
        float_student = HardwareStudent(self.transform_N, self.M, self.N, gdn="l1")
        float_student.load_state_dict(state, strict=False)
        own = self.state_dict()
        for name, v in float_student.state_dict().items():
            if not name.startswith(("g_a.", "g_s.")) and name in own and own[name].shape == v.shape:
                own[name] = v
        self.load_state_dict(own, strict=False)
        for seq_q, seq_f in ((self.g_a, float_student.g_a), (self.g_s, float_student.g_s)):
            layers_f = list(seq_f)
            trained = [m for m in seq_q if _is_layer(m)]
            assert len(trained) == len(layers_f)
            with torch.no_grad():
                for mq, mf in zip(trained, layers_f):
                    if isinstance(mq, QuantL1GDN):
                        mq.load_float(mf)
                    else:
                        mq.weight.copy_(mf.weight)
                        mq.bias.copy_(mf.bias)


def _is_layer(m) -> bool:
    return isinstance(m, QuantL1GDN) or (type(m).__name__ in ("QuantConv2d", "QuantConvTranspose2d")
                                         and m.kernel_size != (1, 1))


@torch.no_grad()
def calibrate(model: QuantStudent, batch: torch.Tensor) -> None:
    """Set the activation scales from statistics of a training batch (Brevitas calibration)."""
    from brevitas.graph.calibrate import calibration_mode
    model.eval()
    # only the transforms: CompressAI's EntropyBottleneck has an `init_scale` attribute that
    # Brevitas would take for a quantizer's
    with calibration_mode(model.g_a), calibration_mode(model.g_s):
        for x in batch.split(2):
            model(x)


def load_checkpoint(path) -> QuantStudent:
    """A quantization-aware training checkpoint (tools/train_student.py --quant hybrid), its bit
    widths read from the JSON file its config names."""
    import json
    from pathlib import Path

    from codec.training.driver import without_coding_tables
    ck = torch.load(path, map_location="cpu", weights_only=False)
    cfg = ck["config"]
    bits = json.loads(Path(cfg["bits"]).read_text())["bits"] if cfg.get("bits") else None
    q = QuantStudent(cfg["N"], bits=bits)
    q.load_state_dict(without_coding_tables(ck["model"]), strict=False)
    return q
