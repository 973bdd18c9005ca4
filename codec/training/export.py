"""Turn a training checkpoint into shipped weights registered in codec/weights/registry.json."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from ..registry import WEIGHTS_DIR, build, file_sha256


def export(checkpoint: Path, name: str, description: str, command: str,
           weights_dir: Path = WEIGHTS_DIR, default: bool = False, extra: dict | None = None,
           model_args: dict | None = None) -> dict:
    """model_args: architecture arguments that do not change the trained weights (e.g. the
    layer bounds of a progressive model), added to those of the checkpoint's config."""
    ck = torch.load(checkpoint, map_location="cpu", weights_only=False)
    cfg = ck["config"]
    architecture = cfg.get("architecture", "mean-scale-hyperprior")
    args = {k: cfg[k] for k in ("N", "M", "P") if k in cfg} | (model_args or {})
    model = build(architecture, args)
    state = {k: v for k, v in ck["model"].items() if "_cdf" not in k and "_offset" not in k}
    model.load_state_dict(state, strict=False)
    model = model.float().eval().to(memory_format=torch.contiguous_format)
    model.update()  # CDF tables are computed once, here, and shipped
    weights_dir.mkdir(parents=True, exist_ok=True)
    path = weights_dir / f"{name}.pt"
    torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    entry = {"name": name, "architecture": architecture, "args": args,
             "file": path.name, "sha256": file_sha256(path), "description": description,
             "lambda": cfg["lmbda"], "steps": ck["step"], "command": command,
             "parameters": sum(p.numel() for p in model.parameters()), **(extra or {})}
    reg_path = weights_dir / "registry.json"
    reg = json.loads(reg_path.read_text()) if reg_path.exists() else {"default": name, "models": []}
    reg["models"] = [m for m in reg["models"] if m["name"] != name] + [entry]
    reg["models"].sort(key=lambda m: m.get("lambda", 0))
    if default:
        reg["default"] = name
    reg_path.write_text(json.dumps(reg, indent=1) + "\n")
    return entry
