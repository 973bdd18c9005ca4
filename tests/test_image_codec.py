"""Round trips through the shipped default model: sizes, modes, formats, alpha, determinism."""
import hashlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from codec.contract import LAYERS, EncodeOptions
from codec.api import decode_stream, encode_item
from codec.image.io import read_image
from codec.registry import default_model

from .conftest import natural_image

MAX_PIXELS = 10**8


def _psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255**2 / max(mse, 1e-10))


def _round_trip(path):
    pic = read_image(path, MAX_PIXELS)
    data = encode_item(pic, default_model())[0]
    img, _ = decode_stream(data)
    return pic, data, img


@pytest.mark.parametrize("w,h", [(1, 1), (17, 33), (65, 64), (48, 100), (2, 3)])
def test_odd_sizes_round_trip(tmp_path, w, h):
    path = tmp_path / "odd.png"
    Image.fromarray(natural_image(w, h)).save(path)
    pic, data, img = _round_trip(path)
    assert img.size == (w, h) and img.mode == "RGB"
    if w * h >= 64 * 64:
        assert _psnr(np.asarray(img), pic.rgb) > 20


def test_quality_on_smooth_image(tmp_path, rgb_png):
    pic, data, img = _round_trip(rgb_png)
    assert _psnr(np.asarray(img), pic.rgb) > 24
    assert len(data) * 8 / (96 * 80) < 4  # and at a rate far below raw 24 bpp


def _make(mode, tmp_path, fmt="PNG"):
    rgb = natural_image(40, 30)
    im = Image.fromarray(rgb)
    if mode == "L":
        im = im.convert("L")
    elif mode == "1":
        im = im.convert("1")
    elif mode == "P":
        im = im.convert("P", palette=Image.Palette.ADAPTIVE)
    elif mode == "PT":
        im = im.convert("P", palette=Image.Palette.ADAPTIVE)
        im.info["transparency"] = 0
    elif mode == "RGBA":
        a = np.tile(np.linspace(0, 255, 40, dtype=np.uint8), (30, 1))
        im = Image.fromarray(np.dstack([rgb, a]), "RGBA")
    elif mode == "LA":
        im = im.convert("LA")
        im.putalpha(Image.fromarray(np.tile(np.arange(30, dtype=np.uint8)[:, None] * 8, (1, 40))))
    elif mode == "I;16":
        grey = (np.asarray(im.convert("L")).astype(np.uint16) * 257)
        im = Image.fromarray(grey)
        assert im.mode.startswith("I;16")
    elif mode == "CMYK":
        im = im.convert("CMYK")
    ext = {"PNG": "png", "JPEG": "jpg", "TIFF": "tif", "BMP": "bmp", "WEBP": "webp"}[fmt]
    path = tmp_path / f"in_{mode}.{ext}"
    im.save(path, format=fmt, **({"transparency": 0} if mode == "PT" else {}))
    return path


@pytest.mark.parametrize("mode, out_mode", [
    ("RGB", "RGB"), ("L", "L"), ("1", "L"), ("P", "RGB"), ("PT", "RGBA"), ("RGBA", "RGBA"),
    ("LA", "LA"), ("I;16", "L"), ("CMYK", "RGB")])
def test_input_modes(tmp_path, mode, out_mode):
    path = _make(mode, tmp_path, "TIFF" if mode == "CMYK" else "PNG")
    pic, data, img = _round_trip(path)
    assert img.mode == out_mode and img.size == (40, 30)
    if out_mode in ("RGBA", "LA"):
        # Alpha is lossless.
        src = Image.open(path)
        src_alpha = np.asarray(src.convert("RGBA").getchannel("A")) if mode == "PT" else np.asarray(src.getchannel("A"))
        assert np.array_equal(np.asarray(img.getchannel("A")), src_alpha)
    if mode == "I;16":
        assert pic.bits == 16


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF", "BMP", "WEBP"])
def test_input_formats(tmp_path, fmt):
    pic, data, img = _round_trip(_make("RGB", tmp_path, fmt))
    assert img.size == (40, 30)


def test_opaque_alpha_costs_no_chunk(tmp_path):
    rgb = natural_image(32, 32)
    path = tmp_path / "opaque.png"
    Image.fromarray(np.dstack([rgb, np.full((32, 32), 255, np.uint8)]), "RGBA").save(path)
    pic, data, img = _round_trip(path)
    from codec import container
    types = [t for t, _ in container.parse(data).chunks]
    assert container.ChunkType.ALPHA not in types and img.mode == "RGBA"
    assert (np.asarray(img.getchannel("A")) == 255).all()


def test_exif_orientation_applied(tmp_path):
    rgb = natural_image(40, 20)
    im = Image.fromarray(rgb)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "rot.jpg"
    im.save(path, exif=exif.tobytes(), quality=95)
    pic, data, img = _round_trip(path)
    assert img.size == (20, 40)


def test_same_input_same_bytes(rgb_png):
    pic = read_image(rgb_png, MAX_PIXELS)
    assert encode_item(pic, default_model())[0] == encode_item(pic, default_model())[0]


_DECODE_SNIPPET = """
import hashlib, sys, torch
torch.set_num_threads(int(sys.argv[1]))
from codec.api import decode_stream
img, _ = decode_stream(open(sys.argv[2], 'rb').read())
print(hashlib.sha256(img.tobytes()).hexdigest())
"""


def test_identical_pixels_across_thread_counts(tmp_path):
    path = tmp_path / "t.png"
    Image.fromarray(natural_image(200, 136, seed=3)).save(path)
    pic = read_image(path, MAX_PIXELS)
    sp = tmp_path / "t.strata"
    sp.write_bytes(encode_item(pic, default_model())[0])
    digests = set()
    for threads in (1, 2, 3):
        out = subprocess.run([sys.executable, "-c", _DECODE_SNIPPET, str(threads), str(sp)],
                             capture_output=True, text=True, check=True)
        digests.add(out.stdout.strip())
    # and in-process, whatever this process's thread setting
    img, _ = decode_stream(sp.read_bytes())
    digests.add(hashlib.sha256(img.tobytes()).hexdigest())
    assert len(digests) == 1


def test_synthesis_keeps_no_autograd_graph():
    """The float32 synthesis shares trained modules whose parameters require grad: decoding must
    not record a graph, or a tiled 3840x2160 decode holds every tile's activations (8 GiB)."""
    import torch

    from codec.container import ChunkType, Kind, parse
    from codec.image.io import Picture
    from codec.registry import list_models, load_codec

    rgb = natural_image(64, 64)
    for info in list_models(current_only=True, kind=Kind.IMAGE):
        codec = load_codec(info.name)
        stream = parse(codec.encode(Picture(rgb, None, "RGB", 8), EncodeOptions())[0])
        layers = codec.layers(stream)
        latent = codec.decode_latent(stream.payload(ChunkType.HYPER), stream.payload(ChunkType.LATENT),
                                     layers, 64, 64)
        out = codec.synthesis_tensor(latent, len(layers))
        assert torch.is_grad_enabled() and not out.requires_grad, info.name
