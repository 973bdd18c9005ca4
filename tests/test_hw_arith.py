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
