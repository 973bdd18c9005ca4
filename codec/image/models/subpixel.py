"""Transposed convolutions rewritten as sub-pixel convolutions, for inference.

A ConvTranspose2d(k=5, stride=2, padding=2, output_padding=1) is exactly four 3x3 convolutions
(one per output phase) followed by a pixel shuffle. We use that form at coding time because
oneDNN's transposed convolution changes its summation order with the thread count (3 or 5
threads give other bits than 1, 2 or 4), while its forward convolution in channels_last does not:
with this rewrite the decoded pixels are the same whatever the thread count. It is also faster.

A model may run its synthesis in bfloat16 (`for_inference(seq, torch.bfloat16)`): on CPUs with
AVX512-BF16 that is about twice as fast, for about 0.01 dB on Kodak (tools/synthesis_precision.py). The weights and the GDN parameters are computed in
float32 and rounded once; accumulation stays float32 inside oneDNN, so the result is still
independent of the thread count (tested).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# For output phase a (0 or 1) and 3x3 tap t, the 5x5 transposed-kernel index it uses (-1: none).
_TAP = {0: (4, 2, 0), 1: (-1, 3, 1)}


class SubpixelConv(nn.Module):
    def __init__(self, deconv: nn.ConvTranspose2d, dtype: torch.dtype = torch.float32):
        super().__init__()
        if (deconv.kernel_size, deconv.stride, deconv.padding, deconv.output_padding) != (
                (5, 5), (2, 2), (2, 2), (1, 1)):
            raise ValueError("only k=5, stride 2, padding 2, output_padding 1 is supported")
        w = deconv.weight.detach()  # (in, out, 5, 5)
        cin, cout = w.shape[:2]
        k = w.new_zeros(cout, 2, 2, cin, 3, 3)
        for a in (0, 1):
            for b in (0, 1):
                for ty, ky in enumerate(_TAP[a]):
                    for tx, kx in enumerate(_TAP[b]):
                        if ky >= 0 and kx >= 0:
                            k[:, a, b, :, ty, tx] = w[:, :, ky, kx].t()
        k = k.reshape(cout * 4, cin, 3, 3).to(dtype)
        self.register_buffer("weight", k.contiguous(memory_format=torch.channels_last))
        bias = deconv.bias.detach() if deconv.bias is not None else w.new_zeros(cout)
        self.register_buffer("bias", bias.repeat_interleave(4).to(dtype).contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(F.conv2d(x, self.weight, self.bias, padding=1), 2)


class FrozenGDN(nn.Module):
    """A (inverse) GDN with its reparametrized gamma and beta computed once, stored in dtype."""

    def __init__(self, gdn: nn.Module, dtype: torch.dtype):  # compressai.layers.GDN
        super().__init__()
        with torch.no_grad():
            beta = gdn.beta_reparam(gdn.beta)
            gamma = gdn.gamma_reparam(gdn.gamma)
        self.register_buffer("gamma", gamma.reshape(*gamma.shape, 1, 1).to(dtype))
        self.register_buffer("beta", beta.to(dtype))
        self.inverse = gdn.inverse

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = F.conv2d(x * x, self.gamma, self.beta)
        return x * (torch.sqrt(norm) if self.inverse else torch.rsqrt(norm))


class Cast(nn.Module):
    def __init__(self, dtype: torch.dtype):
        super().__init__()
        self.dtype = dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.dtype)


def for_inference(seq: nn.Sequential, dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """A copy of seq with every transposed convolution in sub-pixel form, run in dtype (float32
    in, float32 out). In float32 the other layers are shared with seq, so existing models decode
    to the same bits as before bfloat16 existed."""
    if dtype == torch.float32:
        return nn.Sequential(*[SubpixelConv(l) if isinstance(l, nn.ConvTranspose2d) else l for l in seq])
    layers = []
    for l in seq:
        if isinstance(l, nn.ConvTranspose2d):
            layers.append(SubpixelConv(l, dtype))
        elif hasattr(l, "gamma_reparam"):  # GDN
            layers.append(FrozenGDN(l, dtype))
        else:
            raise TypeError(f"no {dtype} inference form for {type(l).__name__}")
    return nn.Sequential(Cast(dtype), *layers, Cast(torch.float32))
