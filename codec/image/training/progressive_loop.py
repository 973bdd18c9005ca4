"""Training of the progressive model (models/progressive.py), resumable.

The base is a trained single-rate hyperprior, frozen. The top encoder and decoder start from a
higher-rate hyperprior; the residual prior and the REM start from scratch. Each step draws, per
crop, the fraction q of residual elements the decoder receives: q = 1 with probability
`p_full`, otherwise q = u**2 (u uniform), which puts more samples at the low fractions where the
rate changes fastest. Every crop's distortion, whatever its q, is weighed with the same lambda:
the top decoder serves every quality, and a lambda that shrank with q (as the rate does) starved
the low qualities of gradient until they decoded worse than the base layer alone:

    loss = bpp(residual) + lambda * 255^2 * mean_i MSE_i(q_i)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch

from ...errors import StrataError
from ...training import distributed
from ...training.driver import RunConfig, Saved, load_weights, model_state, resume, run, start_run
from ..models.hyperprior import STRIDE
from ..models.progressive import ProgressiveVAM
from .data import CropSampler, load_rgb, require_crop_multiple, step_batches
from .validate import val_line, validate


@dataclass
class ProgressiveConfig(RunConfig):
    init_base: str = ""  # checkpoint of the (frozen) base hyperprior
    init_top: str = ""  # checkpoint of the hyperprior whose g_a / g_s start the top path
    init_from: str = ""  # or: a progressive checkpoint to fine-tune (e.g. at a new lambda)
    lmbda: float = 0.05
    p_full: float = 0.3
    crop: int = 128
    lr: float = 1e-4
    warmup: int = 200
    N: int = 128
    M: int = 192
    P: int = 128
    architecture: str = "progressive-vam"


def init_from_hyperpriors(model: ProgressiveVAM, base_ckpt: str, top_ckpt: str) -> None:
    load_weights(model.base, base_ckpt)
    top = model_state(top_ckpt)
    for src, dst in (("g_a.", model.g_a_top), ("g_s.", model.g_s_top)):
        dst.load_state_dict({k[len(src):]: v for k, v in top.items() if k.startswith(src)})


def train(cfg: ProgressiveConfig, train_files, val_files) -> Path:
    require_crop_multiple(cfg.crop, STRIDE)
    out, device, amp = start_run(cfg)
    model = ProgressiveVAM(cfg.N, cfg.M, cfg.P).to(device)
    fresh = not (out / "last.pt").exists()
    if fresh and cfg.init_from:
        load_weights(model, cfg.init_from)
        print(f"weights from {cfg.init_from}")
    elif fresh:
        if not (cfg.init_base and cfg.init_top):
            raise StrataError("a fresh run needs init_from, or both init_base and init_top")
        init_from_hyperpriors(model, cfg.init_base, cfg.init_top)
        print(f"base from {cfg.init_base}, top transforms from {cfg.init_top}")
    model = model.to(device).to(memory_format=torch.channels_last)
    for p in model.base.parameters():
        p.requires_grad_(False)
    params = [p for n, p in model.named_parameters() if not n.startswith("base.")]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    sampler = CropSampler(train_files, cfg.crop, seed=cfg.seed)
    val_images = [load_rgb(p) for p in val_files]
    saved = Saved({"model": model, "opt": opt})
    step = 0 if fresh else resume(out, saved, device)
    net = distributed.wrap(model)
    batches = step_batches(sampler, cfg.batch, step, cfg.steps, cfg.workers,
                           distributed.world().rank, pin=device != "cpu")

    def train_step() -> dict:
        x = next(batches).to(device, non_blocking=True)
        u = torch.rand(cfg.batch)  # torch's generator is seeded per step (driver.step_seed)
        full = torch.rand(cfg.batch) < cfg.p_full
        q = torch.where(full, torch.ones_like(u), u * u).to(device)
        model.train()
        model.base.eval()  # frozen: median quantization of z, no noise
        o = net(x, q, autocast=amp)
        n_pix = x.shape[0] * x.shape[2] * x.shape[3]
        bpp = torch.log2(o["likelihoods"]["r"]).sum() / -n_pix
        mse_i = ((o["x_hat"] - x) ** 2).mean(dim=(1, 2, 3))
        loss = bpp + cfg.lmbda * 255**2 * mse_i.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.clip)
        opt.step()
        mse_full = float(mse_i.detach()[full].mean()) if full.any() else float("nan")
        return {"loss": float(loss), "bpp_res": float(bpp),
                "psnr_full": 10 * math.log10(1 / max(mse_full, 1e-10)) if full.any() else float("nan")}

    points = {"base": 0, "rem": model.rem_layer, "full": model.n_layers}
    return run(cfg, out, saved, step, opt, train_step,
               lambda: validate(model, cfg.architecture, val_images, points), val_line,
               show=("loss", "bpp_res", "psnr_full"))
