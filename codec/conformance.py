"""Conformance streams: published streams must decode to the same pixels forever.

`bitstreams/manifest.json` lists each stream with its sha256, the model and weights sha256 that
made it, the format version, the decoder settings it was checked with, and the sha256 of the
decoded pixels (raw bytes, mode and size; not of a PNG file, whose bytes depend on zlib), and
the sha256 of the decoded latent.

Two levels of exactness: the latent (everything up to the synthesis transform: entropy decoding,
the integer-exact hyper paths, the sending order) is bit-exact on every machine and backend by
construction; the pixels come from a floating-point synthesis and are bit-exact for a given CPU
kind and backend (oneDNN) whatever the thread count, and within a small tolerance elsewhere
(`pixels_close`, checked with oneDNN off in the tests).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .container import VERSION
from .image_codec import decode_stream

MANIFEST = "manifest.json"


def pixels_sha256(img) -> str:
    h = hashlib.sha256(f"{img.mode} {img.width}x{img.height}\n".encode())
    h.update(img.tobytes())
    return h.hexdigest()


def entry_stream(folder: Path, entry: dict, data: bytes | None = None) -> bytes:
    """The bytes an entry decodes: its file (data, if already read), cut at entry["bytes"]."""
    data = (folder / entry["file"]).read_bytes() if data is None else data
    n = entry.get("bytes")
    return data[:n] if n else data


# Pixels of a non-reference backend may differ from the reference by rounding only.
PIXEL_TOLERANCE = 2  # largest |difference| of an 8-bit sample
PIXEL_MIN_PSNR = 60.0  # dB between the two decodes


def pixels_close(img, ref) -> str | None:
    """None when img matches ref within the tolerance above, else a one-line reason."""
    a, b = np.asarray(img, dtype=np.int16), np.asarray(ref, dtype=np.int16)
    if a.shape != b.shape:
        return f"size/mode differ: {a.shape} vs {b.shape}"
    d = np.abs(a - b)
    mse = float(np.mean(d.astype(np.float64) ** 2))
    psnr = float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)
    if d.max() > PIXEL_TOLERANCE or psnr < PIXEL_MIN_PSNR:
        return f"pixels differ beyond rounding: max |diff| {d.max()}, {psnr:.1f} dB"
    return None


def check_entry(folder: Path, entry: dict, reference=None) -> str | None:
    """None when the stream decodes as recorded, else a one-line reason.

    reference: None on the reference backend (pixels must hash as recorded); on another backend,
    the reference decode's image, which the pixels must match within the rounding tolerance."""
    from .registry import model_info
    label = entry["file"] + (f"[:{entry['bytes']}]" if entry.get("bytes") else "")
    data = (folder / entry["file"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return f"{entry['file']}: stream bytes changed"
    if entry["format_version"] != VERSION:
        return f"{entry['file']}: made for format version {entry['format_version']}, decoder reads {VERSION}"
    if model_info(entry["model"]).sha256 != entry["model_sha256"]:
        return (f"{entry['file']}: weights of {entry['model']!r} changed under the same name; "
                "register new weights under a new model name")
    img, report = decode_stream(entry_stream(folder, entry, data), want_latent=True)
    if report.latent_sha256 != entry["latent_sha256"]:
        return f"{label}: decoded latent differs from the manifest"
    if reference is None and pixels_sha256(img) != entry["decoded_sha256"]:
        return f"{label}: decoded pixels differ from the manifest"
    if reference is not None and (why := pixels_close(img, reference)):
        return f"{label}: {why}"
    return None


def load_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())
