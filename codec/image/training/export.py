"""Turn a training checkpoint into shipped weights registered in codec/weights/registry.json."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from ...registry import WEIGHTS_DIR, build, file_sha256
from ...training.driver import without_coding_tables


def model_from_checkpoint(checkpoint: Path, model_args: dict | None = None):
    """(model ready for coding, architecture, args, checkpoint) from a training checkpoint.

    model_args: architecture arguments that do not change the trained weights (e.g. the layer
    bounds of a progressive model), added to those of the checkpoint's config."""
    ck = torch.load(checkpoint, map_location="cpu", weights_only=False)
    cfg = ck["config"]
    architecture = cfg.get("architecture", "mean-scale-hyperprior")
    args = {k: cfg[k] for k in ("N", "M", "P") if k in cfg} | (model_args or {})
    model = build(architecture, args)
    model.load_state_dict(without_coding_tables(ck["model"]), strict=False)
    model = model.float().eval().to(memory_format=torch.contiguous_format)
    with torch.no_grad():  # the shipped values (float16 on disk, see export), before update()
        for name, p in model.named_parameters():
            if _ships_half(name, p):
                p.copy_(p.half().float())
    model.update()  # CDF tables are computed once, here, and shipped
    return model, architecture, args, ck


def _ships_half(name: str, p: torch.Tensor) -> bool:
    """Transform weights ship as float16: half the package size, and the rounding moved the
    Kodak layer points of progressive-vam by at most 0.004 dB and 0.001 bpp. Entropy-model
    parameters stay float32."""
    return p.is_floating_point() and "entropy_bottleneck" not in name and "gaussian_conditional" not in name


def export(checkpoint: Path, name: str, description: str, command: str,
           weights_dir: Path = WEIGHTS_DIR, default: bool = False, extra: dict | None = None,
           model_args: dict | None = None, supersedes: list[str] | None = None) -> dict:
    """Write the weights and register them. A registered name is never given other weights
    (its streams would stop decoding): better weights ship under a new name, and `supersedes`
    marks the models they replace (still installed, no longer used to encode or evaluate)."""
    model, architecture, args, ck = model_from_checkpoint(checkpoint, model_args)
    cfg = ck["config"]
    params = dict(model.named_parameters())
    # Exact in float16: the parameters were rounded to it before update(). Loading copies them
    # back into the float32 parameters unchanged.
    state = {k: (v.half() if k in params and _ships_half(k, v) else v).contiguous()
             for k, v in model.state_dict().items()}
    entry = {"architecture": architecture, "args": args, "description": description,
             "lambda": cfg["lmbda"], "steps": ck["step"], "command": command,
             "parameters": sum(p.numel() for p in model.parameters()), **(extra or {})}
    return register(state, name, entry, weights_dir, default, supersedes)


def register(state, name: str, entry: dict, weights_dir: Path = WEIGHTS_DIR, default: bool = False,
             supersedes: list[str] | None = None) -> dict:
    """Write a weights file (torch.save of state) as weights_dir/NAME.pt and its registry entry
    (entry: architecture, args, description, command, measured figures...)."""
    reg_path = weights_dir / "registry.json"
    reg = json.loads(reg_path.read_text()) if reg_path.exists() else {"default": name, "models": []}
    replaced = set(supersedes or ())
    unknown = replaced - {m["name"] for m in reg["models"]}
    if unknown:
        raise ValueError(f"cannot supersede unregistered models: {sorted(unknown)}")
    weights_dir.mkdir(parents=True, exist_ok=True)
    path = weights_dir / f"{name}.pt"
    old = next((m for m in reg["models"] if m["name"] == name), None)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    sha = file_sha256(tmp)
    if old is not None and sha != old["sha256"]:
        tmp.unlink()
        raise ValueError(f"model {name!r} is registered with other weights: ship these under a new name")
    tmp.replace(path)
    entry = {"name": name, **{k: v for k, v in entry.items() if k in ("architecture", "args")},
             "file": path.name, "sha256": sha, **{k: v for k, v in entry.items() if k not in ("architecture", "args")}}
    for m in reg["models"]:
        # Repoint the whole chain, so every superseded model names the current one.
        if m["name"] in replaced or m.get("superseded_by") in replaced:
            m["superseded_by"] = name
    names = [m["name"] for m in reg["models"]]
    if name in names:  # the same weights re-registered: the entry stays where it was
        reg["models"][names.index(name)] = entry
    else:
        reg["models"].append(entry)
    if default:
        reg["default"] = name
    reg_path.write_text(json.dumps(reg, indent=1) + "\n")
    return entry
