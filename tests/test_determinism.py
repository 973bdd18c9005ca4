"""The entropy-parameter path is integer-exact; tiling is seamless."""
import torch

from codec.image.models import tiling
from codec.image.models.exact import ExactSequential
from codec.image.models.hyperprior import MeanScaleHyperprior


def test_exact_hyper_path_is_thread_independent_and_close_to_float():
    torch.manual_seed(0)
    m = MeanScaleHyperprior(32, 48).eval()
    exact = ExactSequential(m.h_s)
    z = torch.round(torch.randn(1, 32, 5, 7) * 3)
    outs = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        outs.append(exact(z))
    assert torch.equal(outs[0], outs[1])
    with torch.no_grad():
        ref = m.h_s(z)
    assert torch.allclose(outs[0], ref, atol=0.02)


def test_exact_path_ignores_sub_quantum_perturbations():
    torch.manual_seed(1)
    m = MeanScaleHyperprior(32, 48).eval()
    exact = ExactSequential(m.h_s)
    z = torch.round(torch.randn(1, 32, 4, 4) * 3)
    assert torch.equal(exact(z), exact(z + 1e-6))


def test_tiled_synthesis_has_no_seams(monkeypatch):
    torch.manual_seed(0)
    m = MeanScaleHyperprior(16, 24).eval()
    y = torch.randn(1, 24, 12, 10)
    with torch.no_grad():
        full = m.g_s(y)
        monkeypatch.setattr(tiling, "TILE_IN", 64)  # 4x4 latent tiles with a 4-pixel margin
        tiled = tiling.tiled_apply(m.g_s, y, scale=16)
        x = torch.rand(1, 3, 160, 144)
        ya = tiling.tiled_apply(m.g_a, x, scale=1 / 16)
        monkeypatch.setattr(tiling, "TILE_IN", 1024)
        ya_full = m.g_a(x)
    assert tiled.shape == full.shape and (tiled - full).abs().max() < 1e-4
    assert ya.shape == ya_full.shape and (ya - ya_full).abs().max() < 1e-4


def test_subpixel_form_equals_transposed_conv_and_is_thread_independent():
    from codec.image.models.subpixel import SubpixelConv
    torch.manual_seed(0)
    d = torch.nn.ConvTranspose2d(16, 3, 5, 2, 2, 1)
    s = SubpixelConv(d)
    x = torch.randn(1, 16, 9, 13).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        ref = d(x)
        outs = []
        for threads in (1, 2, 3, 5):
            torch.set_num_threads(threads)
            outs.append(s(x))
    assert outs[0].shape == ref.shape and (outs[0] - ref).abs().max() < 1e-5
    assert all(torch.equal(outs[0], o) for o in outs)


def test_scale_indexes_match_compressai():
    m = MeanScaleHyperprior(16, 24)
    m.update()
    table = m.gaussian_conditional.scale_table
    # Random stds plus every table entry exactly and its float neighbours (the tie cases).
    scales = torch.cat([torch.rand(5000) * 300, table, torch.nextafter(table, table + 1),
                        torch.nextafter(table, table - 1), torch.tensor([0.0, -1.0, 1e9])])
    scales = scales.view(1, 1, 1, -1)
    assert torch.equal(m.scale_indexes(scales), m.gaussian_conditional.build_indexes(scales))


def test_bfloat16_synthesis_is_close_and_thread_independent():
    """The bfloat16 inference form of g_s (a model's `synthesis` argument) stays close to the
    float32 one, gives the same bits with any thread count, and the float32 form still shares
    the trained GDN layers (so float32 models decode as before)."""
    from codec.image.models.subpixel import for_inference
    torch.manual_seed(0)
    m = MeanScaleHyperprior(32, 48).eval()
    y = torch.randn(1, 48, 6, 7).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        ref = m.g_s(y)
        f32 = for_inference(m.g_s)
        assert f32[1] is m.g_s[1]
        assert (f32(y) - ref).abs().max() < 1e-4
        bf16 = for_inference(m.g_s, torch.bfloat16)
        outs = []
        for threads in (1, 2, 3, 4):
            torch.set_num_threads(threads)
            outs.append(bf16(y))
    assert outs[0].dtype == torch.float32 and outs[0].shape == ref.shape
    assert all(torch.equal(outs[0], o) for o in outs)
    assert (outs[0] - ref).abs().max() < 0.05 * ref.abs().max()
    assert not any(p.dtype == torch.bfloat16 for p in m.parameters())  # the model is untouched
