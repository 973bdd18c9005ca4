"""tools/rd_pictures.py's panel choices on synthetic cases (no model is loaded)."""
import importlib.util

import numpy as np
from PIL import Image

from .conftest import ROOT

_spec = importlib.util.spec_from_file_location("rd_pictures", ROOT / "tools" / "rd_pictures.py")
rd_pictures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rd_pictures)


def test_window_is_on_the_detail():
    img = np.full((96, 128, 3), 120, np.uint8)
    rng = np.random.default_rng(0)
    img[40:72, 64:96] = rng.integers(0, 256, (32, 32, 3))  # the only texture, on the 8-px grid
    assert rd_pictures.detail_window(img, 32) == (40, 64)
    y, x = rd_pictures.detail_window(img, 96)  # a window as tall as the image still fits
    assert y == 0 and x <= 64 and x + 96 >= 96


class _FakeBaseline:
    """A codec whose file for quality q is q bytes long (a sweep that is not sorted)."""
    qualities = [50, 10, 30, 90]

    def save(self, im, f, q):
        f.write(b"x" * q)


def test_closest_quality_by_real_size():
    files = rd_pictures.baseline_files(_FakeBaseline(), Image.new("RGB", (8, 8)))
    sizes = {q: len(b) for q, b in files.items()}
    assert sizes == {50: 50, 10: 10, 30: 30, 90: 90}
    assert rd_pictures.closest(sizes, 33) == 30
    assert rd_pictures.closest(sizes, 75) == 90
    assert rd_pictures.closest(sizes, 1000) == 90 and rd_pictures.closest(sizes, 0) == 10
    assert rd_pictures.closest({0: 100, 1: 140, 2: 180}, 160) == 1  # a tie keeps the first cut
