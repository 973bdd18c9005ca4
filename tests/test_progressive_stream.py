"""Progressive streams through the shipped default model: prefixes, trim, --layers, targets."""
import numpy as np
import pytest

from codec.container import Kind
from codec.contract import LAYERS, DecodeOptions, EncodeOptions
from codec.container import ChunkType, parse
from codec.errors import StrataError
from codec.api import decode_stream, encode_item
from codec.image.io import Picture
from codec.registry import default_model, list_models, model_info
from codec.trim import trim

from .conftest import natural_image


def _psnr(a, b):
    mse = np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2)
    return 10 * np.log10(255**2 / max(mse, 1e-10))


@pytest.fixture(scope="module")
def model_name():
    name = default_model()
    assert LAYERS in model_info(name).codec.capabilities, "the default model should be the progressive one"
    return name


@pytest.fixture(scope="module")
def natural():
    return natural_image(160, 96, seed=3)


@pytest.fixture(scope="module")
def stream(model_name, natural):
    return encode_item(Picture(natural, None, "RGB", 8), model_name)[0]


def test_layers_are_chunks_in_order(stream, model_name):
    s = parse(stream)
    types = [t for t, _ in s.chunks]
    n = types.count(ChunkType.RESIDUAL)
    assert types[:2] == [ChunkType.HYPER, ChunkType.LATENT] and types[2:] == [ChunkType.RESIDUAL] * n
    img, rep = decode_stream(stream)
    assert rep.layers == rep.layers_in_stream == rep.layers_total == n >= 10


def test_every_prefix_of_a_small_stream(model_name):
    data = encode_item(Picture(natural_image(24, 16, seed=5), None, "RGB", 8), model_name)[0]
    base_end = len(trim(data, layers=0)[0])
    used = []
    for n in range(len(data) + 1):
        try:
            img, rep = decode_stream(data[:n])
        except StrataError as e:
            assert n < base_end, f"prefix of {n} bytes (base ends at {base_end}) failed: {e}"
            assert "\n" not in str(e)
            continue
        assert n >= base_end and img.size == (24, 16)
        used.append(rep.layers)
    assert used == sorted(used) and used[0] == 0 and used[-1] == rep.layers_total


@pytest.mark.parametrize("k", [0, 1, 4, 9])
def test_layers_flag_equals_trim_equals_truncation(stream, k):
    trimmed, kept, total = trim(stream, layers=k)
    assert kept == k and stream.startswith(trimmed)  # a trimmed stream is a prefix of the file
    a, rep = decode_stream(stream, DecodeOptions(layers=k))
    b, _ = decode_stream(trimmed)
    c, _ = decode_stream(stream[:len(trimmed) + 5])  # torn next chunk ignored
    assert rep.layers == k
    assert a.tobytes() == b.tobytes() == c.tobytes()


def test_quality_rises_with_layers(stream, natural):
    n = parse(stream).payloads(ChunkType.RESIDUAL).__len__()
    psnrs = [_psnr(decode_stream(stream, DecodeOptions(layers=k))[0], natural) for k in range(n + 1)]
    assert psnrs[-1] > psnrs[0] + 3
    assert all(b > a - 0.3 for a, b in zip(psnrs, psnrs[1:])), psnrs  # no real drop along the way


def test_trim_by_bytes_and_bpp(stream):
    sizes = [len(trim(stream, layers=k)[0]) for k in range(trim(stream, layers=0)[2] + 1)]
    budget = (sizes[3] + sizes[4]) // 2
    out, k, _ = trim(stream, max_bytes=budget)
    assert k == 3 and len(out) == sizes[3]
    out2, k2, _ = trim(stream, bpp=budget * 8 / (160 * 96))
    assert out2 == out
    with pytest.raises(StrataError, match="base layer alone"):
        trim(stream, max_bytes=sizes[0] - 1)


def test_encode_targets(model_name, natural):
    pic = Picture(natural, None, "RGB", 8)
    full, rep = encode_item(pic, model_name)
    data, r = encode_item(pic, model_name, EncodeOptions(bpp=0.5 * len(full) * 8 / (160 * 96)))
    assert len(data) * 8 / (160 * 96) <= 0.5 * len(full) * 8 / (160 * 96) and 0 < r.layers < rep.layers
    assert data == trim(full, layers=r.layers)[0]  # same bytes as trimming the full file
    base_psnr = _psnr(decode_stream(full, DecodeOptions(layers=0))[0], natural)
    goal = base_psnr + 2
    data, r = encode_item(pic, model_name, EncodeOptions(psnr=goal))
    assert _psnr(decode_stream(data)[0], natural) >= goal
    if r.layers > 0:  # the fewest layers: one fewer misses the goal
        assert _psnr(decode_stream(data, DecodeOptions(layers=r.layers - 1))[0], natural) < goal
    with pytest.raises(StrataError):
        encode_item(pic, model_name, EncodeOptions(layers=10**6))


def test_cli_progressive(run_cli, rgb_png, tmp_path):
    s, t, o = tmp_path / "a.strata", tmp_path / "t.strata", tmp_path / "o.png"
    assert run_cli("encode", rgb_png, "-o", s)[0] == 0
    code, _, err = run_cli("decode", s, "-o", o, "--layers", "2")
    assert code == 0 and "used 2 of" in err
    code, _, err = run_cli("trim", s, "--layers", "2", "-o", t)
    assert code == 0 and "2 of" in err and s.read_bytes().startswith(t.read_bytes())
    code, out, _ = run_cli("info", t)
    assert code == 0 and "layer 2" in out and "layer 3" not in out
    code, _, err = run_cli("encode", rgb_png, "-o", tmp_path / "b.strata", "--bpp", "0.6")
    assert code == 0 and "layers" in err
    code, _, err = run_cli("trim", s, "--bytes", "10", "-o", tmp_path / "x.strata")
    assert code == 1 and err.count("\n") == 1 and not (tmp_path / "x.strata").exists()


def test_single_rate_models_refuse_layer_options(run_cli, rgb_png, tmp_path):
    single = [m.name for m in list_models(kind=Kind.IMAGE) if LAYERS not in m.codec.capabilities]
    if not single:
        pytest.skip("no single-rate model installed")
    s = tmp_path / "s.strata"
    assert run_cli("encode", rgb_png, "-o", s, "--model", single[0])[0] == 0
    for args in (("encode", rgb_png, "-o", tmp_path / "x", "--model", single[0], "--bpp", "1"),
                 ("decode", s, "-o", tmp_path / "x.png", "--layers", "1"),
                 ("trim", s, "--layers", "1", "-o", tmp_path / "y")):
        code, _, err = run_cli(*args)
        assert code == 1 and "single-rate" in err and err.count("\n") == 1


def test_layer_sizes_report_the_strings_compress_writes(model_name, natural):
    """The loss analysis (tools/progressive_losses.py) reads per-layer sizes: they must be the
    bytes of the real layer strings, and the Gaussians' estimate must be near them."""
    import torch
    from codec.image.coding import padded
    from codec.registry import load_model
    model, _ = load_model(model_name)
    x = padded(natural)
    with torch.no_grad():
        _, _, _, layers = model.compress(x)
        *_, y_b, scales = model.base.compress_latent(model.base.analyse(x))
        sizes = model.residual.layer_sizes(model.g_a_top(x.contiguous(memory_format=torch.channels_last)) - y_b,
                                           y_b, scales)
    assert [s["bytes"] for s in sizes] == [len(s) for s in layers]
    big = [s for s in sizes if s["bytes"] > 200]
    assert big and all(0.8 < 8 * s["bytes"] / s["estimated_bits"] < 1.25 for s in big)
