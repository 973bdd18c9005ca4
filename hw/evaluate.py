"""Measurements of the hardware track (tools/eval_student.py): Kodak RD of the teacher and each
student form with real files, rate differences against the teacher, fake-quant vs integer
differences, and exact agreement of the CLI path with the NumPy reference.

Rate difference at equal quality: the students are trained at one rate (the teacher's mid
lambda), so a Bjontegaard integral over two curves is not available; each student point is
compared with the teacher's curve through its three shipped rates (log-rate interpolated
linearly in PSNR, the integrand of BD-rate): (bpp_student / bpp_teacher(PSNR_student) - 1).
"""
from __future__ import annotations

import time

import numpy as np
import torch

from codec import container
from codec.container import ChunkType
from codec.contract import DecodeOptions, EncodeOptions
from codec.image.io import Picture
from codec.image.metrics import psnr_rgb
from codec.registry import ModelInfo, codec_class


def rd_point(codec, images, progress=None) -> dict:
    """Mean bpp (real stream sizes), PSNR and coding times of a codec over images."""
    rows = []
    for name, rgb in images:
        t0 = time.perf_counter()
        data, _ = codec.encode(Picture(rgb, None, "RGB", 8), EncodeOptions())
        t1 = time.perf_counter()
        img, _ = codec.decode(container.parse(data, max_pixels=1 << 40), DecodeOptions())
        t2 = time.perf_counter()
        rows.append({"image": name, "bpp": 8 * len(data) / (rgb.shape[0] * rgb.shape[1]),
                     "psnr": psnr_rgb(np.asarray(img), rgb), "encode_s": t1 - t0, "decode_s": t2 - t1})
        if progress:
            progress()
    return {k: float(np.mean([r[k] for r in rows])) for k in ("bpp", "psnr", "encode_s", "decode_s")} | {"per_image": rows}


def float_student_codec(checkpoint: str):
    """An in-process codec of a float student checkpoint (not a shipped model)."""
    from codec.training.driver import model_state

    from .student import HardwareStudent
    ck = torch.load(checkpoint, map_location="cpu", weights_only=False)
    cfg = ck["config"]
    model = HardwareStudent(cfg["N"], gdn=cfg["gdn"])
    model.load_state_dict(model_state(checkpoint), strict=False)
    model.eval().update()
    info = ModelInfo(f"student-{cfg['gdn']}", "mean-scale-hyperprior", {}, "", "00" * 32)
    return codec_class("mean-scale-hyperprior")(info, model), ck["step"]


def _interp(xs, ys, x: float) -> float:
    """Piecewise-linear ys(x) through the points, extrapolated from the end segments."""
    order = np.argsort(xs)
    xs, ys = np.asarray(xs, float)[order], np.asarray(ys, float)[order]
    i = int(np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2))
    return float(ys[i] + (x - xs[i]) * (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]))


def rate_difference(teacher: list[dict], point: dict) -> float:
    """bpp / bpp_teacher(psnr) - 1, the teacher's log-rate interpolated linearly in PSNR."""
    log_rate = _interp([p["psnr"] for p in teacher], np.log([p["bpp"] for p in teacher]), point["psnr"])
    return float(point["bpp"] / np.exp(log_rate) - 1)


def psnr_difference(teacher: list[dict], point: dict) -> float:
    """PSNR - PSNR_teacher(bpp), the teacher's PSNR interpolated linearly in log-rate."""
    return point["psnr"] - _interp(np.log([p["bpp"] for p in teacher]), [p["psnr"] for p in teacher], np.log(point["bpp"]))


def latent_of(codec, rgb) -> tuple[np.ndarray, bytes]:
    """(raw integer y_hat of the stream the codec makes of rgb, the stream)."""
    data, _ = codec.encode(Picture(rgb, None, "RGB", 8), EncodeOptions())
    st = container.parse(data, max_pixels=1 << 40)
    y_hat = codec.decode_latent(st.payload(ChunkType.HYPER), st.payload(ChunkType.LATENT), [],
                                rgb.shape[1], rgb.shape[0])
    return np.round(y_hat[0].double().numpy() * 256).astype(np.int64), data


@torch.no_grad()
def fake_quant_difference(qstudent, gs, y_raw: np.ndarray) -> dict:
    """Largest difference between Brevitas fake quantization of g_s and the integer reference on
    one latent: in output LSB and in 8-bit pixels."""
    from .integer_model import run, to_pixels
    out_t = gs.layers[-1].out
    ref = run(gs, y_raw, "torch")
    fq = qstudent.g_s.eval()(torch.from_numpy(y_raw / 256.0).float()[None])[0].double().numpy()
    lsb = np.abs(fq * 2.0 ** out_t.frac_bits - ref)
    px_fq = np.clip(np.round(fq * 255), 0, 255)
    return {"max_lsb": float(lsb.max()), "mean_lsb": float(lsb.mean()),
            "max_pixel": int(np.abs(px_fq - to_pixels(ref, out_t)).max()),
            "pixels_differing": float((px_fq != to_pixels(ref, out_t)).mean())}
