"""What every training loop shares: LR schedule, resume, progress bar, log, checkpoints, validation.

A loop (loop.py, progressive_loop.py) builds its model, optimizers and samplers, says what a
checkpoint holds (`Saved`), and hands `run` one function that does a training step. Checkpoints
are written atomically every `ckpt_every` steps and on exit (Ctrl-C or `kill`), so a run can be
stopped and resumed at will with the same command.
"""
from __future__ import annotations

import json
import math
import signal
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm import tqdm

from ..errors import OptionError
from . import distributed

LOG_EVERY = 50
# Entropy-coding tables are rebuilt at export; they never travel between checkpoints and models.
CODING_TABLES = ("_cdf", "_offset", "scale_table")


PRECISIONS = ("auto", "bf16", "fp32")


def cpu_has_fast_bf16() -> bool:
    """bf16 matrix units (AMX or AVX512-BF16): there bf16 autocast trains ~4x faster than fp32;
    without them (e.g. AVX2-only CPUs) it is emulated and measured ~7x slower."""
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def use_autocast(precision: str, device: str) -> bool:
    """Whether the transforms train under bf16 autocast: "auto" picks it on CUDA and on CPUs
    with bf16 units, fp32 elsewhere."""
    if precision not in PRECISIONS:
        raise OptionError("precision", f"must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "auto":
        return device == "cuda" or cpu_has_fast_bf16()
    return precision == "bf16"


@dataclass(kw_only=True)
class RunConfig:
    """What every training run has; a loop's config adds its own fields (and may change these
    defaults). Keyword-only, so that subclasses can add fields of their own in any order."""
    data: list  # training folders (training.config: --data, one or more)
    out: str  # run folder: checkpoints, log, config; rerunning the command resumes from it
    steps: int = 20000
    batch: int = 8
    lr: float = 3e-4
    warmup: int = 500
    decay_from: float = 0.7  # fraction of steps after which the LR follows a cosine to lr/20
    clip: float = 1.0
    val_every: int = 1000
    ckpt_every: int = 250
    seed: int = 0
    precision: str = "auto"  # bf16 autocast or fp32 (use_autocast)
    max_minutes: float = 0.0  # stop (with a checkpoint) after this long; rerun to continue; 0: no limit
    workers: int = 0  # data-loading processes (loops that use data.step_batches); 0: in the main process


def start_run(cfg: RunConfig) -> tuple[Path, str, bool]:
    """(run folder, created if needed; device: CUDA when present; whether to autocast to bf16),
    with `kill` set to stop the run like Ctrl-C, torch seeded from the config (the same seed on
    every rank, so that all start from the same weights) and, under torchrun, the process group
    joined (distributed.py)."""
    if cfg.max_minutes < 0 or cfg.workers < 0:
        raise OptionError("max_minutes" if cfg.max_minutes < 0 else "workers", "must not be negative")
    distributed.setup()
    device = distributed.device()
    precision_autocast = use_autocast(cfg.precision, device.split(":")[0])
    stop_on_sigterm()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    return out, device, precision_autocast


def lr_at(cfg, step: int) -> float:
    """Linear warm-up, constant, then a cosine to lr/20 from `decay_from` of the steps."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    start = int(cfg.decay_from * cfg.steps)
    if step < start:
        return cfg.lr
    t = (step - start) / max(1, cfg.steps - start)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))


def without_coding_tables(state: dict) -> dict:
    return {k: v for k, v in state.items() if not any(t in k for t in CODING_TABLES)}


def model_state(path, device="cpu") -> dict:
    """The model weights of a training checkpoint (or of a bare state dict)."""
    state = torch.load(path, map_location=device, weights_only=False)
    return state.get("model", state)


def load_weights(module: torch.nn.Module, checkpoint, device="cpu") -> None:
    """Start module from a checkpoint's trained weights (coding tables are rebuilt at export)."""
    module.load_state_dict(without_coding_tables(model_state(checkpoint, device)), strict=False)


def save_atomic(obj, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def stop_on_sigterm() -> None:
    """`kill PID` stops a run like Ctrl-C: the finally clause writes the checkpoint."""
    def _raise(*_):
        raise KeyboardInterrupt
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise)


@dataclass
class Saved:
    """What a checkpoint holds besides the step and config: objects with state_dict() /
    load_state_dict() (model, optimizers), and (get, set) pairs for generator states."""
    objects: dict = field(default_factory=dict)
    states: dict = field(default_factory=dict)

    def dump(self) -> dict:
        return {**{k: o.state_dict() for k, o in self.objects.items()},
                **{k: get() for k, (get, _) in self.states.items()}}

    def load(self, ck: dict) -> None:
        for k, o in self.objects.items():
            if isinstance(o, torch.nn.Module):
                o.load_state_dict(ck[k], strict=False)  # coding tables are not trained state
            else:
                o.load_state_dict(ck[k])
        for k, (_, set_) in self.states.items():
            set_(ck[k])


def resume(out: Path, saved: Saved, device) -> int | None:
    """Load OUT/last.pt into saved if it exists; returns its step, or None for a fresh run."""
    last = out / "last.pt"
    if not last.exists():
        return None
    ck = torch.load(last, map_location=device, weights_only=False)
    saved.load(ck)
    print(f"resumed {last} at step {ck['step']}")
    return ck["step"]


def step_seed(seed: int, rank: int, step: int) -> int:
    """The seed of torch's generator for one step (quantization noise, dropout, diffusion times):
    a function of the step, so that a resumed run or a chain of time-limited calls draws what an
    unbroken one would, and each rank draws its own."""
    return int(np.random.SeedSequence((seed, rank, step)).generate_state(1)[0])


def run(cfg, out: Path, saved: Saved, step: int, optimizer, train_step: Callable[[], dict],
        validate: Callable[[], dict], val_line: Callable[[dict], str], show: tuple[str, ...]) -> Path:
    """Train from `step` to cfg.steps, or until cfg.max_minutes have passed (a chain of short
    calls of the same command then continues one run). train_step() does one step and returns
    its metrics (floats): every LOG_EVERY steps they are logged, and those named in `show` go on
    the bar. Under torchrun only rank 0 writes and validates."""
    last = out / "last.pt"
    main = distributed.world().main
    if main:
        (out / "config.json").write_text(json.dumps(asdict(cfg), indent=1))

    def checkpoint():
        if main:
            save_atomic({**saved.dump(), "step": step, "config": asdict(cfg)}, last)

    log = open(out / "log.jsonl", "a") if main else open("/dev/null", "w")
    bar = tqdm(total=cfg.steps, initial=step, dynamic_ncols=True, mininterval=5, disable=not main)
    t0 = time.time()
    try:
        while step < cfg.steps:
            if cfg.max_minutes and distributed.any_rank(time.time() - t0 > 60 * cfg.max_minutes):
                tqdm.write(f"stopped at step {step} of {cfg.steps} after {cfg.max_minutes:g} min: "
                           "rerun the same command to continue")
                break
            for g in optimizer.param_groups:  # a group may scale the schedule ("lr_scale")
                g["lr"] = lr_at(cfg, step) * g.get("lr_scale", 1.0)
            torch.manual_seed(step_seed(cfg.seed, distributed.world().rank, step))
            metrics = train_step()
            step += 1
            bar.update(1)
            if step % LOG_EVERY == 0:
                bar.set_postfix({k: f"{metrics[k]:.3f}" for k in show})
                log.write(json.dumps({"step": step, **metrics, "lr": lr_at(cfg, step),
                                      "elapsed": time.time() - t0}) + "\n")
                log.flush()
            if step % cfg.ckpt_every == 0 or step == cfg.steps:
                checkpoint()
            if step % cfg.val_every == 0 or step == cfg.steps:
                if main:
                    v = validate()
                    tqdm.write(f"step {step}: {val_line(v)}")
                    log.write(json.dumps({"step": step, "val": v}) + "\n")
                    log.flush()
                distributed.barrier()
    finally:
        checkpoint()
        bar.close()
        log.close()
    return last
