"""The point-cloud coder through the codec API and the CLI: real streams, real decodes."""
import subprocess
import sys

import numpy as np
import pytest

from codec import api, container
from codec.container import ChunkType
from codec.errors import StrataError
from pointcloud.evaluate import strata_models
from pointcloud.io import read_cloud, write_cloud
from pointcloud.metrics import distortion

from .conftest import DATA, ROOT
from .test_pointcloud_io import surface_cloud

MODELS = strata_models()
pytestmark = pytest.mark.skipif(not MODELS, reason="no point-cloud model is registered")


@pytest.fixture(scope="module")
def shape():
    """A ModelNet10 test chair when the data is present, else a box-and-sphere surface."""
    f = DATA / "modelnet10" / "chair" / "test" / "chair_0890.pcd"
    return read_cloud(f) if f.exists() else surface_cloud()


def test_every_model_round_trips_in_original_coordinates(shape):
    for name in MODELS:
        data = api.encode(shape, name)
        pts, report = api.decode(data)
        assert pts.shape == (1024, 3) and report.header.width == len(shape)
        d = distortion(shape, pts)
        diag = np.linalg.norm(shape.max(0) - shape.min(0))
        assert d["chamfer_mean"] < (0.1 * diag) ** 2, name  # the decode is the shape, not noise
        assert np.abs(pts.mean(0) - shape.mean(0)).max() < 0.1 * diag  # the frame was undone


def test_more_bits_give_a_closer_cloud(shape):
    """The ladder: the highest rate is closer to the input than the lowest (several shapes)."""
    clouds = [shape] + [surface_cloud(seed=s) for s in (1, 2)]
    lo, hi = MODELS[0], MODELS[-1]
    cd = {m: np.mean([distortion(c, api.decode(api.encode(c, m))[0])["chamfer_mean"] / np.ptp(c) ** 2
                      for c in clouds]) for m in (lo, hi)}
    assert cd[hi] < cd[lo]


def test_same_stream_same_points_twice_and_any_point_count(shape):
    data = api.encode(shape, MODELS[-1])
    a, _ = api.decode(data)
    b, _ = api.decode(data)
    assert np.array_equal(a, b)
    c, _ = api.decode_stream(data, __import__("codec.contract", fromlist=["x"]).DecodeOptions(points=300))
    assert c.shape == (300, 3)
    assert api.encode(shape, MODELS[-1]) == data  # the encoder is deterministic too


def test_identical_points_with_one_and_two_threads(tmp_path, shape):
    stream = tmp_path / "c.strata"
    stream.write_bytes(api.encode(shape, MODELS[-1]))
    outs = []
    for threads in (1, 2):
        out = tmp_path / f"t{threads}.npy"
        code = ("import sys, torch; torch.set_num_threads(int(sys.argv[1])); from codec.cli import main; "
                "sys.exit(main(['decode', sys.argv[2], '-o', sys.argv[3], '-q']))")
        r = subprocess.run([sys.executable, "-c", code, str(threads), str(stream), str(out)],
                           cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        outs.append(np.load(out))
    assert np.array_equal(outs[0], outs[1])


def test_cli_encode_decode_info_and_batch(tmp_path, shape, run_cli):
    src = tmp_path / "chair.ply"
    write_cloud(shape, src)
    code, _, err = run_cli("encode", src, "-o", tmp_path / "chair.strata", "--model", MODELS[0])
    assert code == 0, err
    assert "bpp" in err and "1024 points" in err
    code, out, _ = run_cli("info", tmp_path / "chair.strata")
    assert code == 0 and "point_cloud" in out and "1024 input points" in out
    code, _, err = run_cli("decode", tmp_path / "chair.strata", "-o", tmp_path / "back.pcd", "--steps", "5")
    assert code == 0, err
    assert read_cloud(tmp_path / "back.pcd").shape == (1024, 3)
    # batch: several clouds, one process, outputs named by kind (.ply)
    write_cloud(surface_cloud(), tmp_path / "box.xyz")
    (tmp_path / "enc").mkdir()
    (tmp_path / "dec").mkdir()
    code, _, err = run_cli("encode", src, tmp_path / "box.xyz", "-o", tmp_path / "enc", "--model", MODELS[0])
    assert code == 0, err
    code, _, err = run_cli("decode", *sorted((tmp_path / "enc").iterdir()), "-o", tmp_path / "dec", "--points", "100")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "dec").iterdir()) == ["box.ply", "chair.ply"]
    assert read_cloud(tmp_path / "dec" / "box.ply").shape == (100, 3)


