"""Rate-distortion training of the mean-scale hyperprior, resumable.

Loss = lambda * 255^2 * MSE + bpp (CompressAI's convention); the entropy bottleneck's quantiles
are fitted by the auxiliary loss with their own optimizer. Checkpoints (model, optimizers, step,
sampler RNG state) are written by the shared driver (driver.py), so a run can be stopped and
resumed at will.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch

from ...errors import OptionError
from ...training import distributed
from ...training.driver import RunConfig, Saved, load_weights, resume, run, start_run
from ..models.hyperprior import STRIDE, MeanScaleHyperprior
from .data import CropSampler, load_rgb, require_crop_multiple, step_batches
from .validate import val_line, validate


# "noise": additive uniform noise (the recorded commands of the -2 and older weights);
# "ste": rounded around the mean with a straight-through gradient (see MeanScaleHyperprior.forward).
QUANT_MODES = ("noise", "ste")


@dataclass
class TrainConfig(RunConfig):
    lmbda: float = 0.0067
    crop: int = 128
    N: int = 128
    M: int = 192
    init: str | None = None  # start from these weights (fine-tuning), not from scratch
    quant: str = "noise"  # what g_s sees in training: one of QUANT_MODES
    scale_min: float = 1.0  # crops shrunk by a random factor in [scale_min, 1] (see CropSampler)


def rd_loss(out: dict, x: torch.Tensor, lmbda: float) -> tuple[torch.Tensor, float, float]:
    n_pix = x.shape[0] * x.shape[2] * x.shape[3]
    bpp = sum(torch.log2(l).sum() for l in out["likelihoods"].values()) / -n_pix
    mse = torch.mean((out["x_hat"] - x) ** 2)
    return lmbda * 255**2 * mse + bpp, float(bpp), float(mse)


def rd_optimizers(model, lr: float):
    """(main parameters, their Adam, the Adam of the entropy bottleneck's quantiles)."""
    aux_params = [p for n, p in model.named_parameters() if n.endswith("quantiles")]
    main_params = [p for n, p in model.named_parameters() if not n.endswith("quantiles")]
    return main_params, torch.optim.Adam(main_params, lr=lr), torch.optim.Adam(aux_params, lr=1e-3)


def checkpointed(model, opt, aux_opt, sampler: CropSampler | None = None) -> Saved:
    """What a checkpoint of an RD loop holds: model, both optimizers and, for a loop that draws
    from the sampler's own generator (CropSampler.batch), its state. This loop's crops are a
    function of the step (CropSampler.batch_at) and need none."""
    if sampler is None:
        return Saved({"model": model, "opt": opt, "aux_opt": aux_opt})
    rng = sampler.rng.bit_generator
    return Saved({"model": model, "opt": opt, "aux_opt": aux_opt},
                 {"rng": (lambda: rng.state, lambda v: setattr(rng, "state", v))})


def rd_update(model, loss: torch.Tensor, main_params, opt, aux_opt, clip: float) -> float:
    """One step of both optimizers (the main loss, then the auxiliary quantile loss); returns
    the auxiliary loss. A model with `project()` (constrained parameters) is projected after
    its step."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(main_params, clip)
    opt.step()
    if hasattr(model, "project"):
        model.project()
    aux = model.aux_loss()
    aux_opt.zero_grad(set_to_none=True)
    aux.backward()
    distributed.average_gradients(p for g in aux_opt.param_groups for p in g["params"])
    aux_opt.step()
    return float(aux)


def train(cfg: TrainConfig, train_files, val_files) -> Path:
    if cfg.quant not in QUANT_MODES:
        raise OptionError("quant", f"must be one of {', '.join(QUANT_MODES)}, not {cfg.quant!r}")
    require_crop_multiple(cfg.crop, STRIDE)
    ste = cfg.quant == "ste"
    out, device, amp = start_run(cfg)
    model = MeanScaleHyperprior(cfg.N, cfg.M).to(device).to(memory_format=torch.channels_last)
    main_params, opt, aux_opt = rd_optimizers(model, cfg.lr)
    sampler = CropSampler(train_files, cfg.crop, seed=cfg.seed, scale_min=cfg.scale_min)
    val_images = [load_rgb(p) for p in val_files]
    saved = checkpointed(model, opt, aux_opt)
    step = resume(out, saved, device)
    if step is None:
        step = 0
        if cfg.init:
            load_weights(model, cfg.init, device)
            print(f"initialised from {cfg.init}")
    net = distributed.wrap(model)
    batches = step_batches(sampler, cfg.batch, step, cfg.steps, cfg.workers,
                           distributed.world().rank, pin=device != "cpu")

    def train_step() -> dict:
        x = next(batches).to(device, non_blocking=True)
        model.train()
        loss, bpp, mse = rd_loss(net(x, autocast=amp, ste=ste), x, cfg.lmbda)
        aux = rd_update(model, loss, main_params, opt, aux_opt, cfg.clip)
        return {"loss": float(loss), "bpp": bpp, "psnr": 10 * math.log10(1 / max(mse, 1e-10)), "aux": aux}

    return run(cfg, out, saved, step, opt, train_step,
               lambda: validate(model, "mean-scale-hyperprior", val_images, {"full": None}), val_line,
               show=("loss", "bpp", "psnr"))
