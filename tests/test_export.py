"""Exporting a training checkpoint as registered weights: a registered name never changes its
weights, and superseded models stay installed but leave the current list."""
import json

import pytest
import torch

from codec import registry
from codec.image.models.hyperprior import MeanScaleHyperprior
from codec.image.training.export import export


def _checkpoint(tmp_path, seed: int):
    torch.manual_seed(seed)
    model = MeanScaleHyperprior(8, 8)
    path = tmp_path / f"ck{seed}.pt"
    torch.save({"model": model.state_dict(), "step": 7, "config": {"N": 8, "M": 8, "lmbda": 0.01}}, path)
    return path


def test_export_registers_refuses_new_weights_under_an_old_name_and_supersedes(tmp_path, monkeypatch):
    wd = tmp_path / "weights"
    a, b = _checkpoint(tmp_path, 0), _checkpoint(tmp_path, 1)
    first = export(a, "tiny", "", "cmd", weights_dir=wd, default=True)
    assert export(a, "tiny", "", "cmd", weights_dir=wd)["sha256"] == first["sha256"]  # same weights: fine
    with pytest.raises(ValueError, match="new name"):
        export(b, "tiny", "", "cmd", weights_dir=wd)
    assert registry.file_sha256(wd / "tiny.pt") == first["sha256"]  # untouched by the refusal
    assert not list(wd.glob("*.tmp"))
    with pytest.raises(ValueError, match="unregistered"):
        export(b, "tiny-2", "", "cmd", weights_dir=wd, supersedes=["nope"])
    export(b, "tiny-2", "", "cmd", weights_dir=wd, supersedes=["tiny"])
    reg = json.loads((wd / "registry.json").read_text())
    assert {m["name"]: m.get("superseded_by") for m in reg["models"]} == {"tiny": "tiny-2", "tiny-2": None}
    export(b, "tiny-3", "", "cmd", weights_dir=wd, supersedes=["tiny-2"])
    reg = json.loads((wd / "registry.json").read_text())  # the chain points at the newest
    assert {m["name"]: m.get("superseded_by") for m in reg["models"]} == {
        "tiny": "tiny-3", "tiny-2": "tiny-3", "tiny-3": None}

    monkeypatch.setattr(registry, "WEIGHTS_DIR", wd)
    registry.load_codec.cache_clear()
    try:
        assert [m.name for m in registry.list_models(current_only=True)] == ["tiny-3"]
        model, _ = registry.load_model("tiny")  # superseded weights still load (old streams decode)
        assert model.M == 8
    finally:
        registry.load_codec.cache_clear()
