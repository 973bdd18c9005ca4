"""Training of domain adapters and their gate on a shipped image model, resumable.

Everything of the shipped model is frozen; only the adapters and the gate learn. Each batch
holds the same number of crops of every domain. Loss, after the reference (lambda * 255^2 * MSE
+ cross-entropy of the gate on the domain labels), with the model's own lambda(s): a progressive
model has two paths, each with its adapters, so both distortions count (its base at the base
lambda, its top path at the top lambda, over random fractions q of the residual, as the
progressive training draws them).

For the first `forced` fraction of the steps the adapters are blended by the true labels (each
adapter learns its own domain); after that by the gate's softmax, as the decoder will blend
them, so that the adapters learn to work with the gate's real, soft output.

The gate has its own stage (`train_gate`): on 128-pixel crops the domain is often ambiguous (a
blank stretch of a comic page, a flat panel of a screen), and a gate trained there stayed near
chance after 500 steps, while the decoder runs it on whole images. The gate stage caches the
base latent of every training image once (the encoder is frozen) and trains the gate alone on
random windows of those latents, thousands of steps in minutes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ...contract import LAYERS
from ...errors import OptionError, StrataError
from ...registry import load_weights, model_info
from ...training import distributed
from ...training.driver import RunConfig, Saved, resume, run, start_run
from ..models.adapted import AdaptedModel
from ..models.hyperprior import STRIDE
from .data import CropSampler, load_rgb, require_crop_multiple

DOMAINS = ("natural", "comics", "screen")


@dataclass
class AdapterConfig(RunConfig):
    inner: str = "hyperprior-mid-3"  # the shipped model to adapt
    comics: str = "../shared/data/manga109/train"
    screen: str = "checkpoints/screens/train"  # tools/make_screens.py
    crop: int = 256
    rank: int = 32
    gate_width: int = 64
    ce: float = 1.0  # weight of the gate's cross-entropy
    gate_lr_scale: float = 0.3  # the gate's learning rate, as a fraction of lr
    stage: str = "adapters"  # or "gate": the gate alone, on whole-image latents (train_gate)
    init: str | None = None  # stage gate: an adapters run whose banks to carry (optional)
    gate_side: int = 512  # stage gate: images centre-cropped to at most this side
    forced: float = 0.5  # fraction of steps with the adapters blended by the true labels
    base_lmbda: float = 0.0009  # progressive models: the base's lambda (progressive-vam-2's, its registry description)
    steps: int = 2000
    batch: int = 2  # crops of each domain per step
    lr: float = 1e-3
    warmup: int = 100
    val_every: int = 500
    ckpt_every: int = 100


def inner_lambdas(cfg: AdapterConfig) -> tuple[float, float | None]:
    """(lambda of the main path, lambda of the progressive base path or None)."""
    info = model_info(cfg.inner)
    lmbda = info.extra.get("lambda")
    if lmbda is None:
        raise OptionError("inner", f"{cfg.inner!r} records no training lambda")
    return float(lmbda), (cfg.base_lmbda if LAYERS in info.codec.capabilities else None)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return 10 * math.log10(1 / max(float(torch.mean((a.clamp(0, 1) - b) ** 2)), 1e-10))


def single_process() -> None:
    """These loops draw from their samplers' own generators and do not wrap DDP: under torchrun
    every rank would train the same copy, so refuse it."""
    if distributed.world().parallel:
        raise StrataError("the adapter loops run in one process: start them without torchrun")


def train(cfg: AdapterConfig, natural_train, natural_val, domain_files: dict) -> None:
    """domain_files: {domain: (train files, validation files)} for the other domains."""
    require_crop_multiple(cfg.crop, STRIDE)
    lmbda, base_lmbda = inner_lambdas(cfg)
    out, device, amp = start_run(cfg)
    single_process()
    inner = load_weights(model_info(cfg.inner))
    model = AdaptedModel(inner, list(DOMAINS), cfg.rank, cfg.gate_width).to(device)
    for p in model.inner.parameters():
        p.requires_grad_(False)
    params = list(model.adapters.parameters())
    # the gate learns at a fraction of the adapters' rate: at the full rate its logits swung
    # from batch to batch (cross-entropy 0.1 to 2.2 at step 300-500 of a first run)
    opt = torch.optim.Adam([{"params": list(model.adapters.banks.parameters())},
                            {"params": list(model.adapters.gate.parameters()), "lr_scale": cfg.gate_lr_scale}],
                           lr=cfg.lr)
    files = {"natural": (natural_train, natural_val), **domain_files}
    samplers = [CropSampler(files[d][0], cfg.crop, seed=cfg.seed + k) for k, d in enumerate(DOMAINS)]
    val = {d: [load_rgb(p) for p in files[d][1]] for d in DOMAINS}
    rngs = [s.rng.bit_generator for s in samplers]
    q_rng = torch.Generator().manual_seed(cfg.seed)
    saved = Saved({"adapters": model.adapters, "opt": opt},
                  {f"rng{k}": (lambda r=r: r.state, lambda v, r=r: setattr(r, "state", v)) for k, r in enumerate(rngs)}
                  | {"q_rng": (q_rng.get_state, q_rng.set_state)})
    step = resume(out, saved, device) or 0
    labels = torch.arange(len(DOMAINS)).repeat_interleave(cfg.batch).to(device)
    state = {"step": step}

    def train_step() -> dict:
        x = torch.cat([s.batch(cfg.batch) for s in samplers]).to(device)
        forced = state["step"] < cfg.forced * cfg.steps
        w = F.one_hot(labels, len(DOMAINS)).float() if forced else None
        q = torch.rand(x.shape[0], generator=q_rng).clamp_min(0.02).to(device) if base_lmbda else None
        model.inner.eval()
        model.adapters.train()
        o = model(x, domain_w=w, q=q, autocast=amp)
        ce = F.cross_entropy(o["logits"], labels)
        mse = torch.mean((o["x_hat"] - x) ** 2)
        loss = lmbda * 255**2 * mse + cfg.ce * ce
        metrics = {"psnr": 10 * math.log10(1 / max(float(mse), 1e-10)), "ce": float(ce)}
        if base_lmbda:
            mse_b = torch.mean((o["x_hat_base"] - x) ** 2)
            loss = loss + base_lmbda * 255**2 * mse_b
            metrics["psnr_base"] = 10 * math.log10(1 / max(float(mse_b), 1e-10))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.clip)
        opt.step()
        state["step"] += 1
        metrics["loss"] = float(loss)
        metrics["acc"] = float((o["logits"].argmax(1) == labels).float().mean())
        return metrics

    def validate() -> dict:
        return validate_adapters(model, val, device, base_lmbda is not None)

    run(cfg, out, saved, step, opt, train_step, validate, val_line, show=("loss", "psnr", "acc"))


def centre_tensor(rgb: np.ndarray, side: int) -> torch.Tensor:
    """The centre crop of an image, at most side a side and a multiple of the stride, as 1x3xHxW."""
    h, w = (min(s_, side) // STRIDE * STRIDE for s_ in rgb.shape[:2])
    t, l = (rgb.shape[0] - h) // 2, (rgb.shape[1] - w) // 2
    return torch.from_numpy(np.ascontiguousarray(rgb[t:t + h, l:l + w])).permute(2, 0, 1)[None].float().div(255)


@torch.no_grad()
def validate_adapters(model: AdaptedModel, images: dict, device, progressive: bool) -> dict:
    """Per domain: PSNR of the adapted and the plain synthesis on the rounded latent (the full
    top path for a progressive model), and the gate's accuracy. Images are centre-cropped to a
    multiple of the stride, at most 512 a side."""
    model.eval()
    res = {}
    for k, (d, ims) in enumerate(images.items()):
        gains, hits = [], 0
        for im in ims:
            x = centre_tensor(im, 512).to(device)
            q = torch.ones(1, device=device) if progressive else None
            soft = model(x, q=q)
            hits += int(soft["logits"].argmax(1).item() == k)
            zero = torch.zeros(1, len(model.domains), device=device)
            plain = model(x, domain_w=zero, q=q)
            gains.append(psnr(soft["x_hat"], x) - psnr(plain["x_hat"], x))
        res[d] = {"gain_db": round(float(np.mean(gains)), 3), "gate_acc": hits / max(1, len(ims))}
    return res


def val_line(v: dict) -> str:
    return "  ".join(f"{d} {r['gain_db']:+.3f} dB acc {r['gate_acc']:.2f}" for d, r in v.items())


def _latent_of(model: AdaptedModel, rgb: np.ndarray, side: int, device):
    """(y_b, scales_b) of the centre crop of an image (centre_tensor), float16."""
    y, s_ = model._base.decoded_latent(centre_tensor(rgb, side).to(device))
    return y.half().cpu(), s_.half().cpu()


def train_gate(cfg: AdapterConfig, files: dict) -> None:
    """The gate alone (adapters from cfg.init, frozen) on random windows of cached whole-image
    latents. files: {domain: (train files, validation files)} in DOMAINS order."""
    from tqdm import tqdm
    out, device, _ = start_run(cfg)
    single_process()
    model = AdaptedModel(load_weights(model_info(cfg.inner)), list(DOMAINS), cfg.rank, cfg.gate_width).to(device)
    if cfg.init:  # the gate does not depend on the adapters: the two stages may run side by side
        model.adapters.load_state_dict(torch.load(cfg.init, map_location=device, weights_only=False)["adapters"])
    model.eval()
    cache_path = out / "latents.pt"
    if cache_path.exists():
        cache = torch.load(cache_path, weights_only=False)
    else:
        cache = {}
        for d in DOMAINS:
            for part, paths in zip(("train", "val"), files[d]):
                cache[d, part] = [_latent_of(model, load_rgb(p), cfg.gate_side, device)
                                  for p in tqdm(paths, desc=f"latents {d} {part}")]
        torch.save(cache, cache_path)
    gate = model.adapters.gate
    gate.train()
    opt = torch.optim.Adam(gate.parameters(), lr=cfg.lr)
    rng = np.random.default_rng(cfg.seed)
    rng_state = rng.bit_generator
    saved = Saved({"adapters": model.adapters, "opt": opt},
                  {"rng": (lambda: rng_state.state, lambda v: setattr(rng_state, "state", v))})
    step = resume(out, saved, device) or 0

    def window(y, s_, c):
        H, W = y.shape[-2:]
        c = min(c, H, W)
        t, l = int(rng.integers(H - c + 1)), int(rng.integers(W - c + 1))
        return y[..., t:t + c, l:l + c].float(), s_[..., t:t + c, l:l + c].float()

    def train_step() -> dict:
        c = int(rng.integers(8, 33))  # windows of 128 to 512 image pixels
        ys, ss, labels = [], [], []
        for k, d in enumerate(DOMAINS):
            pool = cache[d, "train"]
            for i in rng.integers(len(pool), size=cfg.batch):
                y, s_ = window(*pool[i], c)
                ys.append(y)
                ss.append(s_)
                labels.append(k)
        c = min(y.shape[-1] for y in ys), min(y.shape[-2] for y in ys)
        y = torch.cat([v[..., :c[1], :c[0]] for v in ys]).to(device)
        s_ = torch.cat([v[..., :c[1], :c[0]] for v in ss]).to(device)
        labels = torch.tensor(labels, device=device)
        logits = gate(y, s_)
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {"ce": float(loss), "acc": float((logits.argmax(1) == labels).float().mean())}

    def validate() -> dict:
        gate.eval()
        res = {}
        with torch.no_grad():
            for k, d in enumerate(DOMAINS):
                hits = [int(np.argmax(gate.weights(y.float(), s_.float())) == k) for y, s_ in cache[d, "val"]]
                res[d] = {"gain_db": 0.0, "gate_acc": sum(hits) / max(1, len(hits))}
        gate.train()
        return res

    run(cfg, out, saved, step, opt, train_step, validate, val_line, show=("ce", "acc"))
