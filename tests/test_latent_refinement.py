"""Encoder effort (latent refinement): better real rate-distortion cost, same decoder, same bytes
whatever the thread count, clear errors where it does not apply."""
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from codec.container import Kind
from codec.contract import LAYERS, EncodeOptions
from codec.image.codecs import EFFORT_STEPS
from codec.image.coding import compress_single as compress_rgb
from codec.image.models import latent_refinement
from codec.registry import list_models, load_codec, load_model, model_info

from .conftest import natural_image

MODEL = next(m.name for m in list_models(current_only=True, kind=Kind.IMAGE) if LAYERS not in m.codec.capabilities)


def _real_cost(model, rgb, steps, lmbda, objective):
    """Bits of the coded strings + objective * 255^2 * squared error of the decoded 8-bit image
    (the training objective, in whole-image units), and the decoded image."""
    h, w = rgb.shape[:2]
    z, y = compress_rgb(model, rgb, steps, lmbda)
    out = load_codec(MODEL).decode_rgb(z, y, [], w, h)
    sse = float(((out.astype(np.float64) - rgb) ** 2).sum())  # 255^2 * MSE in [0, 1] units
    return 8 * (len(z) + len(y)) + objective * sse, out


@pytest.mark.parametrize("window", [None, 4])  # 4: a 160x128 image spans 3x2 windows with halos
def test_refinement_lowers_the_real_cost(monkeypatch, window):
    if window:
        monkeypatch.setattr(latent_refinement, "WINDOW", window)
    model, _ = load_model(MODEL)
    steps, lmbda = EFFORT_STEPS[1], float(model_info(MODEL).extra["lambda"])
    objective = lmbda * latent_refinement.LAMBDA_SCALE  # what refinement minimises
    # Odd size: the padding must not count in the distortion. Little noise: pixel noise is
    # incompressible, so on noisy images refinement gains less.
    rgb = natural_image(150, 120, seed=5, noise=1)
    plain, _ = _real_cost(model, rgb, 0, lmbda, objective)
    refined, out = _real_cost(model, rgb, steps, lmbda, objective)
    assert out.shape == rgb.shape
    assert refined < 0.995 * plain, (plain, refined)  # Kodak: 2-4% with effort 1


def test_zero_steps_is_the_analysis_latent():
    model, _ = load_model(MODEL)
    rgb = natural_image(64, 64)
    assert compress_rgb(model, rgb, 0, 0.01) == compress_rgb(model, rgb)


_ENCODE_SNIPPET = """
import hashlib, sys, torch
torch.set_num_threads(int(sys.argv[1]))
from codec.api import encode_item
from codec.contract import EncodeOptions
from codec.image.io import read_image
print(hashlib.sha256(encode_item(read_image(sys.argv[2], 10**8), sys.argv[3], options=EncodeOptions(effort=1))[0]).hexdigest())
"""


def test_same_bytes_whatever_the_thread_count(tmp_path):
    path = tmp_path / "t.png"
    Image.fromarray(natural_image(136, 72, seed=2)).save(path)
    digests = {subprocess.run([sys.executable, "-c", _ENCODE_SNIPPET, str(t), str(path), MODEL],
                              capture_output=True, text=True, check=True).stdout.strip()
               for t in (1, 2, 3)}
    assert len(digests) == 1


@pytest.mark.parametrize("args, message", [
    (["--effort", "3"], "--effort must be between 0 and 2"),
    (["--effort", "-1"], "--effort must be between 0 and 2"),
    (["--effort", "1", "--model", "progressive-vam-2"], "--effort does not apply to 'progressive-vam-2'"),
])
def test_bad_effort_is_one_clear_error(tmp_path, rgb_png, run_cli, args, message):
    out = tmp_path / "o.strata"
    code, _, err = run_cli("encode", rgb_png, "-o", out, *args)
    assert code != 0 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_effort_round_trip(tmp_path, rgb_png, run_cli):
    out, back = tmp_path / "o.strata", tmp_path / "o.png"
    code, _, err = run_cli("encode", rgb_png, "-o", out, "--model", MODEL, "--effort", "1")
    assert code == 0, err
    code, _, err = run_cli("decode", out, "-o", back)
    assert code == 0, err
    assert Image.open(back).size == Image.open(rgb_png).size
