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
