"""The training loop on a tiny model: what g_s sees under each quantization mode, and resume."""
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from codec.errors import OptionError
from codec.image.models.hyperprior import MeanScaleHyperprior
from codec.image.training.data import CropSampler
from codec.image.training.loop import TrainConfig, train
from codec.image.training.progressive_loop import ProgressiveConfig
from codec.image.training.progressive_loop import train as train_progressive


def _synthesis_input_and_means(ste: bool):
    torch.manual_seed(0)
    model = MeanScaleHyperprior(N=8, M=12).train()
    seen = {}
    model.h_s.register_forward_hook(lambda m, i, o: seen.update(means=o.float().chunk(2, 1)[1]))
    model.g_s.register_forward_hook(lambda m, i, o: seen.update(y_hat=i[0].float()))
    x = torch.rand(2, 3, 64, 64)
    out = model(x, ste=ste)
    return model, out, seen["y_hat"] - seen["means"]


def test_ste_feeds_synthesis_the_decoders_rounded_latent_with_gradient():
    model, out, offsets = _synthesis_input_and_means(ste=True)
    assert torch.allclose(offsets, offsets.round(), atol=1e-4)
    out["x_hat"].square().mean().backward()
    assert model.g_a[0].weight.grad.abs().sum() > 0  # straight-through: the encoder still learns


def test_noise_mode_feeds_synthesis_unrounded_latent():
    _, _, offsets = _synthesis_input_and_means(ste=False)
    assert (offsets - offsets.round()).abs().max() > 0.1


def test_training_checkpoints_validates_and_resumes(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "images"
    data.mkdir()
    files = []
    for i in range(3):
        files.append(data / f"{i}.png")
        Image.fromarray(rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)).save(files[-1])
    cfg = TrainConfig(data=str(data), out=str(tmp_path / "run"), steps=2, batch=2, crop=64, N=8, M=12,
                      warmup=1, val_every=2, ckpt_every=1, quant="ste")
    last = train(cfg, files[:2], files[2:])
    assert torch.load(last, weights_only=False)["step"] == 2
    train(replace(cfg, steps=3, val_every=3), files[:2], files[2:])
    log = [json.loads(l) for l in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    vals = [e for e in log if "val" in e]
    assert [e["step"] for e in vals] == [2, 3]  # resumed at 2, not restarted
    assert all(v["val"]["full"]["bpp"] > 0 and np.isfinite(v["val"]["full"]["psnr"]) for v in vals)
    assert torch.load(last, weights_only=False)["step"] == 3


def test_unknown_quantization_mode_is_refused(tmp_path):
    with pytest.raises(OptionError, match="quant must be one of"):
        train(TrainConfig(data=".", out=str(tmp_path / "r"), quant="round"), [], [])


def test_crop_that_the_hyper_latent_cannot_tile_is_refused(tmp_path):
    with pytest.raises(OptionError, match="multiple of 64"):
        train(TrainConfig(data=".", out=str(tmp_path / "r"), crop=160), [], [])
    with pytest.raises(OptionError, match="multiple of 64"):
        train_progressive(ProgressiveConfig(data=".", out=str(tmp_path / "p"), crop=100), [], [])
    assert not (tmp_path / "r").exists() and not (tmp_path / "p").exists()


def test_shrunk_crops_keep_shape_and_range_and_differ_from_plain_crops(tmp_path):
    path = tmp_path / "a.png"
    # a fine checkerboard: shrinking with an antialiasing filter turns it grey, plain crops do not
    board = (np.indices((96, 120)).sum(0) % 2 * 255).astype(np.uint8)
    Image.fromarray(np.repeat(board[..., None], 3, 2)).save(path)
    plain = CropSampler([path], 64, seed=0).batch(4)
    shrunk = CropSampler([path], 64, seed=0, scale_min=0.5).batch(4)
    assert plain.shape == shrunk.shape == (4, 3, 64, 64)
    assert float(shrunk.min()) >= 0 and float(shrunk.max()) <= 1
    assert float(plain.std()) > 0.45  # still a full-contrast board
    assert float(shrunk.std()) < float(plain.std()) - 0.05  # region of >64 px resampled
    with pytest.raises(ValueError, match="scale_min"):
        CropSampler([path], 64, scale_min=0)


def test_a_test_folder_is_never_trained_on(tmp_path):
    """BSDS500 keeps train/, val/ and test/ under one root: the root trains on train/ alone."""
    from codec.image.training.data import split_train_val
    for part in ("train", "val", "test"):
        (tmp_path / part).mkdir()
        for i in range(2):
            Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / part / f"{i}.png")
    train_files, val_files = split_train_val(tmp_path)
    assert {p.parent.name for p in train_files} == {"train"} and {p.parent.name for p in val_files} == {"val"}
