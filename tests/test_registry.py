"""Shipped weights: registered, verified, loaded with their own CDF tables; clear errors otherwise."""
import json
import shutil

import pytest
import torch

from codec import registry
from codec.container import Kind
from codec.errors import StrataError


def test_every_registered_model_loads_and_matches_its_hash():
    models = registry.list_models()
    assert len(models) >= 2, "ship at least a low and a high quality"
    assert registry.default_model() in [m.name for m in models]
    for m in models:
        assert registry.file_sha256(registry.WEIGHTS_DIR / m.file) == m.sha256
        assert m.command, "record the command that produced the weights"
        model, _ = registry.load_model(m.name)
        state = torch.load(registry.WEIGHTS_DIR / m.file, weights_only=True)
        if m.codec.kind == Kind.POINT_CLOUD:  # counted priors, filled from the training set
            assert state["index_counts"].sum() > 0 and state["octree_counts"].sum() > 0
            continue
        if "adapters" in state:  # adapters and gate only: the tables are the inner model's, checked there
            assert m.args["inner"] in [o.name for o in models]
            assert any(k.startswith("gate.") for k in state["adapters"])
            continue
        if "hyper" in state:  # hardware student: integer transforms beside the float hyper path
            assert {"g_a", "g_s"} <= set(state)
            state = state["hyper"]
        # The CDF tables come from the file, not from a recomputation at load time.
        tables = [k for k in state if k.endswith("_quantized_cdf")]
        assert len(tables) == 2  # entropy bottleneck and Gaussian conditional
        for k in tables:
            assert torch.equal(model.get_buffer(k), state[k])


def _fake_registry(tmp_path, monkeypatch, corrupt=False, missing=False):
    m = registry.list_models()[0]
    reg = {"default": m.name, "models": [json.loads(json.dumps(
        {"name": m.name, "architecture": m.architecture, "args": m.args, "file": m.file,
         "sha256": m.sha256, "command": m.command}))]}
    (tmp_path / "registry.json").write_text(json.dumps(reg))
    if not missing:
        shutil.copy(registry.WEIGHTS_DIR / m.file, tmp_path / m.file)
        if corrupt:
            with open(tmp_path / m.file, "r+b") as f:
                f.seek(1000)
                f.write(b"\xff" * 8)
    monkeypatch.setattr(registry, "WEIGHTS_DIR", tmp_path)
    registry.load_codec.cache_clear()
    return m.name


@pytest.mark.parametrize("case, needle", [("missing", "missing"), ("corrupt", "sha256")])
def test_bad_weights_give_clear_errors(tmp_path, monkeypatch, case, needle):
    name = _fake_registry(tmp_path, monkeypatch, corrupt=case == "corrupt", missing=case == "missing")
    try:
        with pytest.raises(StrataError, match=needle):
            registry.load_model(name)
    finally:
        registry.load_codec.cache_clear()


def test_missing_registry(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(StrataError, match="registry"):
        registry.list_models()


def test_superseded_models_name_a_current_model_of_the_same_kind():
    """Superseded weights stay installed (their streams must keep decoding), but each points
    at a current model of the same architecture, which encoders and evaluations use instead."""
    by_name = {m.name: m for m in registry.list_models()}
    current = {m.name for m in registry.list_models(current_only=True)}
    assert registry.default_model() in current
    for m in by_name.values():
        if m.superseded_by:
            assert m.superseded_by in current
            assert by_name[m.superseded_by].architecture == m.architecture
    kinds = {m.architecture for m in by_name.values()}
    assert kinds == {by_name[n].architecture for n in current}, "every kind keeps a current model"
