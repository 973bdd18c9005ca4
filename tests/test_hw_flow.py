"""The FPGA verification loop without a vendor tool: Brevitas fake quantization, the exported
integer network, the NumPy reference, its torch fast path, the g++-compiled HLS kernel, QONNX's
executor and the CLI all agree (exactly, or within the stated LSB for the float ones)."""
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from .conftest import DATA, natural_image, with_thread_counts

STUDENT = "student-n64-mid"
KODAK = DATA / "kodak" / "kodim23.png"


def _crop(h: int, w: int) -> np.ndarray:
    if not KODAK.exists():
        pytest.skip("needs ../shared/data/kodak")
    with Image.open(KODAK) as im:
        return np.asarray(im.convert("RGB"))[200:200 + h, 300:300 + w].copy()


@pytest.fixture(scope="module")
def tiny():
    """A small Brevitas student, calibrated on a natural-looking image."""
    pytest.importorskip("brevitas")
    from hw.quant import QuantStudent, calibrate
    torch.manual_seed(0)
    q = QuantStudent(16, M=32, hyper_N=16, bits={"a.1": 8, "s.3": 8})
    x = torch.from_numpy(natural_image(64, 64)).permute(2, 0, 1)[None].float() / 255
    calibrate(q, torch.cat([x, x.flip(-1)]))
    return q.eval(), x


def _close(a, b, lsb):
    """Fake quantization computes its convolutions in float32 and divides exactly where the
    integer encoder uses the fixed-point reciprocal: a value near a rounding boundary can round
    the other way and move the layers after it by an LSB or two. None may differ by more than
    a few LSB, and on average less than half of one."""
    d = np.abs(a - b) / lsb
    return d.max() <= 8 and d.mean() <= 0.5


def test_fake_quantization_and_the_integer_reference_agree(tiny):
    from hw.integer_model import export_transform, run
    q, x = tiny
    ga, gs = export_transform("g_a", q.g_a), export_transform("g_s", q.g_s)
    assert [l.out.width for l in ga.layers][1] == 8 and all(t.rounding == "AP_RND_CONV" for t in ga.types()[1:])
    with torch.no_grad():
        y_fq = q.g_a(x * 255 / 256)[0].numpy()
    y = ga.layers[-1].out.to_real(run(ga, np.round(x[0].numpy() * 255).astype(np.int64)))
    assert _close(y, y_fq, 2.0 ** -ga.layers[-1].out.frac_bits)
    y_hat = np.round(y * 4) / 4  # 8 fraction bits, as the decoder's latent
    with torch.no_grad():
        x_fq = q.g_s(torch.from_numpy(y_hat).float()[None])[0].numpy()
    x_int = gs.layers[-1].out.to_real(run(gs, np.round(y_hat * 256).astype(np.int64)))
    assert _close(x_int, x_fq, 2.0 ** -gs.layers[-1].out.frac_bits)


def test_torch_fast_path_is_bit_identical_to_the_numpy_reference(tiny):
    from hw.integer_model import export_transform, run
    q, x = tiny
    for name, seq, inp in (("g_a", q.g_a, np.round(x[0].numpy() * 255)),
                           ("g_s", q.g_s, np.random.default_rng(1).integers(-2000, 2000, (32, 3, 5)))):
        t = export_transform(name, seq)
        a, b = run(t, inp.astype(np.int64), "numpy", trace=True), run(t, inp.astype(np.int64), "torch", trace=True)
        assert all(np.array_equal(u, v) for u, v in zip(a, b))


def test_integer_weights_file_round_trips(tiny, tmp_path):
    from hw.export import integer_weights, transform_from_file
    from hw.integer_model import export_transform
    q, _ = tiny
    torch.save(integer_weights(q), tmp_path / "s.pt")
    blob = torch.load(tmp_path / "s.pt", weights_only=True)
    back, orig = transform_from_file(blob["g_s"]), export_transform("g_s", q.g_s)
    assert back.types() == orig.types()
    assert all(np.array_equal(a.weight, b.weight) and np.array_equal(a.bias, b.bias) for a, b in zip(back.layers, orig.layers))


