"""Hardware arithmetic: ap_fixed semantics, the reciprocal's error bound, the L1 GDN."""
import numpy as np
import pytest
import torch

from hw.fixedpoint import FixedType
from hw.gdn import L1GDN
from hw.reciprocal import Reciprocal


def test_fixed_type_rounds_and_saturates_like_ap_fixed():
    t = FixedType(8, 4)  # ap_fixed<8, 4, AP_RND, AP_SAT>: steps of 1/16, range [-8, 8)
    assert t.cpp() == "ap_fixed<8, 4, AP_RND, AP_SAT>"
    assert t.from_real([0.03125, -0.03125, 0.0937, 7.99, 100, -100]).tolist() == [1, 0, 1, 127, 127, -128]
    w = FixedType(8, 4, rounding="AP_TRN", overflow="AP_WRAP")
    assert w.from_real([0.06, -0.01, 8.0]).tolist() == [0, -1, -128]  # floor; 8.0 wraps to -8
    # requantizing an accumulator with 10 fractional bits: round half up, then saturate
    assert t.from_raw([32, 31, -32, -33, 1 << 20], 10).tolist() == [1, 0, 0, -1, 127]


@pytest.mark.parametrize("index_bits,newton", [(8, 0), (10, 0), (6, 1), (8, 1)])
def test_reciprocal_meets_its_stated_error_bound_on_every_input(index_bits, newton):
    rec = Reciprocal(index_bits, 16, newton)
    d = np.arange(1, 1 << 18, dtype=np.int64)  # every positive value of an 18-bit type, 10 fraction bits
    out_frac = 20
    r = rec(d, 10, out_frac) * 2.0 ** -out_frac
    exact = 2.0 ** 10 / d
    assert np.all(np.abs(r - exact) <= exact * rec.relative_error_bound() + 2.0 ** -(out_frac + 1))
    with pytest.raises(ValueError):
        rec(np.array([0]), 10, 10)


def test_l1_gdn_and_its_inverse():
    torch.manual_seed(0)
    g, ig = L1GDN(8), L1GDN(8, inverse=True)
    ig.load_state_dict(g.state_dict())
    x = torch.randn(2, 8, 5, 5)
    y = g(x)
    norm = g.beta.reshape(1, -1, 1, 1) + torch.einsum("ij,bjhw->bihw", g.gamma, x.abs())
    assert torch.allclose(y, x / norm, atol=1e-6)
    assert torch.allclose(ig(x), x * norm, atol=1e-6)
    assert (g.beta >= g.beta_min).all() and (g.gamma >= 0).all()


def test_integer_convolutions_match_torch_exactly_on_integers():
    """The int64 layer arithmetic equals torch's float64 convolutions on integer-valued tensors
    (exact below 2^53), for strides, paddings and output paddings the transforms use."""
    from hw.reference import conv2d_acc, conv_transpose2d_acc
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (6, 11, 9))
    for k, s, p in ((5, 2, 2), (3, 1, 1), (1, 1, 0)):
        w = rng.integers(-128, 128, (4, 6, k, k))
        ref = torch.nn.functional.conv2d(torch.tensor(x[None], dtype=torch.float64), torch.tensor(w, dtype=torch.float64),
                                         stride=s, padding=p)[0].numpy()
        assert np.array_equal(conv2d_acc(x, w, s, p), ref.astype(np.int64))
    for k, s, p, op in ((5, 2, 2, 1), (3, 1, 1, 0)):
        w = rng.integers(-128, 128, (6, 4, k, k))
        ref = torch.nn.functional.conv_transpose2d(torch.tensor(x[None], dtype=torch.float64), torch.tensor(w, dtype=torch.float64),
                                                   stride=s, padding=p, output_padding=op)[0].numpy()
        assert np.array_equal(conv_transpose2d_acc(x, w, s, p, op), ref.astype(np.int64))


def test_integer_l1_gdn_follows_the_float_layer_within_its_quantization():
    from hw.reference import l1_gdn, l1_igdn
    torch.manual_seed(1)
    g = L1GDN(4)
    with torch.no_grad():
        g._gamma.add_(0.3 * torch.rand(4, 4))
    x = torch.randn(1, 4, 6, 6)
    xt, ot, pf = FixedType(16, 6), FixedType(16, 6), 12
    xr = xt.from_real(x[0].numpy())
    beta, gamma = np.round(g.beta.detach().numpy() * 2 ** pf).astype(np.int64), np.round(g.gamma.detach().numpy() * 2 ** pf).astype(np.int64)
    xq = torch.tensor(xt.to_real(xr))[None].float()
    y = ot.to_real(l1_gdn(xr, xt, beta, gamma, pf, ot, Reciprocal(8, 16, 1)))
    assert np.abs(y - g(xq)[0].detach().numpy()).max() < 4 * 2.0 ** -ot.frac_bits
    ig = L1GDN(4, inverse=True)
    ig.load_state_dict(g.state_dict())
    yi = ot.to_real(l1_igdn(xr, xt, beta, gamma, pf, ot))
    assert np.abs(yi - ig(xq)[0].detach().numpy()).max() < 0.01


