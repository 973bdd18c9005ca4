"""Rate-distortion training of the mean-scale hyperprior, resumable.

Loss = lambda * 255^2 * MSE + bpp (CompressAI's convention); the entropy bottleneck's quantiles
are fitted by the auxiliary loss with their own optimizer. Checkpoints (model, optimizers, step,
sampler RNG state) are written atomically every `ckpt_every` steps and on exit, so a run can be
stopped and resumed at will.
"""
from __future__ import annotations

import copy
import json
import math
import signal
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..eval.metrics import psnr_rgb
from ..image_codec import compress_rgb, decompress_rgb
from ..models.hyperprior import MeanScaleHyperprior
from .data import CropSampler, load_rgb


@dataclass
class TrainConfig:
    data: str
    out: str
    lmbda: float = 0.0067
    steps: int = 20000
    batch: int = 8
    crop: int = 128
    lr: float = 3e-4
    warmup: int = 500
    decay_from: float = 0.7  # fraction of steps after which the LR follows a cosine to lr/20
    clip: float = 1.0
    N: int = 128
    M: int = 192
    init: str | None = None  # start from these weights (fine-tuning), not from scratch
    val_every: int = 1000
    ckpt_every: int = 250
    seed: int = 0


def lr_at(cfg: TrainConfig, step: int) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    start = int(cfg.decay_from * cfg.steps)
    if step < start:
        return cfg.lr
    t = (step - start) / max(1, cfg.steps - start)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))


def rd_loss(out: dict, x: torch.Tensor, lmbda: float) -> tuple[torch.Tensor, float, float]:
    n_pix = x.shape[0] * x.shape[2] * x.shape[3]
    bpp = sum(torch.log2(l).sum() for l in out["likelihoods"].values()) / -n_pix
    mse = torch.mean((out["x_hat"] - x) ** 2)
    return lmbda * 255**2 * mse + bpp, float(bpp), float(mse)


def save_atomic(obj, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


@torch.no_grad()
def validate(model: MeanScaleHyperprior, images: list[np.ndarray]) -> dict:
    """Real coding on whole validation images: bpp from string lengths, PSNR on 8-bit output."""
    m = copy.deepcopy(model).float().eval()
    m.update()
    bpps, psnrs = [], []
    for im in images:
        h, w = im.shape[:2]
        zs, ys = compress_rgb(m, im)
        psnrs.append(psnr_rgb(decompress_rgb(m, zs, ys, w, h), im))
        bpps.append((len(zs) + len(ys)) * 8 / (h * w))
    return {"bpp": float(np.mean(bpps)), "psnr": float(np.mean(psnrs))}


def stop_on_sigterm() -> None:
    """`kill PID` stops a run like Ctrl-C: the finally clause writes the checkpoint."""
    def _raise(*_):
        raise KeyboardInterrupt
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise)


def train(cfg: TrainConfig, train_files, val_files) -> Path:
    stop_on_sigterm()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = MeanScaleHyperprior(cfg.N, cfg.M).to(device).to(memory_format=torch.channels_last)
    aux_params = [p for n, p in model.named_parameters() if n.endswith("quantiles")]
    main_params = [p for n, p in model.named_parameters() if not n.endswith("quantiles")]
    opt = torch.optim.Adam(main_params, lr=cfg.lr)
    aux_opt = torch.optim.Adam(aux_params, lr=1e-3)
    sampler = CropSampler(train_files, cfg.crop, seed=cfg.seed)
    val_images = [load_rgb(p) for p in val_files]

    step, last = 0, out / "last.pt"
    if last.exists():
        ck = torch.load(last, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"], strict=False)
        opt.load_state_dict(ck["opt"])
        aux_opt.load_state_dict(ck["aux_opt"])
        sampler.rng.bit_generator.state = ck["rng"]
        step = ck["step"]
        print(f"resumed {last} at step {step}")
    elif cfg.init:
        state = torch.load(cfg.init, map_location=device, weights_only=False)
        state = state.get("model", state)
        model.load_state_dict({k: v for k, v in state.items() if "_cdf" not in k
                               and "_offset" not in k and "scale_table" not in k}, strict=False)
        print(f"initialised from {cfg.init}")
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=1))

    def checkpoint():
        save_atomic({"model": model.state_dict(), "opt": opt.state_dict(),
                      "aux_opt": aux_opt.state_dict(), "rng": sampler.rng.bit_generator.state,
                      "step": step, "config": asdict(cfg)}, last)

    log = open(out / "log.jsonl", "a")
    bar = tqdm(total=cfg.steps, initial=step, dynamic_ncols=True, mininterval=5)
    autocast = True  # bf16 on CPU (AMX/AVX512-BF16) and CUDA alike
    t0 = time.time()
    try:
        while step < cfg.steps:
            for g in opt.param_groups:
                g["lr"] = lr_at(cfg, step)
            x = sampler.batch(cfg.batch).to(device)
            model.train()
            loss, bpp, mse = rd_loss(model(x, autocast=autocast), x, cfg.lmbda)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(main_params, cfg.clip)
            opt.step()
            aux = model.aux_loss()
            aux_opt.zero_grad(set_to_none=True)
            aux.backward()
            aux_opt.step()
            step += 1
            bar.update(1)
            if step % 50 == 0:
                psnr = 10 * math.log10(1 / max(mse, 1e-10))
                bar.set_postfix(loss=f"{float(loss):.3f}", bpp=f"{bpp:.3f}", psnr=f"{psnr:.2f}")
                log.write(json.dumps({"step": step, "loss": float(loss), "bpp": bpp, "psnr": psnr,
                                      "aux": float(aux), "lr": lr_at(cfg, step),
                                      "elapsed": time.time() - t0}) + "\n")
                log.flush()
            if step % cfg.ckpt_every == 0 or step == cfg.steps:
                checkpoint()
            if step % cfg.val_every == 0 or step == cfg.steps:
                v = validate(model, val_images)
                tqdm.write(f"step {step}: val bpp {v['bpp']:.4f} psnr {v['psnr']:.2f} dB")
                log.write(json.dumps({"step": step, "val": v}) + "\n")
                log.flush()
    finally:
        checkpoint()
        bar.close()
        log.close()
    return last