def test_qonnx_export_runs_in_qonnx_executor_like_the_integer_reference(tiny, tmp_path):
    pytest.importorskip("qonnx")
    from hw.integer_model import export_transform, run
    from hw.qonnx_check import export_qonnx, execute
    q, _ = tiny
    y = np.random.default_rng(2).integers(-700, 700, (1, 32, 3, 4)) / 256
    path = export_qonnx(q.g_s, torch.tensor(y, dtype=torch.float32), tmp_path / "g_s.onnx")
    out = execute(path, y.astype(np.float32))
    gs = export_transform("g_s", q.g_s)
    ref = gs.layers[-1].out.to_real(run(gs, np.round(y[0] * 256).astype(np.int64)))
    assert out.shape[1:] == ref.shape
    assert _close(out[0], ref, 2.0 ** -gs.layers[-1].out.frac_bits)


# ------------------------------------------------------------------ the shipped student
@pytest.fixture(scope="module")
def student():
    from codec.registry import load_codec
    return load_codec(STUDENT)


def test_shipped_student_is_exact_in_float64_and_declares_integer_synthesis(student):
    from codec.contract import INTEGER_SYNTHESIS
    assert INTEGER_SYNTHESIS in student.capabilities
    for t in (student.model.int_g_a, student.model.int_g_s):
        assert max(t.accumulator_bound()) < 2**53
        assert {l.out.width for l in t.layers} <= {8, 16} and all(abs(l.weight).max() <= 127 for l in t.layers)


def test_cli_decode_equals_the_numpy_reference_and_the_compiled_kernel(student, tmp_path, run_cli):
    """Export -> reference -> kernel -> CLI on a real image: the same integers everywhere."""
    from codec import container
    from codec.container import ChunkType
    from hw import hls
    from hw.integer_model import run, to_pixels
    from hw.kernel_check import ap_types_dir, run_testbench
    rgb = _crop(64, 96)
    Image.fromarray(rgb).save(tmp_path / "in.png")
    assert run_cli("encode", tmp_path / "in.png", "-o", tmp_path / "s.strata", "--model", STUDENT)[0] == 0
    assert run_cli("decode", tmp_path / "s.strata", "-o", tmp_path / "out.png")[0] == 0
    cli = np.asarray(Image.open(tmp_path / "out.png"))
    st = container.parse((tmp_path / "s.strata").read_bytes())
    y_hat = student.decode_latent(st.payload(ChunkType.HYPER), st.payload(ChunkType.LATENT), [], 96, 64)
    y_raw = np.round(y_hat[0].double().numpy() * 256).astype(np.int64)
    gs = student.model.int_g_s
    ref = to_pixels(run(gs, y_raw, "numpy"), gs.layers[-1].out)
    assert np.array_equal(cli, ref[:, :64, :96].transpose(1, 2, 0))  # the decoder crops the padding
    man = hls.export(gs, y_raw, tmp_path / "hls")
    golden = np.fromfile(tmp_path / "hls" / man["golden"]["pixels"], "<i4").reshape(ref.shape)
    assert np.array_equal(golden, ref)
    if ap_types_dir() is None or shutil.which("g++") is None:
        pytest.skip("needs g++ and hls4ml's ap_types headers")
    verdict, kernel = run_testbench(tmp_path / "hls")
    assert verdict == "mismatches 0"
    assert np.array_equal(kernel, run(gs, y_raw, "torch").ravel())

def test_student_decode_is_the_same_with_one_and_two_threads(student):
    from codec.contract import DecodeOptions, EncodeOptions
    from codec import container
    from codec.image.io import Picture
    rgb = _crop(96, 128)
    data, _ = student.encode(Picture(rgb, None, "RGB", 8), EncodeOptions())
    st = container.parse(data)
    outs = with_thread_counts(lambda: np.asarray(student.decode(st, DecodeOptions())[0]))
    assert np.array_equal(outs[0], outs[1])


def test_student_refuses_encoder_effort(run_cli, rgb_png, tmp_path):
    code, _, err = run_cli("encode", rgb_png, "-o", tmp_path / "s.strata", "--model", STUDENT, "--effort", "1")
    assert code == 1 and "effort" in err and not (tmp_path / "s.strata").exists()
