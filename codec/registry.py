"""Shipped weights: a registry of named models stored as package data.

`codec/weights/registry.json` lists each model: name, architecture and its arguments, the weights
file, its sha256, the training command that produced it and its measured Kodak figures. Streams
name their model and carry the first bytes of this sha256, so a stream made by other weights is
refused instead of decoded into garbage.
"""
from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import StrataError

WEIGHTS_DIR = Path(__file__).parent / "weights"
# Architecture name -> (module, class), imported on use: reading the registry stays cheap.
ARCHITECTURES = {"mean-scale-hyperprior": ("codec.models.hyperprior", "MeanScaleHyperprior"),
                 "progressive-vam": ("codec.models.progressive", "ProgressiveVAM")}
PROGRESSIVE = {"progressive-vam"}


@dataclass
class ModelInfo:
    name: str
    architecture: str
    args: dict
    file: str
    sha256: str
    description: str = ""
    command: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def hash8(self) -> bytes:
        return bytes.fromhex(self.sha256)[:8]

    @property
    def progressive(self) -> bool:
        return self.architecture in PROGRESSIVE

    @property
    def superseded_by(self) -> str | None:
        """A newer model of the same kind. Superseded weights stay installed, so that the
        streams they made keep decoding, but encoders and evaluations use the newer one."""
        return self.extra.get("superseded_by")


def _read_registry() -> dict:
    path = WEIGHTS_DIR / "registry.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise StrataError(f"model registry missing ({path}): reinstall strata") from None
    except (OSError, json.JSONDecodeError) as e:
        raise StrataError(f"model registry unreadable: {e}") from None


def list_models(current_only: bool = False) -> list[ModelInfo]:
    """Every installed model, or with current_only those not superseded by a newer one."""
    reg = _read_registry()
    known = {"name", "architecture", "args", "file", "sha256", "description", "command"}
    models = [ModelInfo(**{k: m[k] for k in known if k in m},
                        extra={k: v for k, v in m.items() if k not in known}) for m in reg["models"]]
    return [m for m in models if not (current_only and m.superseded_by)]


def default_model() -> str:
    return _read_registry()["default"]


def model_info(name: str) -> ModelInfo:
    for m in list_models():
        if m.name == name:
            return m
    names = ", ".join(m.name for m in list_models())
    raise StrataError(f"unknown model {name!r} (installed: {names})")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build(architecture: str, args: dict):
    if architecture not in ARCHITECTURES:
        raise StrataError(f"unknown architecture {architecture!r}")
    module, cls = ARCHITECTURES[architecture]
    return getattr(importlib.import_module(module), cls)(**args)


def load_state(model, state: dict) -> None:
    """Load weights including the entropy coders' shipped CDF tables.

    CDF buffers vary in size with the weights, so they are resized before loading. The tables are
    shipped, never recomputed at load time: a recomputation could differ between machines.
    """
    for name, buf in model.named_buffers():
        if name in state and state[name].shape != buf.shape:
            module_name, _, attr = name.rpartition(".")
            module = model.get_submodule(module_name) if module_name else model
            module.register_buffer(attr, state[name].new_empty(state[name].shape))
    model.load_state_dict(state)


@lru_cache(maxsize=4)
def load_model(name: str):
    """(model ready for coding, ModelInfo); weights checked against their sha256."""
    return load_model_variant(name)


def load_model_variant(name: str, **arg_overrides):
    """As load_model, uncached, with some architecture arguments replaced (e.g. synthesis=
    "float32"): for measuring what such an argument changes, never for decoding streams."""
    import torch

    info = model_info(name)
    path = WEIGHTS_DIR / info.file
    if not path.is_file():
        raise StrataError(f"weights of model {name!r} are missing ({info.file}): reinstall strata")
    if file_sha256(path) != info.sha256:
        raise StrataError(f"weights of model {name!r} do not match their registered sha256: reinstall strata")
    model = build(info.architecture, {**info.args, **arg_overrides})
    state = torch.load(path, map_location="cpu", weights_only=True)
    load_state(model, state)
    model.eval()
    model.prepare_coding()
    return model, info
