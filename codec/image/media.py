"""Images as a stream kind of the codec contract: which inputs, how they are read and written,
how `info` describes them. Pillow and numpy are imported on use (io.py)."""
from __future__ import annotations

import hashlib

from ..container import Header, Kind
from ..contract import Media
from ..registry import register_media


@register_media
class ImageMedia(Media):
    kind = Kind.IMAGE
    name = "image"
    suffixes = None  # the fallback: anything Pillow opens (point clouds claim their suffixes)
    rate_unit = "bpp"

    def read(self, path: str, max_units: int):
        from .io import read_image
        return read_image(path, max_units)

    def from_object(self, obj):
        from .io import picture_from_object
        return picture_from_object(obj)

    def write(self, item, path: str) -> None:
        from .io import save_image
        save_image(item, path)

    def describe(self, header: Header) -> str:
        return f"{header.width}x{header.height} {header.mode}, {header.bits}-bit source"

    def describe_item(self, pic) -> str:
        h, w = pic.rgb.shape[:2]
        return f"{w}x{h} {pic.mode}"

    def describe_output(self, img) -> str:
        return f"{img.width}x{img.height} {img.mode}"

    # Pixels of a non-reference backend may differ from the reference by rounding only.
    PIXEL_TOLERANCE = 2  # largest |difference| of an 8-bit sample
    PIXEL_MIN_PSNR = 60.0  # dB between the two decodes

    def item_sha256(self, img) -> str:
        """sha256 of the decoded pixels: raw bytes, mode and size (not a PNG file's bytes)."""
        h = hashlib.sha256(f"{img.mode} {img.width}x{img.height}\n".encode())
        h.update(img.tobytes())
        return h.hexdigest()

    def item_close(self, img, ref) -> str | None:
        import numpy as np
        a, b = np.asarray(img, dtype=np.int16), np.asarray(ref, dtype=np.int16)
        if a.shape != b.shape:
            return f"size/mode differ: {a.shape} vs {b.shape}"
        d = np.abs(a - b)
        mse = float(np.mean(d.astype(np.float64) ** 2))
        psnr = float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)
        if d.max() > self.PIXEL_TOLERANCE or psnr < self.PIXEL_MIN_PSNR:
            return f"pixels differ beyond rounding: max |diff| {d.max()}, {psnr:.1f} dB"
        return None
