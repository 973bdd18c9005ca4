"""Training at scale: per-step crops, data-loading workers, time-limited chains of calls, torchrun."""
import json
import os
import socket
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from codec.errors import OptionError
from codec.image.training.data import CropSampler, step_batches
from codec.image.training.loop import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def images(tmp_path):
    rng = np.random.default_rng(0)
    files = []
    for i in range(3):
        files.append(tmp_path / f"{i}.png")
        Image.fromarray(rng.integers(0, 256, (70, 90, 3), dtype=np.uint8)).save(files[-1])
    return files


def _tiny(tmp_path, name, **kw):
    return TrainConfig(data=str(tmp_path), out=str(tmp_path / name), batch=2, crop=64, N=8, M=12,
                       warmup=1, val_every=100, ckpt_every=100, quant="ste", precision="fp32", **kw)


def test_a_steps_crops_depend_on_seed_rank_and_step_alone(images):
    a, b = CropSampler(images, 64, seed=3), CropSampler(images, 64, seed=3)
    b.batch(5)  # the sampler's own generator does not enter batch_at
    assert torch.equal(a.batch_at(7, 4), b.batch_at(7, 4))
    assert not torch.equal(a.batch_at(7, 4), a.batch_at(8, 4))
    assert not torch.equal(a.batch_at(7, 4, rank=0), a.batch_at(7, 4, rank=1))


def test_loading_workers_deliver_the_same_batches_in_order(images):
    sampler = CropSampler(images, 64, seed=1)
    inline = list(step_batches(sampler, 3, 5, 9))
    loaded = list(step_batches(sampler, 3, 5, 9, workers=2))
    assert len(loaded) == 4 and all(torch.equal(x, y) for x, y in zip(inline, loaded))


def test_a_chain_of_time_limited_calls_ends_with_the_weights_of_one_unbroken_run(tmp_path, images):
    torch.set_num_threads(1)
    try:
        whole = train(_tiny(tmp_path, "whole", steps=4), images[:2], images[2:])
        chained = _tiny(tmp_path, "chain", steps=4, max_minutes=1e-6)  # stops after every step
        last = train(chained, images[:2], images[2:])
        steps = [torch.load(last, weights_only=False)["step"]]
        while steps[-1] < 4:
            train(chained, images[:2], images[2:])
            steps.append(torch.load(last, weights_only=False)["step"])
    finally:
        torch.set_num_threads(2)
    assert steps[0] < 4 and len(steps) > 1  # stopped by the limit, continued by the reruns
    a = torch.load(whole, weights_only=False)["model"]
    b = torch.load(last, weights_only=False)["model"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_negative_limits_are_refused(tmp_path):
    with pytest.raises(OptionError, match="max_minutes must not be negative"):
        train(replace(_tiny(tmp_path, "r", steps=1), max_minutes=-1), [], [])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_torchrun_trains_one_run_on_two_processes(tmp_path, images):
    """Two CPU processes (Gloo), the single-rate then the progressive loop: one checkpoint and
    one log each, written by rank 0."""
    script = tmp_path / "ddp.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        from codec.image.training.loop import TrainConfig, train
        files = sorted(Path({str(tmp_path)!r}).glob("*.png"))
        cfg = TrainConfig(data=".", out={str(tmp_path / "ddp")!r}, steps=3, batch=1, crop=64, N=8,
                          M=12, warmup=1, val_every=3, ckpt_every=100, quant="ste", precision="fp32")
        train(cfg, files[:2], files[2:])
        from codec.image.training.progressive_loop import ProgressiveConfig, train as train_progressive
        ck = {str(tmp_path / "ddp" / "last.pt")!r}
        pcfg = ProgressiveConfig(data=".", out={str(tmp_path / "ddp-p")!r}, init_base=ck, init_top=ck,
                                 steps=2, batch=1, crop=64, N=8, M=12, P=8, warmup=1, val_every=2,
                                 ckpt_every=100, precision="fp32")
        train_progressive(pcfg, files[:2], files[2:])
    """))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                        "--master_port", str(_free_port()), str(script)],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    ck = torch.load(tmp_path / "ddp" / "last.pt", weights_only=False)
    assert ck["step"] == 3
    log = [json.loads(l) for l in (tmp_path / "ddp" / "log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in log if "val" in e] == [3]  # rank 0 alone validates and logs
    assert torch.load(tmp_path / "ddp-p" / "last.pt", weights_only=False)["step"] == 2  # and the progressive loop


@pytest.mark.parametrize("scale", ["full", "cpu"])
def test_every_recipe_stage_makes_a_valid_config_of_its_loop_from_earlier_stages(tmp_path, scale):
    from codec.image.training.progressive_loop import ProgressiveConfig
    from codec.image.training.recipe import STAGES, stage_config
    classes = {"single-rate": TrainConfig, "progressive": ProgressiveConfig}
    seen = []
    for s in STAGES:
        assert set(s.after.values()) <= set(seen), f"{s.name} starts from a later stage"
        cfg = classes[s.loop](**stage_config(s.name, tmp_path, scale, steps=7))
        assert cfg.steps == 7 and cfg.out == str(tmp_path / s.name)
        seen.append(s.name)
    full = stage_config("trunk", tmp_path, "full")
    assert full["batch"] >= 16 and full["crop"] >= 256 and full["workers"] > 0


def test_a_stage_whose_inputs_are_missing_is_refused_in_one_line(tmp_path):
    r = subprocess.run([sys.executable, "tools/train_recipe.py", "progressive", "--root", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0
    assert "starts from" in r.stderr and "train base, high first" in r.stderr
