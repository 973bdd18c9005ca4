import json
from pathlib import Path

import pytest

from codec.rd.bd import bd_psnr, bd_rate

RATE = [0.1, 0.25, 0.5, 0.9]
PSNR = [27.0, 30.5, 33.8, 36.9]


def test_curve_against_itself_is_zero():
    assert abs(bd_rate(RATE, PSNR, RATE, PSNR)) < 1e-9
    assert abs(bd_psnr(RATE, PSNR, RATE, PSNR)) < 1e-9


def test_halved_rates_give_minus_fifty_percent():
    assert bd_rate(RATE, PSNR, [r / 2 for r in RATE], PSNR) == pytest.approx(-50.0, abs=1e-6)
    assert bd_rate(RATE, PSNR, [r * 2 for r in RATE], PSNR) == pytest.approx(100.0, abs=1e-6)


def test_constant_psnr_gain():
    assert bd_psnr(RATE, PSNR, RATE, [p + 1.5 for p in PSNR]) == pytest.approx(1.5, abs=1e-9)


def test_no_overlap_is_none():
    assert bd_rate(RATE, PSNR, RATE, [p + 20 for p in PSNR]) is None


def test_known_values_on_published_anchors():
    """The published progressive codecs sit at +10% (CTC), +17% (VAM), +31% (DPICT) vs VTM."""
    anchors = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "kodak"
    if not anchors.is_dir():
        pytest.skip("../shared/anchors not present")
    load = lambda f: json.loads((anchors / f).read_text())["results"]
    vtm = load("vtm.json")
    for name, known in [("progressive-ctc-cvpr2023.json", 10), ("progressive-vam-wacv2025.json", 17),
                        ("progressive-dpict-cvpr2022.json", 31)]:
        r = load(name)
        assert bd_rate(vtm["bpp"], vtm["psnr-rgb"], r["bpp"], r["psnr-rgb"]) == pytest.approx(known, abs=1)
