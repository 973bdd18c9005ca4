"""Reading and writing images with Pillow, and the colour-mode policy.

Input policy (documented in the README):

- Formats: anything Pillow opens (PNG, JPEG, TIFF, BMP, WebP, GIF, ...); the first frame is used.
- EXIF orientation is applied, so the coded image is upright.
- RGB and CMYK are coded as RGB; palette images become RGB (RGBA when they carry transparency).
- Greyscale (L, 1-bit, 16-bit) is coded through the RGB model and decoded back to greyscale.
- 16-bit samples are rounded to 8 bits: the codec is an 8-bit codec. The header records the
  original depth so `strata info` shows it.
- Alpha is kept losslessly: the alpha plane goes into its own zlib-compressed chunk (omitted when
  fully opaque), colour is coded by the model. Output is RGBA / LA.
- Images larger than the pixel cap are refused before they are decoded.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..atomic import atomic_write
from ..errors import StrataError

_16BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
# The input formats read: Pillow plugins that only parse headers in Image.open, so the pixel cap
# is checked before any pixel is decoded. Others (ICO, for one, decodes an embedded PNG inside
# open) are refused by name.
INPUT_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "WEBP", "GIF", "PPM", "TGA")


def list_images(folder: Path) -> list[Path]:
    """The image files under a folder (recursively), sorted: training and evaluation sets."""
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


@dataclass
class Picture:
    rgb: np.ndarray  # HxWx3 uint8
    alpha: np.ndarray | None  # HxW uint8, or None when opaque / absent
    mode: str  # output mode: RGB, L, RGBA or LA
    bits: int  # original bits per sample


def read_image(path: str | Path, max_pixels: int) -> Picture:
    path = Path(path)
    if not path.is_file():
        raise StrataError(f"no such file: {path}")
    Image.MAX_IMAGE_PIXELS = None  # our own cap below, checked before pixel data is decoded
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path, formats=INPUT_FORMATS) as im:
                w, h = im.size
                if w * h > max_pixels:
                    raise StrataError(f"image of {w}x{h} pixels exceeds the limit of {max_pixels} "
                                      "pixels (raise it with --max-pixels)")
                im.load()
                im = ImageOps.exif_transpose(im)
                return _to_picture(im)
    except StrataError:
        raise
    except UnidentifiedImageError:
        raise StrataError(f"{path}: not an image in a format Strata reads "
                          f"({', '.join(INPUT_FORMATS)})") from None
    except MemoryError:
        raise
    except Exception as e:  # Pillow raises many types on malformed files
        raise StrataError(f"{path}: cannot read image ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None


def picture_from_object(obj) -> Picture | None:
    """A Picture for the API: a PIL image (the input policy applies) or an HxWx3 / HxW uint8
    array; None for anything else."""
    if isinstance(obj, Picture):
        return obj
    if isinstance(obj, Image.Image):
        return _to_picture(ImageOps.exif_transpose(obj))
    if isinstance(obj, np.ndarray) and obj.dtype == np.uint8 and (obj.ndim == 2 or obj.ndim == 3 and obj.shape[2] in (3, 4)):
        return _to_picture(Image.fromarray(np.ascontiguousarray(obj)))
    return None


def _to_picture(im: Image.Image) -> Picture:
    mode, bits = im.mode, 8
    if mode in _16BIT_MODES:
        a = np.asarray(im, dtype=np.float64)
        grey = np.clip(np.floor(a / 257.0 + 0.5), 0, 255).astype(np.uint8)
        return Picture(np.repeat(grey[..., None], 3, axis=2), None, "L", 16)
    if mode == "F":
        raise StrataError("floating-point images are not supported")
    if mode == "P" or mode == "PA":
        im = im.convert("RGBA") if ("transparency" in im.info or mode == "PA") else im.convert("RGB")
        mode = im.mode
    if mode == "1":
        im, mode = im.convert("L"), "L"
    if mode in ("L", "RGB") and "transparency" in im.info:  # a tRNS colour: keep it as alpha
        im = im.convert("LA" if mode == "L" else "RGBA")
        mode = im.mode
    if mode in ("L", "LA"):
        grey = np.asarray(im.getchannel("L"))
        alpha = np.asarray(im.getchannel("A")) if mode == "LA" else None
        return Picture(np.repeat(grey[..., None], 3, axis=2), _opaque_none(alpha), mode, bits)
    if mode in ("RGBA", "RGBa", "La"):
        im = im.convert("RGBA")
        arr = np.asarray(im)
        return Picture(np.ascontiguousarray(arr[..., :3]), _opaque_none(arr[..., 3]), "RGBA", bits)
    if mode != "RGB":
        try:
            im = im.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX ...
        except (ValueError, OSError):
            raise StrataError(f"unsupported image mode {mode}") from None
    return Picture(np.asarray(im).copy(), None, "RGB", bits)


def _opaque_none(alpha: np.ndarray | None) -> np.ndarray | None:
    if alpha is None or bool((alpha == 255).all()):
        return None
    return np.ascontiguousarray(alpha)


def to_pil(rgb: np.ndarray, alpha: np.ndarray | None, mode: str) -> Image.Image:
    """Rebuild the output image in the recorded mode (alpha defaults to opaque)."""
    if mode in ("L", "LA"):
        # Grey sources were coded as R=G=B; average the decoded channels back to one.
        grey = np.clip(np.floor(rgb.astype(np.float32).mean(axis=2) + 0.5), 0, 255).astype(np.uint8)
        planes = [grey]
    else:
        planes = [rgb[..., c] for c in range(3)]
    if mode in ("RGBA", "LA"):
        planes.append(alpha if alpha is not None else np.full(rgb.shape[:2], 255, np.uint8))
    arr = planes[0] if len(planes) == 1 else np.stack(planes, axis=2)
    return Image.fromarray(np.ascontiguousarray(arr), mode)


def save_image(img: Image.Image, path: str | Path) -> None:
    """Save by extension (PNG by default); refuses formats that cannot hold the mode."""
    path = Path(path)
    ext = path.suffix.lower()
    fmt = Image.registered_extensions().get(ext, "PNG" if ext == "" else None)
    if fmt is None:
        raise StrataError(f"unknown output image format {ext!r} (use .png)")
    if fmt == "JPEG" and img.mode in ("RGBA", "LA"):
        raise StrataError("JPEG output cannot hold alpha: use .png")

    def write(f):
        try:
            img.save(f, format=fmt)
        except (OSError, ValueError, KeyError) as e:
            raise StrataError(f"cannot write {fmt} output: {e}") from None

    atomic_write(path, write)
