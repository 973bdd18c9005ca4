"""Conformance streams: published streams must decode to the same pixels forever.

`bitstreams/manifest.json` lists each stream with its sha256, the model and weights sha256 that
made it, the format version, the decoder settings it was checked with, and the sha256 of the
decoded pixels (raw bytes, mode and size; not of a PNG file, whose bytes depend on zlib).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .container import VERSION
from .image_codec import decode_stream

MANIFEST = "manifest.json"


def pixels_sha256(img) -> str:
    h = hashlib.sha256(f"{img.mode} {img.width}x{img.height}\n".encode())
    h.update(img.tobytes())
    return h.hexdigest()


def check_entry(folder: Path, entry: dict) -> str | None:
    """None when the stream decodes as recorded, else a one-line reason."""
    from .registry import model_info
    data = (folder / entry["file"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return f"{entry['file']}: stream bytes changed"
    if entry["format_version"] != VERSION:
        return f"{entry['file']}: made for format version {entry['format_version']}, decoder reads {VERSION}"
    if model_info(entry["model"]).sha256 != entry["model_sha256"]:
        return (f"{entry['file']}: weights of {entry['model']!r} changed under the same name; "
                "register new weights under a new model name")
    n = entry.get("bytes")
    img, _ = decode_stream(data[:n] if n else data)
    if pixels_sha256(img) != entry["decoded_sha256"]:
        return f"{entry['file']}" + (f"[:{n}]" if n else "") + ": decoded pixels differ from the manifest"
    return None


def load_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())
