"""Training of the DDPM point-cloud model on ModelNet10 (resumable; see codec/training/driver.py).

One model learns every rate: each step draws a number of sub-vectors and of anchors
(models/ddpm_pcc.py). After the last step the counted priors are filled from the training set,
so OUT/last.pt is ready for export. Validation: Chamfer (mean convention, canonical frame) of
held-out training shapes decoded with the fast sampler at a low and a high rate.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import torch

from codec.training.driver import RunConfig, Saved, resume, run, save_atomic, start_run
from .data import canonical_split
from .metrics import distortion
from .models.anchors import cell_centres
from .models.ddpm_pcc import DDPMPointCloud

HELD_OUT = 48  # last shapes of the (shuffled) training split, for validation
VAL_RATES = ((8, 0), (32, 64))


@dataclass(kw_only=True)
class PointCloudConfig(RunConfig):
    steps: int = 30000
    batch: int = 16
    lr: float = 1e-3
    warmup: int = 200
    val_every: int = 2000
    train_points: int = 256  # points per cloud in the diffusion loss (any subset trains alike)
    val_steps: int = 20  # fast-sampler steps of validation decodes


def validate(model: DDPMPointCloud, clouds: np.ndarray, steps: int) -> dict:
    model.eval()
    out = {}
    for m, k in VAL_RATES:
        cd = []
        for i, c in enumerate(clouds):
            idx, cells = model.analyse(c, m, k)
            rec = model.synthesise(idx, cell_centres(cells), len(c), seed=i, steps=steps)
            cd.append(distortion(c, rec)["chamfer_mean"])
        out[f"cd_m{m}_k{k}"] = float(np.mean(cd))
    model.train()
    return out


def train(cfg: PointCloudConfig) -> None:
    out, device, autocast = start_run(cfg)
    cache = out / "cache"
    clouds = canonical_split(cfg.data[0], "train", cache=cache)
    order = np.random.default_rng(0).permutation(len(clouds))
    train_set, val_set = clouds[order[:-HELD_OUT]], clouds[order[-HELD_OUT:]]
    print(f"{len(train_set)} training shapes, {len(val_set)} held out; device {device}, "
          f"{'bf16 autocast' if autocast else 'fp32'}")
    model = DDPMPointCloud().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    rng = np.random.default_rng(cfg.seed)
    saved = Saved({"model": model, "opt": opt},
                  {"rng": (lambda: rng.bit_generator.state, lambda s: setattr(rng.bit_generator, "state", s)),
                   "py_rng": (random.getstate, random.setstate)})
    step = resume(out, saved, device) or 0
    data = torch.from_numpy(train_set).to(device)

    def train_step() -> dict:
        batch = data[torch.from_numpy(rng.integers(0, len(data), cfg.batch)).to(device)]
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=autocast):
            losses = model(batch, cfg.train_points)
        opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        return {k: float(v.detach()) for k, v in losses.items()}

    last = run(cfg, out, saved, step, opt, train_step,
               lambda: validate(model.cpu(), val_set[:16], cfg.val_steps) if device == "cpu" else {},
               lambda v: ", ".join(f"{k} {v_:.5f}" for k, v_ in v.items()), show=("mse",))
    ck = torch.load(last, map_location="cpu", weights_only=False)
    if ck["step"] >= cfg.steps and "priors" not in ck:
        model.cpu().eval()
        model.count_priors(train_set)
        ck["model"], ck["priors"] = model.state_dict(), True
        save_atomic(ck, last)
        print("counted priors written to", last)
