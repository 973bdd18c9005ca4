"""Reading and writing point clouds: PLY, PCD, XYZ/TXT and NPY.

Libraries: PLY through trimesh (MIT; its PLY reader handles ASCII and both binary byte orders),
PCD through pypcd4 (BSD-3; ASCII, binary and binary_compressed), XYZ/TXT and NPY through numpy.
plyfile was the other candidate for PLY; it is GPL-3, which a codec library should not impose.

Input policy: only the x, y, z coordinates are read (colours, normals and faces are ignored);
a file is refused with one line when it is empty, declares more points than the cap (checked
from the header before the points are read), declares more data than the file holds, or holds
non-finite coordinates.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from codec.atomic import atomic_write
from codec.errors import StrataError

SUFFIXES = frozenset({".ply", ".pcd", ".xyz", ".txt", ".npy"})
MAX_COORDINATE = 1e30  # float32 holds the frame; far beyond any real scan's units
HEADER_LIMIT = 1 << 16  # bytes of a PLY / PCD header we are willing to scan
_PLY_SIZES = {"char": 1, "uchar": 1, "int8": 1, "uint8": 1, "short": 2, "ushort": 2, "int16": 2,
              "uint16": 2, "int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4, "float32": 4,
              "double": 8, "float64": 8}


def read_cloud(path: str | Path, max_points: int = 1 << 24) -> np.ndarray:
    """(N, 3) float64 coordinates of a point-cloud file, after the checks of the input policy."""
    path = Path(path)
    if not path.is_file():
        raise StrataError(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise StrataError(f"{path}: not a point-cloud file (.ply, .pcd, .xyz, .txt, .npy)")
    try:
        size = path.stat().st_size
        if size == 0:
            raise StrataError(f"{path}: empty file")
        reader = {".ply": _read_ply, ".pcd": _read_pcd, ".npy": _read_npy}.get(suffix, _read_xyz)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pts = reader(path, size, max_points)
    except StrataError:
        raise
    except OSError as e:
        raise StrataError(f"cannot read {path}: {e.strerror or e}") from None
    except Exception as e:  # the libraries' many ways of saying "malformed"
        raise StrataError(f"{path}: not a readable {suffix[1:].upper()} point cloud "
                          f"({type(e).__name__}: {str(e).splitlines()[0][:80] if str(e) else ''})") from None
    return check_points(pts, str(path), max_points)


def check_points(pts, what: str, max_points: int = 1 << 24) -> np.ndarray:
    """(N, 3) float64 coordinates, refused when empty, too many or not finite."""
    with np.errstate(invalid="ignore", over="ignore"):
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 3)
    if len(pts) == 0:
        raise StrataError(f"{what}: the cloud has no points")
    if len(pts) > max_points:
        raise StrataError(f"{what}: {len(pts)} points exceed the limit of {max_points} (raise it with --max-pixels)")
    if not np.isfinite(pts).all():
        raise StrataError(f"{what}: coordinates include NaN or infinity")
    if np.abs(pts).max() > MAX_COORDINATE:
        raise StrataError(f"{what}: coordinates beyond +-{MAX_COORDINATE:g} (the stream stores float32)")
    return pts


def _too_many(path, n: int, max_points: int) -> None:
    if n > max_points:
        raise StrataError(f"{path}: declares {n} points, more than the limit of {max_points} "
                          "(raise it with --max-pixels)")


def _header_lines(path: Path, end: bytes) -> tuple[list[str], int]:
    with open(path, "rb") as f:
        head = f.read(HEADER_LIMIT)
    stop = head.find(end)
    if stop < 0:
        raise StrataError(f"{path}: header not terminated within {HEADER_LIMIT} bytes")
    nl = head.find(b"\n", stop)
    stop = len(head) if nl < 0 else nl + 1
    return head[:stop].decode("ascii", "replace").splitlines(), stop


def _read_ply(path: Path, size: int, max_points: int) -> np.ndarray:
    lines, body = _header_lines(path, b"end_header")
    if not lines or lines[0].strip() != "ply":
        raise StrataError(f"{path}: not a PLY file (no 'ply' magic)")
    fmt = next((l.split()[1] for l in lines if l.startswith("format ")), "")
    n, row, in_vertex = None, 0, False
    for l in lines:
        w = l.split()
        if w[:1] == ["element"]:
            in_vertex = len(w) == 3 and w[1] == "vertex"
            if in_vertex:
                n = int(w[2]) if w[2].isdigit() else -1
        elif w[:1] == ["property"] and in_vertex:
            row = None if row is None or w[1] == "list" else row + _PLY_SIZES.get(w[-2], 0)
    if n is None or n < 0:
        raise StrataError(f"{path}: PLY header declares no vertex element")
    if n == 0:
        raise StrataError(f"{path}: the cloud has no points")
    _too_many(path, n, max_points)
    if fmt.startswith("binary") and row is not None and body + n * row > size:
        raise StrataError(f"{path}: truncated (header declares {n} points, the file holds fewer)")
    import trimesh
    geom = trimesh.load(str(path), file_type="ply", process=False)
    return np.asarray(geom.vertices)


def _read_pcd(path: Path, size: int, max_points: int) -> np.ndarray:
    lines, body = _header_lines(path, b"DATA")
    fields = dict((l.split()[0].upper(), l.split()[1:]) for l in lines if l.strip() and not l.startswith("#"))
    try:
        n = int(fields["POINTS"][0])
        names = fields["FIELDS"]
        sizes = [int(s) for s in fields["SIZE"]]
        counts = [int(c) for c in fields.get("COUNT", ["1"] * len(sizes))]
    except (KeyError, IndexError, ValueError):
        raise StrataError(f"{path}: PCD header lacks POINTS, FIELDS or SIZE") from None
    if not {"x", "y", "z"} <= set(names):
        raise StrataError(f"{path}: PCD file has no x y z fields")
    if n == 0:
        raise StrataError(f"{path}: the cloud has no points")
    _too_many(path, n, max_points)
    if fields.get("DATA", [""])[0] == "binary" and body + n * sum(s * c for s, c in zip(sizes, counts)) > size:
        raise StrataError(f"{path}: truncated (header declares {n} points, the file holds fewer)")
    from pypcd4 import PointCloud
    pc = PointCloud.from_path(path)
    return np.stack([pc.numpy((f,))[:, 0] for f in ("x", "y", "z")], 1)


def _read_npy(path: Path, size: int, max_points: int) -> np.ndarray:
    a = np.load(path, mmap_mode="r", allow_pickle=False)
    if a.ndim != 2 or a.shape[1] < 3 or a.dtype.kind not in "fiu":
        raise StrataError(f"{path}: an NPY cloud is an (N, 3) (or (N, 3+)) numeric array, not {a.dtype} {a.shape}")
    _too_many(path, a.shape[0], max_points)
    return np.array(a[:, :3], dtype=np.float64)


def _read_xyz(path: Path, size: int, max_points: int) -> np.ndarray:
    # Reading stops one row past the cap, so a huge text file costs at most the cap in memory.
    rows = np.loadtxt(path, dtype=np.float64, usecols=(0, 1, 2), ndmin=2, comments=("#", "//"),
                      max_rows=max_points + 1)
    return rows


# ---------------------------------------------------------------- writing
def write_cloud(points: np.ndarray, path: str | Path) -> None:
    """Write an (N, 3) cloud atomically, in the format of the suffix (binary PLY and PCD,
    float32; XYZ/TXT with 9 significant digits; NPY float32)."""
    path = Path(path)
    suffix = path.suffix.lower()
    pts = np.ascontiguousarray(points, dtype=np.float32)
    if suffix == ".ply":
        head = (f"ply\nformat binary_little_endian 1.0\ncomment written by strata\nelement vertex {len(pts)}\n"
                "property float x\nproperty float y\nproperty float z\nend_header\n").encode("ascii")
        data = head + pts.astype("<f4").tobytes()
    elif suffix == ".pcd":
        from pypcd4 import PointCloud
        buf = io.BytesIO()
        PointCloud.from_xyz_points(pts).save(buf)
        data = buf.getvalue()
    elif suffix in (".xyz", ".txt"):
        data = "".join(f"{x:.9g} {y:.9g} {z:.9g}\n" for x, y, z in pts.tolist()).encode("ascii")
    elif suffix == ".npy":
        buf = io.BytesIO()
        np.save(buf, pts)
        data = buf.getvalue()
    else:
        raise StrataError(f"cannot write a point cloud as {path.name}: use .ply, .pcd, .xyz, .txt or .npy")
    atomic_write(path, lambda f: f.write(data))
