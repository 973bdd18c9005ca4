"""Turn a point-cloud training checkpoint into shipped weights: one weights file, registered in
codec/weights/registry.json under one model name per rate (sub-vectors, anchors), since one
trained model serves every rate."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from codec.registry import WEIGHTS_DIR, file_sha256

ARCHITECTURE = "ddpm-pointcloud"


def export(checkpoint: Path, file_stem: str, rates: dict[str, tuple[int, int]], steps: int,
           command: str, weights_dir: Path = WEIGHTS_DIR, extra: dict | None = None) -> list[dict]:
    """rates: model name -> (sub-vectors, anchors); steps: the default sampler steps."""
    ck = torch.load(checkpoint, map_location="cpu", weights_only=False)
    if not ck.get("priors"):
        raise ValueError(f"{checkpoint} has no counted priors: let the run reach its last step")
    reg_path = weights_dir / "registry.json"
    reg = json.loads(reg_path.read_text())
    path = weights_dir / f"{file_stem}.pt"
    tmp = path.with_suffix(".tmp")
    torch.save({k: v.contiguous() for k, v in ck["model"].items()}, tmp)
    sha = file_sha256(tmp)
    for name in rates:
        old = next((m for m in reg["models"] if m["name"] == name), None)
        if old is not None and old["sha256"] != sha:
            tmp.unlink()
            raise ValueError(f"model {name!r} is registered with other weights: ship these under a new name")
    tmp.replace(path)
    entries = [{"name": name, "architecture": ARCHITECTURE,
                "args": {"subvectors": m, "anchors": k, "steps": steps, "points": ck["config"].get("points", 1024)},
                "file": path.name, "sha256": sha,
                "description": f"DDPM point-cloud coder, {m} VQ indices" + (f" + {k} anchors" if k else ""),
                "steps": ck["step"], "command": command,
                "parameters": sum(v.numel() for k_, v in ck["model"].items() if k_ not in ("index_counts", "octree_counts")),
                **(extra or {})} for name, (m, k) in rates.items()]
    reg["models"] = [m for m in reg["models"] if m["name"] not in rates] + entries
    reg_path.write_text(json.dumps(reg, indent=1) + "\n")
    return entries
