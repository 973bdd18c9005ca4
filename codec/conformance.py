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

Integer synthesis (capability INTEGER_SYNTHESIS, the hardware student) is exact everywhere: its
entries carry `output_cpu: "any"` and their output hash holds on every CPU kind and backend.

A bfloat16 synthesis rounds differently where the CPU has native bf16 units (AMX, AVX512-BF16)
and where they are emulated, so output hashes are recorded per CPU kind (`cpu_kind()`):
`decoded_sha256` for the kind the entries were first recorded on (`REFERENCE_CPU`), and
`decoded_sha256_by_cpu` for others, added by `tools/make_conformance.py --add-cpu-kind` only
for entries whose latent hash matches (the stream decodes identically up to the synthesis).
"""
from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

from .api import decode_stream
from .container import VERSION
from .contract import DecodeOptions
from .registry import media, model_info

MANIFEST = "manifest.json"
REFERENCE_CPU = "x86_64-avx512-amx"  # where sessions 1-7 recorded decoded_sha256 (bf16 on AMX)
ANY_CPU = "any"  # output_cpu of integer-synthesis entries: one output hash for every machine


def cpu_kind() -> str:
    """What decides the bits of a floating-point synthesis: architecture, the vector ISA torch
    dispatches to, and whether bf16 arithmetic is native."""
    import torch
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        flags = ""
    bf16 = "amx" if "amx_bf16" in flags else "avx512bf16" if "avx512_bf16" in flags else "nobf16"
    return f"{platform.machine()}-{torch.backends.cpu.get_cpu_capability().lower()}-{bf16}"


def recorded_output(entry: dict, kind: str | None = None) -> str | None:
    """The output hash recorded for this CPU kind, or None when none is."""
    kind = kind or cpu_kind()
    if entry.get("output_cpu") == ANY_CPU or kind == entry.get("output_cpu", REFERENCE_CPU):
        return entry["decoded_sha256"]
    return entry.get("decoded_sha256_by_cpu", {}).get(kind)


def entry_stream(folder: Path, entry: dict, data: bytes | None = None) -> bytes:
    """The bytes an entry decodes: its file (data, if already read), cut at entry["bytes"]."""
    data = (folder / entry["file"]).read_bytes() if data is None else data
    n = entry.get("bytes")
    return data[:n] if n else data


def output_sha256(item, kind) -> str:
    """The recorded hash of a decoded item of a stream kind."""
    return media(kind).item_sha256(item)


def check_entry(folder: Path, entry: dict, reference=None) -> str | None:
    """None when the stream decodes as recorded, else a one-line reason.

    reference: None on the reference backend (the output must hash as recorded for this CPU kind,
    when one is recorded); on another backend, the reference decode's output, which must match
    within the kind's tolerance."""
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
    expected = recorded_output(entry)
    exact_everywhere = entry.get("output_cpu") == ANY_CPU
    if (reference is None or exact_everywhere) and expected is not None and m.item_sha256(item) != expected:
        return f"{label}: decoded output differs from the manifest"
    if reference is not None and (why := m.item_close(item, reference)):
        return f"{label}: {why}"
    return None


def load_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())
