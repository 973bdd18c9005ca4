"""Domain adapters (codec/image/models/adapters.py, adapted.py, adapted_codecs.py) and the
screen-content generator: zero adapters are the plain decoder bit for bit, the gate needs nothing a
prefix lacks, decoding is thread-independent, options are refused where they do not apply."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from codec import api
from codec.container import parse
from codec.contract import DecodeOptions
from codec.errors import OptionError
from codec.image.adapted_codecs import AdaptedProgressiveCodec, AdaptedSingleRateCodec
from codec.image.models.adapted import AdaptedModel
from codec.registry import ModelInfo, load_codec, model_info

from .conftest import with_thread_counts

DOMAINS = ["natural", "comics", "screen"]


def _image(h=96, w=160, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:h, :w]
    img = np.stack([(x * 1.5) % 256, (y * 2.5) % 256, ((x + y) * 0.8) % 256], -1)
    img[20:40, 30:120] = (250, 250, 250)  # a flat patch with sharp edges
    return np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)


def _adapted(inner_name: str, cls, perturb: float = 0.0):
    """An adapted codec around a shipped model, as a registry entry would build it."""
    plain = load_codec(inner_name)
    info = model_info(inner_name)
    ainfo = ModelInfo(name=inner_name, architecture=cls.architecture,
                      args={"inner": inner_name, "domains": DOMAINS}, file="-", sha256=info.sha256,
                      extra=dict(info.extra))
    model = AdaptedModel(copy.deepcopy(plain.model), DOMAINS)
    if perturb:
        g = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for p in model.adapters.parameters():
                p.add_(torch.randn(p.shape, generator=g) * perturb)
    model.eval()
    return cls(ainfo, model)


CASES = [("hyperprior-mid-3", AdaptedSingleRateCodec), ("progressive-vam-2", AdaptedProgressiveCodec)]


@pytest.mark.parametrize("inner,cls", CASES)
def test_zero_adapters_are_the_plain_decoder_bit_for_bit(inner, cls):
    data = api.encode(_image(), inner)
    plain = np.asarray(api.decode(data)[0])
    codec = _adapted(inner, cls)
    out, report = codec.decode(parse(data), DecodeOptions())
    assert np.array_equal(np.asarray(out), plain)
    assert set(report.extra["gate"]) == set(DOMAINS)
    assert abs(sum(report.extra["gate"].values()) - 1) < 1e-9


@pytest.mark.parametrize("inner,cls", CASES)
def test_trained_adapters_change_pixels_same_for_1_and_2_threads(inner, cls):
    data = parse(api.encode(_image(seed=1), inner))
    codec = _adapted(inner, cls, perturb=0.02)
    plain = np.asarray(api.decode(api.encode(_image(seed=1), inner))[0])
    outs = with_thread_counts(lambda: np.asarray(codec.decode(data, DecodeOptions())[0]))
    assert np.array_equal(outs[0], outs[1])
    assert not np.array_equal(outs[0], plain)
    # the plain decoder on the same stream: the plain model's pixels exactly
    assert np.array_equal(np.asarray(codec.decode(data, DecodeOptions(adapters=False))[0]), plain)
    # one domain forced, and top-1: the gate's first choice alone
    forced = np.asarray(codec.decode(data, DecodeOptions(domain="comics"))[0])
    assert not np.array_equal(forced, outs[0])
    top = codec.decode(data, DecodeOptions(gate="top1"))[1].extra["gate"]
    assert sorted(top.values()) == [0.0, 0.0, 1.0]


def test_base_only_prefix_decodes_with_the_gate():
    """The gate reads only the base layer: every prefix, the base alone included, gets the same
    weights, and the base-only file decodes with its adapters."""
    codec = _adapted("progressive-vam-2", AdaptedProgressiveCodec, perturb=0.02)
    full = api.encode(_image(seed=2), "progressive-vam-2")
    from codec.trim import trim
    gates = []
    for k in (0, 1, 16):
        out, rep = codec.decode(parse(trim(full, layers=k)[0]), DecodeOptions())
        gates.append(rep.extra["gate"])
        assert rep.layers == k and out.size == (160, 96)
    assert gates[0] == gates[1] == gates[2]
    assert codec.details(parse(full))["gate"] == {d: round(v, 4) for d, v in gates[0].items()}


def test_adapter_options_refused_where_they_do_not_apply():
    info = model_info("hyperprior-mid-3")
    for opts, name in ((DecodeOptions(domain="comics"), "domain"), (DecodeOptions(adapters=False), "no-adapters"),
                       (DecodeOptions(gate="top1"), "gate")):
        with pytest.raises(OptionError) as e:
            info.codec.check_decode_options(info, opts)
        assert e.value.option == name
    codec = _adapted("hyperprior-mid-3", AdaptedSingleRateCodec)
    with pytest.raises(OptionError, match="domain must be one of natural, comics, screen"):
        codec.check_decode_options(codec.info, DecodeOptions(domain="cartoons"))
    with pytest.raises(OptionError):
        DecodeOptions(gate="hard").check()


def test_cli_refuses_adapter_flags_on_a_plain_stream(tmp_path):
    import subprocess
    import sys
    s = tmp_path / "a.strata"
    s.write_bytes(api.encode(_image(), "hyperprior-mid-3"))
    r = subprocess.run([sys.executable, "-m", "codec.cli", "decode", str(s), "-o", str(tmp_path / "a.png"),
                        "--domain", "comics"], capture_output=True, text=True)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "--domain" in r.stderr and not (tmp_path / "a.png").exists()


def test_training_forward_blends_per_image_like_the_decoder():
    """The training form of a bank (per-image weights) equals the coding form for one image."""
    from codec.image.models.adapters import AdaptedSynthesis
    model = _adapted("hyperprior-mid-3", AdaptedSingleRateCodec, perturb=0.02).model
    y = torch.randn(1, 192, 4, 6) * 3
    w = torch.tensor([0.2, 0.5, 0.3])
    bank = model.adapters.bank("g_s")
    with torch.no_grad():
        train_form = bank(model.inner.g_s, y, w[None])
        coding_form = AdaptedSynthesis(model.inner.g_s, bank, w, torch.float32)(y)
    assert torch.allclose(train_form, coding_form, atol=1e-4)


# ---------------------------------------------------------------- screen content

def test_screen_generator_is_deterministic_and_splits_are_disjoint():
    from codec.image.training.screens import corpus, screen
    a = np.asarray(screen("train", 3, size=(320, 240)))
    b = np.asarray(screen("train", 3, size=(320, 240)))
    c = np.asarray(screen("train", 4, size=(320, 240)))
    t = np.asarray(screen("test", 3, size=(320, 240)))
    assert np.array_equal(a, b) and not np.array_equal(a, c) and not np.array_equal(a, t)
    assert a.shape == (240, 320, 3)
    prose_tr, code_tr = corpus("train")
    prose_te, code_te = corpus("test")
    assert len(prose_tr) > 100 and len(code_te) > 100
    assert len(set(prose_tr) & set(prose_te)) < 0.01 * len(prose_te)  # only boilerplate repeats


def test_screens_look_like_screens():
    """Flat colours and sharp edges, not noise: most pixels repeat one of a few colours, and
    neighbouring pixels are mostly identical."""
    from codec.image.training.screens import screen
    im = np.asarray(screen("test", 0, size=(640, 400)))
    flat = np.mean(np.all(im[:, 1:] == im[:, :-1], axis=2))
    colours, counts = np.unique(im.reshape(-1, 3), axis=0, return_counts=True)
    top = np.sort(counts)[::-1][:16].sum() / counts.sum()
    assert flat > 0.5 and top > 0.4, (flat, top)


def test_adapter_training_runs_and_resumes(tmp_path):
    from PIL import Image

    from codec.image.training.adapter_loop import AdapterConfig, train
    from codec.image.training.screens import screen
    folders = {}
    for d in ("natural", "comics", "screen"):
        f = tmp_path / d
        f.mkdir()
        for i in range(3):
            Image.fromarray(_image(64, 64, seed=i) if d == "natural" else np.asarray(screen("train", i, size=(320, 240)))
                            ).save(f / f"{i}.png")
        folders[d] = sorted(f.glob("*.png"))
    cfg = AdapterConfig(data=[str(tmp_path / "natural")], out=str(tmp_path / "run"), steps=2, batch=1, crop=64,
                        val_every=2, ckpt_every=1, warmup=1, precision="fp32")
    split = lambda d: (folders[d][:2], folders[d][2:])
    train(cfg, *split("natural"), {"comics": split("comics"), "screen": split("screen")})
    ck = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    assert ck["step"] == 2 and any(float(v.abs().sum()) > 0 for k, v in ck["adapters"].items() if "up" in k)
    cfg.steps = 3
    train(cfg, *split("natural"), {"comics": split("comics"), "screen": split("screen")})
    assert torch.load(tmp_path / "run" / "last.pt", weights_only=False)["step"] == 3