def test_image_options_are_refused_for_point_clouds_and_back(tmp_path, shape, run_cli, stream):
    data = api.encode(shape, MODELS[0])
    (tmp_path / "c.strata").write_bytes(data)
    for args in (["--layers", "2"],):
        code, _, err = run_cli("decode", tmp_path / "c.strata", "-o", tmp_path / "o.ply", *args)
        assert code == 1 and "layer" in err
    code, _, err = run_cli("decode", stream, "-o", tmp_path / "o.png", "--steps", "5")
    assert code == 1 and "--steps applies to sampling decoders" in err
    code, _, err = run_cli("trim", tmp_path / "c.strata", "--layers", "1", "-o", tmp_path / "t.strata")
    assert code == 1 and "single-rate" in err
    for bad in ("0", "-3"):
        code, _, err = run_cli("decode", tmp_path / "c.strata", "-o", tmp_path / "o.ply", "--steps", bad)
        assert code == 1 and "--steps" in err
    assert not (tmp_path / "o.ply").exists()


def test_truncated_and_corrupted_streams_give_one_clear_error(shape):
    data = api.encode(shape, MODELS[-1])
    s = container.parse(data)
    assert s.payload(ChunkType.ANCHORS) is not None or "anchors" not in MODELS[-1]
    seen = set()
    for cut in range(0, len(data), 3):
        with pytest.raises(StrataError) as e:
            api.decode(data[:cut])
        seen.add(str(e.value).split(":")[0])
        assert "\n" not in str(e.value)
    rng = np.random.default_rng(5)
    for _ in range(60):  # flipped bytes: either a clean error or a decode of the right shape
        b = bytearray(data)
        b[int(rng.integers(0, len(b)))] ^= int(rng.integers(1, 256))
        try:
            pts, _ = api.decode(bytes(b))
            assert pts.shape[1] == 3 and np.isfinite(pts).all()
        except StrataError as e:
            assert "\n" not in str(e)
    # forged payloads behind valid CRCs
    hdr = s.header
    for chunks in ([(ChunkType.LATENT, b"\0" * 5)], [(ChunkType.LATENT, s.chunks[0][1]), (ChunkType.HYPER, b"x")],
                   [(ChunkType.LATENT, s.chunks[0][1])] * 2,
                   [(ChunkType.LATENT, b"\xff" * 16 + b"\0\0" + b"\xff" * 40)],
                   [(ChunkType.ANCHORS, b"\xff" * 40), (ChunkType.LATENT, s.chunks[0][1])]):
        with pytest.raises(StrataError):
            api.decode(container.pack(hdr, chunks))


def test_cli_refuses_a_bad_cloud_file_in_one_line_and_leaves_nothing(tmp_path, run_cli):
    bad = tmp_path / "bad.ply"
    bad.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 5000\nproperty float x\n"
                    b"property float y\nproperty float z\nend_header\n" + b"\0" * 100)
    code, _, err = run_cli("encode", bad, "-o", tmp_path / "o.strata", "--model", MODELS[0])
    assert code == 1 and err.count("\n") == 1 and "truncated" in err
    code, _, err = run_cli("encode", bad, "-o", tmp_path / "o.strata", "--model", MODELS[0], "--max-pixels", "100")
    assert code == 1 and "limit of 100" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.ply"]