def test_hls_layers_compiled_with_gxx_equal_the_integer_reference_bit_for_bit():
    """The C++ layers on ap_fixed (g++, the vendor's headers from hls4ml) give exactly the
    integers of hw/reference.py: convolution, transposed convolution, inverse L1 GDN."""
    import shutil
    from hw.kernel_check import ap_types_dir, compile_and_run, cpp_array, cpp_raw_array
    from hw.reference import add_bias, conv2d_acc, conv_transpose2d_acc, l1_igdn
    if ap_types_dir() is None or shutil.which("g++") is None:
        pytest.skip("needs g++ and hls4ml's ap_types headers")
    rng = np.random.default_rng(4)
    ti, tw, tb, to = FixedType(8, 3), FixedType(8, 1), FixedType(16, 6), FixedType(10, 4)
    acc_frac = ti.frac_bits + tw.frac_bits
    x = rng.integers(-128, 128, (3, 7, 6))
    w1, b1 = rng.integers(-128, 128, (4, 3, 5, 5)), rng.integers(-3000, 3000, 4)
    w2, b2 = rng.integers(-128, 128, (3, 2, 5, 5)), rng.integers(-3000, 3000, 2)
    beta, gamma = rng.integers(1, 4096, 4), rng.integers(0, 4096, (4, 4))
    tp, pf = FixedType(13, 1, signed=False), 12
    # the reference
    y1 = to.from_raw(add_bias(conv2d_acc(x, w1, 2, 2), b1, tb.frac_bits, acc_frac), acc_frac)  # (4, 4, 3)
    y2 = l1_igdn(y1, to, beta, gamma, pf, to)
    y3 = to.from_raw(add_bias(conv_transpose2d_acc(x, w2, 2, 2, 1), b2, tb.frac_bits, acc_frac), acc_frac)  # (2, 14, 12)
    TI, TW, TB, TO, TP = ti.cpp(), tw.cpp(), tb.cpp(), to.cpp(), tp.cpp()
    TA = "ap_fixed<40, %d>" % (40 - acc_frac)
    TN = "ap_fixed<40, %d>" % (40 - to.frac_bits - pf)
    src = ('#include <cstdio>\n#include "strata_layers.h"\n'
           + cpp_array("x", TI, x, ti) + cpp_raw_array("w1", w1) + cpp_raw_array("b1", b1)
           + cpp_raw_array("w2", w2) + cpp_raw_array("b2", b2)
           + cpp_raw_array("p_beta", beta << to.frac_bits) + cpp_raw_array("p_gamma", gamma) + f"""
template <class T, int F> long long raw(T v) {{ return (long long)(v.to_double() * (double)(1LL << F)); }}
int main() {{
    static {TO} y1[4][4][3], y2[4][4][3], y3[2][14][12];
    strata::conv2d<3, 4, 5, 2, 2, 7, 6, 4, 3, {TI}, {TW}, {TB}, {TA}, {TO}>(x, w1, b1, y1);
    strata::l1_igdn<4, 4, 3, {TO}, {TP}, {TN}, {TO}>(y1, p_beta, p_gamma, y2);
    strata::conv_transpose2d<3, 2, 5, 2, 2, 7, 6, 14, 12, {TI}, {TW}, {TB}, {TA}, {TO}>(x, w2, b2, y3);
    for (auto& a : y1) for (auto& b : a) for (auto& v : b) printf("%lld ", raw<{TO}, {to.frac_bits}>(v));
    for (auto& a : y2) for (auto& b : a) for (auto& v : b) printf("%lld ", raw<{TO}, {to.frac_bits}>(v));
    for (auto& a : y3) for (auto& b : a) for (auto& v : b) printf("%lld ", raw<{TO}, {to.frac_bits}>(v));
    return 0;
}}
""")
    got = np.array(compile_and_run(src))
    want = np.concatenate([y1.ravel(), y2.ravel(), y3.ravel()])
    assert got.shape == want.shape
    assert np.array_equal(got, want)
    assert ((y1 == to.raw_max) | (y1 == to.raw_min)).any()  # the test reaches saturation


def test_student_has_the_teachers_shape_with_l1_gdn_and_distils():
    from hw.gdn import L1GDN
    from hw.student import HardwareStudent, distillation_loss
    from codec.image.models.hyperprior import MeanScaleHyperprior
    torch.manual_seed(0)
    teacher, student = MeanScaleHyperprior(32, 48).eval(), HardwareStudent(16, 48, hyper_N=32)
    assert sum(isinstance(m, L1GDN) for m in student.modules()) == 6
    assert not any(type(m).__name__ == "GDN" for m in student.modules())
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        t = teacher(x)
    s = student(x)
    assert s["y"].shape == t["y"].shape and s["x_hat"].shape == x.shape
    loss, terms = distillation_loss(s, t, x, 0.01)
    loss.backward()
    assert all(np.isfinite(v) for v in terms.values())
    assert all(p.grad is not None for n, p in student.g_s.named_parameters())


def test_channel_pruned_start_is_closer_to_the_teacher_than_random_weights():
    from codec.image.models.hyperprior import MeanScaleHyperprior
    from hw.student import HardwareStudent, init_from_teacher
    torch.manual_seed(0)
    teacher = MeanScaleHyperprior(32, 48).eval()
    x = torch.rand(2, 3, 64, 64)
    for gdn in ("l1", "gdn"):
        pruned, rand = HardwareStudent(16, 48, hyper_N=32, gdn=gdn), HardwareStudent(16, 48, hyper_N=32, gdn=gdn)
        init_from_teacher(pruned, teacher, x)
        with torch.no_grad():
            y_t = teacher.g_a(x)
            err = [float(((s.g_a(x) - y_t) ** 2).mean()) for s in (pruned, rand)]
        assert err[0] < err[1]
        assert all(float(p.min()) >= 0 for m in pruned.modules() if hasattr(m, "_gamma") for p in (m.gamma, m.beta))
