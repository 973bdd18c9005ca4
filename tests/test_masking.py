"""Variance-aware masking: the sending order is identical at encoder and decoder by construction.

These tests use a small randomly initialised progressive model: the properties hold for any
weights, so they need no training and run in seconds.
"""
import pytest
import torch

from codec.image.models.exact import A_BITS
from codec.image.models.masking import FRACTION_UNIT, layer_counts, rank_order, ranks, std_key
from codec.image.models.progressive import ProgressiveVAM

from .conftest import natural_image


@pytest.fixture(scope="module")
def small_model():
    torch.manual_seed(0)
    m = ProgressiveVAM(N=32, M=48, P=32, bounds=(500, 1000, 2500, 5000, 10000), rem_at=1000).eval()
    m.update()
    return m


@pytest.fixture(scope="module")
def image():
    x = torch.from_numpy(natural_image(128, 64)).permute(2, 0, 1)[None].float() / 255
    return x


def _walk(model, x):
    """(y_b_hat, scales_b, scales_r) as the coder computes them."""
    _, _, _, y_b_hat, scales_b = model.base.compress_latent(model.base.analyse(x))
    scales_r, _ = model.residual._coding["prior"](torch.cat([y_b_hat, scales_b], 1)).chunk(2, 1)
    return y_b_hat, scales_b, scales_r


def test_rank_order_ties_and_permutation():
    s = torch.tensor([[[[1.0, 2.0], [2.0, 0.5]]]])
    assert rank_order(s).tolist() == [1, 2, 0, 3]  # largest first, ties in raster order
    s = torch.rand(3, 7, 5)
    order = rank_order(s)
    assert sorted(order.tolist()) == list(range(s.numel()))
    keys = std_key(s).flatten()[order]
    assert torch.all(keys[:-1] >= keys[1:])


def test_layer_counts_partition():
    for n in (0, 1, 7, 48 * 4 * 8, 10**6 + 3):
        counts = layer_counts(n, [50, 100, 2000, 10000])
        assert counts[-1] == n and counts == sorted(counts)
    assert layer_counts(10, [FRACTION_UNIT]) == [10]


def test_ranks_training_form_matches_order():
    s = torch.rand(2, 4, 3, 3)
    fr = ranks(s)
    for b in range(2):
        order = torch.argsort(s[b].flatten(), descending=True, stable=True)
        assert torch.equal(fr[b].flatten()[order], torch.arange(36) / 36)


def test_order_survives_std_perturbation_below_key_step(small_model, image):
    _, _, scales_r = _walk(small_model, image)
    base = rank_order(scales_r)
    gen = torch.Generator().manual_seed(1)
    step = 2.0 ** -A_BITS
    for _ in range(5):
        noise = (torch.rand(scales_r.shape, generator=gen) - 0.5) * 0.9 * step  # |noise| < step/2
        assert torch.equal(rank_order(scales_r + noise), base)


def test_exact_prior_ignores_input_drift(small_model, image):
    """Drift upstream of the exact path (below its input grid) cannot change the stds."""
    y_b_hat, scales_b, scales_r = _walk(small_model, image)
    inp = torch.cat([y_b_hat, scales_b], 1)
    drift = (torch.rand(inp.shape, generator=torch.Generator().manual_seed(2)) - 0.5) * 2.0 ** -(A_BITS + 2)
    s2, _ = small_model.residual._coding["prior"](inp + drift).chunk(2, 1)
    assert torch.equal(s2, scales_r)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_masks_identical_across_thread_counts(small_model, image, threads):
    ref = rank_order(_walk(small_model, image)[2])
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        assert torch.equal(rank_order(_walk(small_model, image)[2]), ref)
    finally:
        torch.set_num_threads(old)


def test_every_layer_prefix_decodes(small_model, image):
    z, y, shape, layers = small_model.compress(image)
    assert len(layers) == small_model.n_layers
    def decompress(k):
        return small_model.synthesise(small_model.decompress_latent(z, y, shape, layers[:k]), k)

    outs = [decompress(k) for k in range(len(layers) + 1)]
    assert all(o.shape == image.shape and torch.isfinite(o).all() for o in outs)
    # Same strings, same pixels: decoding is a function of the prefix only.
    assert torch.equal(decompress(2), outs[2])


def test_decoder_rebuilds_encoder_residual(small_model, image):
    """Full decode reproduces exactly the residual the encoder quantized (same params per layer)."""
    z, y, shape, layers = small_model.compress(image)
    y_b_hat, scales_b = small_model.base.decompress_latent(z, y, shape)
    y_t = small_model.g_a_top(image)
    r = (y_t - y_b_hat).flatten()
    seen = {}

    def enc(k, idx, indexes, means):
        seen[k] = (idx.clone(), indexes.clone(), means.clone())
        return torch.round(r[idx] - means)

    r_enc = small_model.residual._walk(y_b_hat, scales_b, small_model.n_layers, enc)

    def dec(k, idx, indexes, means):
        i0, x0, m0 = seen[k]
        assert torch.equal(idx, i0) and torch.equal(indexes, x0) and torch.equal(means, m0)
        return small_model.residual._coding["elements"].decode(layers[k], indexes)

    r_dec = small_model.residual._walk(y_b_hat, scales_b, small_model.n_layers, dec)
    assert torch.equal(r_enc, r_dec)


def test_parameter_count():
    m = ProgressiveVAM()
    n = sum(p.numel() for p in m.parameters())
    print(f"ProgressiveVAM(N=128, M=192, P=128): {n / 1e6:.2f} M parameters")
    assert 5e6 < n < 20e6  # the target: a few million to ~20 M
