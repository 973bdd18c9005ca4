"""Conformance streams: published streams must decode to the same output forever.

`bitstreams/manifest.json` lists each stream with its sha256, the model and weights sha256 that
made it, the format version, the decoder settings it was checked with, the sha256 of the decoded
output (its content, e.g. raw pixels with mode and size; see Media.item_sha256) and the sha256
of the decoded latent.

Two levels of exactness: the latent (everything up to the synthesis transform: entropy decoding,
the integer-exact hyper paths, the sending order) is bit-exact on every machine and backend by
construction; the output comes from a floating-point synthesis and is bit-exact for a given CPU
kind and backend (oneDNN) whatever the thread count, and within the kind's tolerance elsewhere
(`Media.item_close`, checked with oneDNN off in the tests).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import container
from .api import decode_stream
from .container import VERSION
from .contract import DecodeOptions
from .registry import media, model_info

MANIFEST = "manifest.json"


def entry_stream(folder: Path, entry: dict, data: bytes | None = None) -> bytes:
    """The bytes an entry decodes: its file (data, if already read), cut at entry["bytes"]."""
    data = (folder / entry["file"]).read_bytes() if data is None else data
    n = entry.get("bytes")
    return data[:n] if n else data


def output_sha256(item, stream: bytes) -> str:
    return media(container.parse(stream, 1 << 62).header.kind).item_sha256(item)


def check_entry(folder: Path, entry: dict, reference=None) -> str | None:
    """None when the stream decodes as recorded, else a one-line reason.

    reference: None on the reference backend (the output must hash as recorded); on another
    backend, the reference decode's output, which must match within the kind's tolerance."""
    label = entry["file"] + (f"[:{entry['bytes']}]" if entry.get("bytes") else "")
    data = (folder / entry["file"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return f"{entry['file']}: stream bytes changed"
    if entry["format_version"] != VERSION:
        return f"{entry['file']}: made for format version {entry['format_version']}, decoder reads {VERSION}"
    if model_info(entry["model"]).sha256 != entry["model_sha256"]:
        return (f"{entry['file']}: weights of {entry['model']!r} changed under the same name; "
                "register new weights under a new model name")
    stream = entry_stream(folder, entry, data)
    item, report = decode_stream(stream, DecodeOptions(want_latent=True))
    if report.latent_sha256 != entry["latent_sha256"]:
        return f"{label}: decoded latent differs from the manifest"
    m = media(report.header.kind)
    if reference is None and m.item_sha256(item) != entry["decoded_sha256"]:
        return f"{label}: decoded output differs from the manifest"
    if reference is not None and (why := m.item_close(item, reference)):
        return f"{label}: {why}"
    return None


def load_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())
