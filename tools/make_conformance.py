#!/usr/bin/env python3
"""(Re)generate the conformance set in bitstreams/ with the shipped models.

    python tools/make_conformance.py [--data ../shared/data/kodak]

Sources: a natural crop (kodim23), its greyscale version, a portrait crop (kodim04), an odd size
(37x23), a few-pixel image (3x2), 1x1, and an RGBA image; the natural crop is also coded with
every shipped image model, and every source with each integer-synthesis model (pixel-exact on
every machine: recorded with output_cpu "any"); models with domain adapters also code a
generated screenshot (their adapters at work). Point-cloud sources (two ModelNet10 test shapes, one resampled to 700
points and written as PLY) are coded with every shipped point-cloud model. Each entry records the sha256 of the decoded pixels and of the decoded
latent (see codec/conformance.py). A progressive stream is also recorded at several truncations: at layer ends
(via `strata trim`'s byte counts) and inside a layer (a torn last chunk). Entries of earlier
models stay in the manifest. Existing entries are never silently rewritten: if a stream made by the same
format version and the same weights now decodes differently, the tool stops and says to bump the
format or model version instead.
"""
import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from codec.api import decode_stream, encode_item
from codec.conformance import ANY_CPU, MANIFEST, cpu_kind, entry_stream, output_sha256, recorded_output
from codec.container import VERSION, Kind
from codec.contract import ADAPTERS, INTEGER_SYNTHESIS, LAYERS, DecodeOptions
from codec.registry import default_model, list_models, media_for_path, model_info
from codec.image.training.screens import screen
from codec.trim import trim


def sources(data: Path, tmp: Path) -> dict[str, Path]:
    out = {}
    k23 = Image.open(data / "kodim23.png").convert("RGB").crop((256, 128, 512, 320))
    k04 = Image.open(data / "kodim04.png").convert("RGB").crop((100, 200, 260, 440))
    rng = np.random.default_rng(7)
    rgba = np.dstack([np.asarray(k23.resize((64, 48))),
                      np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))])
    images = {"natural": k23, "grey": k23.convert("L"), "portrait": k04,
              "odd37x23": k23.resize((37, 23), Image.LANCZOS),
              "few3x2": Image.fromarray(rng.integers(0, 256, (2, 3, 3), dtype=np.uint8)),
              "one1x1": Image.new("RGB", (1, 1), (200, 30, 90)),
              "alpha": Image.fromarray(rgba, "RGBA"),
              "screen": screen("test", 0, size=(256, 192))}  # for models with adapters
    for name, im in images.items():
        out[name] = tmp / f"{name}.png"
        im.save(out[name])
    return out


def cloud_sources(data: Path, tmp: Path) -> dict[str, Path]:
    from pointcloud.io import read_cloud, write_cloud
    chair = read_cloud(data / "chair" / "test" / "chair_0890.pcd")
    sofa = read_cloud(data / "sofa" / "test" / "sofa_0681.pcd")
    out = {"chair": tmp / "chair.pcd", "sofa700": tmp / "sofa700.ply"}
    write_cloud(chair, out["chair"])
    write_cloud(sofa[np.random.default_rng(3).permutation(len(sofa))[:700]], out["sofa700"])
    return out


