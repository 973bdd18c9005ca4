"""Strata's image-model training recipe: the stages, in order, at two scales.

Each stage is one call of a training loop (loop.py or progressive_loop.py) whose run folder is
ROOT/STAGE and whose starting weights are the last checkpoint of the stages it names in
`after`. "full" is the scale the papers train at, for CUDA (16 crops of 256^2 per process, data
cut ahead of time by loader workers, a million-odd crops per stage); "cpu" is what two cores
finish in hours (the recorded commands of the shipped models). Every stage resumes from
ROOT/STAGE/last.pt, so `max_minutes` turns it into a chain of short calls, and under torchrun
each process trains on its own crops (distributed.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...errors import OptionError

SCALES = ("full", "cpu")
DATA = ["../shared/data/bsds500", "../shared/data/urban100"]


@dataclass(frozen=True)
class Stage:
    name: str
    loop: str  # "single-rate" (loop.TrainConfig) or "progressive" (progressive_loop.ProgressiveConfig)
    what: str
    after: dict = field(default_factory=dict)  # config field -> stage whose last.pt it takes
    common: dict = field(default_factory=dict)
    full: dict = field(default_factory=dict)
    cpu: dict = field(default_factory=dict)


_FULL_SR = {"batch": 16, "crop": 256, "workers": 8, "val_every": 5000, "ckpt_every": 1000}
_CPU_SR = {"batch": 4, "crop": 256, "val_every": 500}

STAGES = [
    Stage("trunk", "single-rate", "mean-scale hyperprior from scratch at the middle rate",
          common={"lmbda": 0.0035, "quant": "noise"},
          full={**_FULL_SR, "steps": 300_000, "lr": 1e-4, "warmup": 2000, "decay_from": 0.8},
          cpu={"batch": 8, "crop": 128, "steps": 32_000, "lr": 4e-4, "warmup": 1000,
               "decay_from": 0.6, "val_every": 2000}),
    Stage("mid", "single-rate", "the trunk fine-tuned with the decoder's rounding (STE)",
          after={"init": "trunk"}, common={"lmbda": 0.0035, "quant": "ste", "lr": 5e-5, "warmup": 100,
                                           "decay_from": 0.5},
          full={**_FULL_SR, "steps": 60_000}, cpu={**_CPU_SR, "steps": 9000}),
    Stage("low", "single-rate", "low rate, from mid", after={"init": "mid"},
          common={"lmbda": 0.0018, "quant": "ste", "lr": 5e-5, "warmup": 50, "decay_from": 0.3},
          full={**_FULL_SR, "steps": 30_000}, cpu={**_CPU_SR, "steps": 1000}),
    Stage("high", "single-rate", "high rate, from mid", after={"init": "mid"},
          common={"lmbda": 0.005, "quant": "ste", "lr": 5e-5, "warmup": 50, "decay_from": 0.3},
          full={**_FULL_SR, "steps": 30_000}, cpu={**_CPU_SR, "steps": 1000}),
    Stage("base", "single-rate", "the progressive model's base layer (lowest rate), from low",
          after={"init": "low"},
          common={"lmbda": 0.0009, "quant": "ste", "lr": 5e-5, "warmup": 50, "decay_from": 0.3},
          full={**_FULL_SR, "steps": 30_000}, cpu={**_CPU_SR, "steps": 2000}),
    Stage("progressive", "progressive", "top path, residual prior and REM over the frozen base",
          after={"init_base": "base", "init_top": "high"}, common={"lmbda": 0.05, "p_full": 0.3},
          full={"batch": 16, "crop": 256, "workers": 8, "steps": 150_000, "lr": 1e-4, "warmup": 1000,
                "val_every": 5000, "ckpt_every": 1000},
          cpu={"batch": 8, "crop": 128, "steps": 33_000, "lr": 1e-4, "warmup": 200, "val_every": 2000}),
]


def stage(name: str) -> Stage:
    for s in STAGES:
        if s.name == name:
            return s
    raise OptionError("stage", f"must be one of {', '.join(s.name for s in STAGES)}, not {name!r}")


def stage_config(name: str, root: Path, scale: str, data: list[str] | None = None, **overrides) -> dict:
    """The training config of one stage as keyword arguments of its loop's config class."""
    if scale not in SCALES:
        raise OptionError("scale", f"must be one of {', '.join(SCALES)}, not {scale!r}")
    s = stage(name)
    cfg = {"data": list(data or DATA), "out": str(root / s.name), **s.common, **getattr(s, scale)}
    for key, previous in s.after.items():
        cfg[key] = str(root / previous / "last.pt")
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    return cfg


def missing_inputs(cfg: dict, name: str) -> list[str]:
    """The earlier stages' checkpoints this stage starts from that do not exist yet (a stage
    that has already started resumes from its own checkpoint and needs none of them)."""
    if (Path(cfg["out"]) / "last.pt").exists():
        return []
    return [cfg[k] for k in stage(name).after if not Path(cfg[k]).exists()]
