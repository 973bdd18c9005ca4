"""Point clouds as a stream kind of the codec contract: which inputs (by suffix), how they are
read and written (io.py), how `info` describes a header. numpy is imported on use."""
from __future__ import annotations

import hashlib

from codec.container import Header, Kind
from codec.contract import Media
from codec.registry import register_media

from .io import SUFFIXES


@register_media
class PointCloudMedia(Media):
    kind = Kind.POINT_CLOUD
    name = "point cloud"
    suffixes = SUFFIXES
    rate_unit = "bpp"  # bits per input point
    output_suffix = ".ply"
    # Another machine's libm and BLAS may round differently: decoded points then agree to this
    # fraction of the cloud's bounding-box diagonal (the sampler is float64 throughout).
    RELATIVE_TOLERANCE = 1e-6

    def read(self, path: str, max_units: int):
        from .io import read_cloud
        return read_cloud(path, max_units)

    def from_object(self, obj):
        import numpy as np
        if isinstance(obj, np.ndarray) and obj.dtype.kind == "f" and obj.ndim == 2 and obj.shape[1] == 3:
            from .io import check_points
            return check_points(obj, "array")
        return None

    def write(self, item, path: str) -> None:
        from .io import write_cloud
        write_cloud(item, path)

    def describe(self, header: Header) -> str:
        return f"{header.width} input points (xyz, float32 source)"

    def describe_item(self, pts) -> str:
        return f"{len(pts)} points"

    def describe_output(self, pts) -> str:
        return f"{len(pts)} points"

    def item_sha256(self, pts) -> str:
        """sha256 of the decoded coordinates as written (float32, little-endian)."""
        import numpy as np
        a = np.ascontiguousarray(pts, "<f4")
        h = hashlib.sha256(f"xyz {len(a)}\n".encode())
        h.update(a.tobytes())
        return h.hexdigest()

    def item_close(self, pts, ref) -> str | None:
        import numpy as np
        a, b = np.asarray(pts, np.float64), np.asarray(ref, np.float64)
        if a.shape != b.shape:
            return f"point counts differ: {len(a)} vs {len(b)}"
        diag = float(np.linalg.norm(b.max(0) - b.min(0))) or 1.0
        err = float(np.abs(a - b).max()) / diag
        return None if err <= self.RELATIVE_TOLERANCE else f"points differ by {err:.2e} of the diagonal"
