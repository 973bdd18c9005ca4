import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from codec.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("STRATA_DATA", ROOT.parent / "shared" / "data"))


def with_thread_counts(fn, counts=(1, 2)) -> list:
    """fn() run under each torch thread count (restored afterwards): determinism checks."""
    import torch
    before = torch.get_num_threads()
    try:
        outs = []
        for n in counts:
            torch.set_num_threads(n)
            outs.append(fn())
        return outs
    finally:
        torch.set_num_threads(before)


def natural_image(w: int, h: int, seed: int = 0, noise: float = 4) -> np.ndarray:
    """A smooth image with edges and a little texture (noise: its std): closer to a photo than
    uniform noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([128 + 90 * np.sin(xx / 9 + c) * np.cos(yy / 13 - c) for c in range(3)], axis=2)
    img[(xx - w / 2) ** 2 + (yy - h / 2) ** 2 < (min(w, h) / 3) ** 2] *= 0.5
    img += rng.normal(0, noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def run_cli(capsys):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    def run(*args):
        code = cli_main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


@pytest.fixture
def rgb_png(tmp_path):
    path = tmp_path / "in.png"
    Image.fromarray(natural_image(96, 80)).save(path)
    return path


@pytest.fixture
def stream(tmp_path, rgb_png, run_cli):
    out = tmp_path / "in.strata"
    code, _, err = run_cli("encode", rgb_png, "-o", out)
    assert code == 0, err
    return out
