"""Point-cloud files: every format round-trips, hostile files get one clear error."""
import numpy as np
import pytest

from codec.errors import StrataError
from pointcloud.io import read_cloud, write_cloud
from pointcloud.models.anchors import cells_from_symbols, octree_symbols, to_cells
from pointcloud.transform import Frame, resample


def surface_cloud(n=1024, seed=0):
    """Points on a box and a sphere above it: a shape, not noise."""
    rng = np.random.default_rng(seed)
    box = rng.uniform(-1, 1, (n // 2, 3)) * [3, 2, 0.2]
    v = rng.normal(size=(n - n // 2, 3))
    sphere = v / np.linalg.norm(v, axis=1, keepdims=True) + [0, 0, 1.5]
    return np.concatenate([box, sphere]) * 10 + [100, -50, 7]


@pytest.mark.parametrize("suffix", [".ply", ".pcd", ".xyz", ".txt", ".npy"])
def test_round_trip_every_format(tmp_path, suffix):
    pts = surface_cloud().astype(np.float32).astype(np.float64)
    write_cloud(pts, tmp_path / f"c{suffix}")
    back = read_cloud(tmp_path / f"c{suffix}")
    assert back.shape == pts.shape
    np.testing.assert_allclose(back, pts, rtol=1e-7, atol=1e-5)


def test_ascii_ply_and_pcd_are_read(tmp_path):
    pts = surface_cloud(50)
    ply = "ply\nformat ascii 1.0\nelement vertex 50\nproperty float x\nproperty float y\nproperty float z\nend_header\n"
    (tmp_path / "a.ply").write_text(ply + "".join(f"{x} {y} {z}\n" for x, y, z in pts))
    pcd = ("# .PCD v0.7\nVERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 50\nHEIGHT 1\n"
           "VIEWPOINT 0 0 0 1 0 0 0\nPOINTS 50\nDATA ascii\n")
    (tmp_path / "a.pcd").write_text(pcd + "".join(f"{x} {y} {z}\n" for x, y, z in pts))
    for f in ("a.ply", "a.pcd"):
        np.testing.assert_allclose(read_cloud(tmp_path / f), pts, rtol=1e-6, atol=1e-4)


def _hostile(tmp_path):
    pts = surface_cloud(100).astype(np.float32)
    head = "ply\nformat binary_little_endian 1.0\nelement vertex {n}\nproperty float x\nproperty float y\nproperty float z\nend_header\n"
    pcd = ("VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH {n}\nHEIGHT 1\n"
           "POINTS {n}\nDATA binary\n")
    nan = pts.copy()
    nan[3, 1] = np.nan
    return {
        "truncated.ply": head.format(n=100).encode() + pts.tobytes()[:-40],
        "huge.ply": head.format(n=10**12).encode() + pts.tobytes(),
        "huge.pcd": pcd.format(n=10**12).encode() + pts.tobytes(),
        "truncated.pcd": pcd.format(n=100).encode() + pts.tobytes()[:500],
        "nan.ply": head.format(n=100).encode() + nan.tobytes(),
        "empty.ply": head.format(n=0).encode(),
        "empty.xyz": b"",
        "words.xyz": b"hello world\nthis is text\n",
        "inf.xyz": b"1 2 3\ninf 0 0\n",
        "garbage.pcd": b"\x00\xff" * 300,
        "noheader.ply": b"ply\nformat ascii 1.0\n" + b"x" * 70000,
        "pickle.npy": b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (3,), }" + b" " * 50 + b"\n",
        "wrongshape.npy": None,
    }


def test_hostile_files_get_one_clear_error(tmp_path):
    cases = _hostile(tmp_path)
    for name, data in cases.items():
        path = tmp_path / name
        if data is None:
            np.save(path, np.zeros((5, 2), np.float32))
        else:
            path.write_bytes(data)
        before = path.read_bytes()
        with pytest.raises(StrataError) as e:
            read_cloud(path, max_points=1 << 20)
        msg = str(e.value)
        assert "\n" not in msg and msg, name
        assert path.read_bytes() == before  # input never touched


def test_point_cap_is_checked_from_the_header(tmp_path):
    write_cloud(surface_cloud(2000), tmp_path / "c.ply")
    with pytest.raises(StrataError, match="limit of 1000"):
        read_cloud(tmp_path / "c.ply", max_points=1000)


def test_canonical_frame_round_trips_and_resampling_is_deterministic():
    pts = surface_cloud(3000)
    f = Frame.of(pts)
    canon = f.to_canonical(pts)
    assert 0.998 < np.sqrt((canon ** 2).sum(1)).max() <= 1  # the quantized frame: within 1/1024 octave
    np.testing.assert_allclose(f.from_canonical(canon), pts, rtol=0, atol=1e-9 * np.abs(pts).max() * 1e3)
    for n in (1024, 5000):
        a, b = resample(pts, n), resample(pts, n)
        assert len(a) == n and np.array_equal(a, b)


def test_octree_symbols_round_trip():
    rng = np.random.default_rng(3)
    for k in (1, 7, 64, 300):
        cells = to_cells(rng.uniform(-1, 1, (k, 3)))
        back = cells_from_symbols(octree_symbols(cells))
        assert {tuple(c) for c in back} == {tuple(c) for c in cells}


@pytest.mark.parametrize("suffix", [".ply", ".pcd", ".npy", ".xyz"])
def test_mutated_files_are_read_or_refused_in_one_line(tmp_path, suffix):
    """Fuzz the readers: every mutation of a valid file reads as a finite cloud or is refused
    with a StrataError; nothing else escapes."""
    from codec.fuzz import mutate
    write_cloud(surface_cloud(200), tmp_path / f"ok{suffix}")
    good = (tmp_path / f"ok{suffix}").read_bytes()
    rng = np.random.default_rng(11)
    path = tmp_path / f"m{suffix}"
    for _ in range(150):
        path.write_bytes(mutate(good, rng))
        try:
            pts = read_cloud(path, max_points=1 << 16)
        except StrataError as e:
            assert str(e) and "\n" not in str(e)
        else:
            assert pts.ndim == 2 and pts.shape[1] == 3 and np.isfinite(pts).all()


def test_draco_baseline_merges_what_its_quantization_makes_identical():
    pytest.importorskip("DracoPy")
    from pointcloud.draco import draco_code, merge_duplicates
    pts = surface_cloud()
    merged = merge_duplicates(pts, 3)
    assert 8 <= len(merged) < len(pts) / 4
    data, rec = draco_code(pts, 3)
    assert len(rec) == len(merged)  # nothing coded twice
    assert len(np.unique(np.round(rec, 6), axis=0)) == len(rec)
    fine, rec10 = draco_code(pts, 10)
    assert len(fine) > len(data) and len(rec10) > len(rec)


def test_sampler_noise_is_a_fixed_function_of_the_seed():
    """The decoder's noise is part of the format: these values may never change (a change needs
    a new model name), and no library RNG state enters it."""
    import torch
    from pointcloud.models.diffusion import PortableNoise
    torch.manual_seed(123)
    np.random.seed(5)
    z = PortableNoise(7).normal((2, 3))
    expected = [[-0.1471279283802242, -1.0911010252731357, -0.7344628705483299],
                [0.5021121543773327, 0.7375870161465816, -2.1076498535202832]]
    np.testing.assert_allclose(z, expected, rtol=1e-14)
    big = PortableNoise(0).normal((200000,))
    assert abs(big.mean()) < 0.01 and abs(big.std() - 1) < 0.01


def test_vq_indices_round_trip_through_the_range_coder_and_beat_fixed_length():
    from pointcloud import entropy
    rng = np.random.default_rng(2)
    counts = [np.bincount(rng.zipf(1.6, 4000) % 128, minlength=128) for _ in range(32)]
    symbols = [int(rng.choice(128, p=(c + 1) / (c + 1).sum())) for c in counts]
    priors = [entropy.Prior(c) for c in counts]
    data = entropy.encode([(np.array([s]), p) for s, p in zip(symbols, priors)])
    dec = entropy.Decoder(data)
    assert [int(dec.read(p, 1)[0]) for p in priors] == symbols
    assert len(data) < 32 * 7 / 8  # skewed priors: fewer bytes than 7 bits per index