def add_cpu_kind(folder: Path) -> None:
    manifest = json.loads((folder / MANIFEST).read_text())
    kind, added = cpu_kind(), 0
    for e in manifest["streams"]:
        if recorded_output(e, kind) is not None:
            continue
        stream = entry_stream(folder, e)
        img, report = decode_stream(stream, DecodeOptions(want_latent=True))
        if report.latent_sha256 != e["latent_sha256"]:
            sys.exit(f"make_conformance: error: {e['file']}: latent differs from the manifest on {kind}")
        e.setdefault("decoded_sha256_by_cpu", {})[kind] = output_sha256(img, report.header.kind)
        added += 1
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{added} output hashes recorded for CPU kind {kind}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("../shared/data/kodak"))
    p.add_argument("--clouds", type=Path, default=Path("../shared/data/modelnet10"))
    p.add_argument("--models", nargs="+", metavar="NAME",
                   help="make only these models' streams (e.g. newly shipped ones); other entries are kept")
    p.add_argument("--out", type=Path, default=Path("bitstreams"))
    p.add_argument("--add-cpu-kind", action="store_true",
                   help="record this CPU kind's output hashes for the existing entries (only where "
                        "the decoded latent matches the manifest); changes nothing else")
    a = p.parse_args()
    if a.add_cpu_kind:
        add_cpu_kind(a.out)
        return
    import tempfile
    a.out.mkdir(exist_ok=True)
    old = {}
    if (a.out / MANIFEST).exists():
        old = {e["file"] + str(e.get("bytes")): e for e in json.loads((a.out / MANIFEST).read_text())["streams"]}
    entries, default = [], default_model()
    with tempfile.TemporaryDirectory() as tmp:
        src = sources(a.data, Path(tmp))
        clouds = cloud_sources(a.clouds, Path(tmp))
        src.update(clouds)
        images = [m.name for m in list_models() if m.codec.kind == Kind.IMAGE]
        exact = [m for m in images if INTEGER_SYNTHESIS in model_info(m).codec.capabilities]
        adapted = [m for m in images if ADAPTERS in model_info(m).codec.capabilities]
        jobs = ([(name, default) for name in src if name not in clouds and name != "screen"]
                + [("natural", m) for m in images if m != default] + [("screen", m) for m in adapted]
                # integer synthesis: pixel-exact everywhere, so every image source is worth recording
                + [(name, m) for m in exact for name in src if name not in clouds and name not in ("natural", "screen")]
                + [(name, m.name) for m in list_models() if m.codec.kind == Kind.POINT_CLOUD for name in clouds])
        if a.models:
            jobs = [(name, model) for name, model in jobs if model in a.models]
        for name, model in jobs:
            data = encode_item(media_for_path(str(src[name])).read(str(src[name]), 10**8), model)[0]
            fname = f"{name}.{model}.strata"
            (a.out / fname).write_bytes(data)
            cuts = [None]
            if LAYERS in model_info(model).codec.capabilities and name == "natural":
                n = trim(data, layers=0)[2]
                ends = sorted({len(trim(data, layers=k)[0]) for k in (0, 1, n // 3, n // 2, n - 1)})
                cuts += ends + [ends[-1] + 7]  # layer ends, then a cut inside the next layer
            for cut in cuts:
                stream = data[:cut] if cut else data
                img, report = decode_stream(stream, DecodeOptions(want_latent=True))
                entries.append({"file": fname, "source": name, "sha256": hashlib.sha256(data).hexdigest(),
                                "bytes": cut, "model": model, "model_sha256": model_info(model).sha256,
                                "format_version": VERSION,
                                "decoder": {"threads": [1, 2], "max_pixels": "default"},
                                "width": report.header.width, "height": report.header.height, "mode": report.header.mode,
                                "decoded_sha256": output_sha256(img, report.header.kind),
                                "output_cpu": ANY_CPU if model in exact else cpu_kind(),
                                "latent_sha256": report.latent_sha256})
    made = {e["file"] + str(e.get("bytes")) for e in entries}
    registered = {m.name: m.sha256 for m in list_models()}
    kept = [e for k, e in old.items() if k not in made and registered.get(e["model"]) == e["model_sha256"]
            and (a.out / e["file"]).exists()]
    for e in entries:
        prev = old.get(e["file"] + str(e.get("bytes")))
        if prev:  # keep what other CPU kinds recorded; this kind's hash goes where it belongs
            e["output_cpu"] = prev.get("output_cpu", e["output_cpu"])
            e["decoded_sha256_by_cpu"] = dict(prev.get("decoded_sha256_by_cpu", {}))
            if e["output_cpu"] != ANY_CPU and cpu_kind() != e["output_cpu"]:
                e["decoded_sha256_by_cpu"][cpu_kind()] = e["decoded_sha256"]
                e["decoded_sha256"] = prev["decoded_sha256"]
        same_version = prev and prev["format_version"] == e["format_version"] and prev["model_sha256"] == e["model_sha256"]
        changed = same_version and any(prev.get(f, e[f]) != e[f] for f in ("sha256", "latent_sha256"))
        recorded = recorded_output(prev, cpu_kind()) if prev else None
        if changed or same_version and recorded is not None and recorded != e["decoded_sha256"]:
            sys.exit(f"make_conformance: error: {e['file']} changed under format version {VERSION} and the "
                     "same weights; bump the format or model version instead of rewriting the manifest")
    entries = kept + entries
    (a.out / MANIFEST).write_text(json.dumps({"format_version": VERSION, "streams": entries}, indent=1) + "\n")
    print(f"{len(entries)} conformance entries in {a.out} ({len(kept)} kept from earlier models)")


if __name__ == "__main__":
    main()
