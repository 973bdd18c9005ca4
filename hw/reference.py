"""Integer-only layer arithmetic in NumPy: the specification of what the hardware computes.

Tensors are raw integers of a `FixedType` (fixedpoint.py), one image at a time, shape (C, H, W).
Every layer accumulates in int64 (exact: int8/int16 operands and at most a few thousand terms
stay far below 2^63), then requantizes to its output type by a shift with the type's rounding
and saturation; the shift is the difference of fractional bits, so scales are powers of two and
the hardware needs no multiplier for them.

    conv2d:            acc = sum w * x (+ bias aligned to the accumulator's fraction bits)
    conv_transpose2d:  the same on the input with (stride - 1) zeros inserted, kernel flipped
    l1_gdn / l1_igdn:  norm = beta + gamma @ |x|; y = x * recip(norm) or y = x * norm
"""
from __future__ import annotations

import numpy as np

from .fixedpoint import FixedType
from .reciprocal import Reciprocal


def _windows(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """(C, H, W) padded input -> (C, k, k, Ho, Wo) strided views."""
    c, h, w = x.shape
    ho, wo = (h - k) // stride + 1, (w - k) // stride + 1
    s = x.strides
    return np.lib.stride_tricks.as_strided(x, (c, k, k, ho, wo), (s[0], s[1], s[2], s[1] * stride, s[2] * stride),
                                           writeable=False)


def conv2d_acc(x: np.ndarray, w: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """int64 accumulator of a convolution: x (C, H, W), w (O, C, k, k) -> (O, Ho, Wo)."""
    x = np.pad(np.asarray(x, np.int64), ((0, 0), (padding, padding), (padding, padding)))
    win = _windows(x, w.shape[2], stride)
    return np.einsum("ocij,cijhw->ohw", np.asarray(w, np.int64), win, optimize=True)


def conv_transpose2d_acc(x: np.ndarray, w: np.ndarray, stride: int, padding: int, output_padding: int = 0) -> np.ndarray:
    """int64 accumulator of a transposed convolution (torch's semantics): x (C, H, W),
    w (C, O, k, k) -> (O, (H - 1) * stride - 2 * padding + k + output_padding, ...)."""
    x = np.asarray(x, np.int64)
    c, h, wd = x.shape
    k = w.shape[2]
    up = np.zeros((c, (h - 1) * stride + 1, (wd - 1) * stride + 1), np.int64)
    up[:, ::stride, ::stride] = x
    p = k - 1 - padding
    up = np.pad(up, ((0, 0), (p, p + output_padding), (p, p + output_padding)))
    flipped = np.asarray(w, np.int64)[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    return conv2d_acc(up, flipped, 1, 0)


def add_bias(acc: np.ndarray, bias_raw: np.ndarray | None, bias_frac: int, acc_frac: int) -> np.ndarray:
    """The bias aligned to the accumulator's fractional bits (an exact left shift)."""
    if bias_raw is None:
        return acc
    if bias_frac > acc_frac:
        raise ValueError("a bias may not have more fractional bits than the accumulator")
    return acc + (np.asarray(bias_raw, np.int64) << (acc_frac - bias_frac)).reshape(-1, 1, 1)


def l1_igdn(x: np.ndarray, x_t: FixedType, beta_raw: np.ndarray, gamma_raw: np.ndarray, p_frac: int,
            out_t: FixedType) -> np.ndarray:
    """y = x * (beta + gamma @ |x|): beta, gamma raw with p_frac fractional bits."""
    norm = _l1_norm(x, x_t, beta_raw, gamma_raw, p_frac)  # frac bits: x_t.frac + p_frac
    return out_t.from_raw(np.asarray(x, np.int64) * norm, 2 * x_t.frac_bits + p_frac)


def l1_gdn(x: np.ndarray, x_t: FixedType, beta_raw: np.ndarray, gamma_raw: np.ndarray, p_frac: int,
           out_t: FixedType, reciprocal: Reciprocal, recip_frac: int = 20) -> np.ndarray:
    """y = x * recip(beta + gamma @ |x|), the division replaced by the fixed-point reciprocal."""
    norm = _l1_norm(x, x_t, beta_raw, gamma_raw, p_frac)
    r = reciprocal(norm, x_t.frac_bits + p_frac, recip_frac)
    return out_t.from_raw(np.asarray(x, np.int64) * r, x_t.frac_bits + recip_frac)


def _l1_norm(x, x_t: FixedType, beta_raw, gamma_raw, p_frac: int) -> np.ndarray:
    ax = np.abs(np.asarray(x, np.int64))
    acc = np.einsum("ij,jhw->ihw", np.asarray(gamma_raw, np.int64), ax, optimize=True)
    return acc + (np.asarray(beta_raw, np.int64) << x_t.frac_bits).reshape(-1, 1, 1)
