"""The documented Python API (README): bytes <-> PIL images and arrays."""
import numpy as np
import pytest
from PIL import Image

import codec.api as strata
from codec.errors import OptionError, StrataError

from .conftest import natural_image


def test_encode_decode_pil_and_array():
    rgb = natural_image(72, 40, seed=4)
    data = strata.encode(Image.fromarray(rgb))
    assert data == strata.encode(rgb)  # the same picture either way, the same bytes
    image, report = strata.decode(data)
    assert image.size == (72, 40) and image.mode == "RGB" and report.layers == report.layers_in_stream
    preview, rep = strata.decode(data, layers=2)
    assert rep.layers == 2 and preview.size == image.size
    grey, _ = strata.decode(strata.encode(rgb[..., 0]))
    assert grey.mode == "L"


def test_api_errors_name_the_option():
    rgb = natural_image(32, 32)
    with pytest.raises(OptionError) as e:
        strata.encode(rgb, model="hyperprior-mid-3", bpp=0.3)
    assert e.value.option == "bpp"
    with pytest.raises(StrataError, match="PIL image, a uint8 array or an .N, 3. float array"):
        strata.encode("photo.png")
