#!/usr/bin/env python3
"""Per-domain evaluation of models with domain adapters: the same real files decoded with the
gate's adapters and with the plain decoder (codec/image/eval/adapters.py).

    python tools/eval_adapters.py --models progressive-vam-2-da1 hyperprior-mid-3-da1 \
        [--data ../shared/data] [--screens checkpoints/screens/test] [--layers 0 2 4 8 12 16] [--limit N]

Domains: natural = Kodak, comics = manga109/test, screen = the generated test split
(tools/make_screens.py); and, for the gate only, Kodak with overlaid text (a domain it was not
trained on). Writes OUT/<model>.json per model (each domain cached: rerun resumes; --force
redoes) and OUT/summary.md: PSNR with and without adapters per quality, BD-rate saving, the
gate's confusion matrix, decode-time overhead, parameter counts.
"""
import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", required=True)
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--screens", type=Path, default=Path("checkpoints/screens/test"))
    p.add_argument("--layers", type=int, nargs="+", default=[0, 2, 4, 8, 12, 16],
                   help="progressive models: the layer counts evaluated")
    p.add_argument("--limit", type=int, help="at most N images per domain")
    p.add_argument("--out", type=Path, default=Path("results/adapters"))
    p.add_argument("--force", action="store_true")
    a = p.parse_args()
    from codec.image.eval.adapters import bd_saving, confusion, eval_adapted, summarise
    from codec.image.eval.runner import load_folder
    from codec.image.training.screens import with_overlaid_text
    from codec.registry import load_codec, model_info
    folders = {"natural": a.data / "kodak", "comics": a.data / "manga109" / "test", "screen": a.screens}
    for f in folders.values():
        if not f.is_dir():
            raise SystemExit(f"eval_adapters: error: no such folder {f}")
    sets = {d: load_folder(f)[:a.limit] for d, f in folders.items()}
    a.out.mkdir(parents=True, exist_ok=True)
    for model in a.models:
        path = a.out / f"{model}.json"
        res = json.loads(path.read_text()) if path.exists() and not a.force else {"model": model, "domains": {}}
        info = model_info(model)
        domains = info.args["domains"]
        for d, images in sets.items():
            if d in res["domains"]:
                continue
            rows = []
            for name, rgb in tqdm(images, desc=f"{model} {d}"):
                rows += eval_adapted(model, [(name, rgb)], a.layers)
            res["domains"][d] = {"rows": rows, "summary": summarise(rows)}
            path.write_text(json.dumps(res, indent=1))
        if "overlay" not in res:
            codec = load_codec(model)
            from codec import api
            from codec.container import parse
            from codec.contract import LAYERS
            base_only = {"layers": 0} if LAYERS in info.codec.capabilities else {}  # the gate reads the base
            gates = []
            for i, (name, rgb) in enumerate(tqdm(sets["natural"], desc=f"{model} overlay")):
                stream = parse(api.encode(with_overlaid_text(rgb, i), model, **base_only))
                gates.append(codec.details(stream)["gate"])
            res["overlay"] = {"mean_gate": {d: round(float(np.mean([g[d] for g in gates])), 3) for d in domains},
                              "top_choice": {d: sum(max(g, key=g.get) == d for g in gates) for d in domains}}
        res["confusion"] = {"domains": domains,
                            "counts": confusion({d: v["rows"] for d, v in res["domains"].items()}, domains)}
        res["bd_rate_percent"] = {d: bd_saving(v["summary"]) for d, v in res["domains"].items()}
        res["parameters"] = info.extra.get("parameters")
        path.write_text(json.dumps(res, indent=1))
    write_summary(a.out)


def write_summary(out: Path) -> None:
    lines = ["# Domain adapters: the same files decoded with and without adapters", "",
             "Written by `python tools/eval_adapters.py`; rates are real file sizes (progressive: the file cut "
             "to K layers). Gain: PSNR with the gate's adapters minus PSNR of the plain decoder.", ""]
    for path in sorted(out.glob("*.json")):
        res = json.loads(path.read_text())
        if "confusion" not in res:
            continue
        lines += [f"## {res['model']}", "", f"Parameters: {res.get('parameters')}", "",
                  "| domain | layers | bpp | PSNR plain | PSNR adapted | gain (dB) | decode overhead |",
                  "|---|---|---|---|---|---|---|"]
        for d, v in res["domains"].items():
            for s in v["summary"]:
                k = "-" if s["layers"] is None else s["layers"]
                lines.append(f"| {d} | {k} | {s['bpp']:.4f} | {s['psnr_plain']:.2f} | {s['psnr_adapted']:.2f} | "
                             f"{s['gain_db']:+.3f} | {s['decode_overhead'] * 100:+.1f}% |")
        lines += ["", "BD-rate of adapted vs plain (negative: bits saved): " + ", ".join(
            f"{d} {'n/a' if b is None else f'{b:+.1f}%'}" for d, b in res["bd_rate_percent"].items()), ""]
        doms = res["confusion"]["domains"]
        lines += ["Gate confusion (rows: true domain, columns: gate's top choice):", "",
                  "| | " + " | ".join(doms) + " |", "|---" * (len(doms) + 1) + "|"]
        for d, row in zip(res["domains"], res["confusion"]["counts"]):
            lines.append(f"| {d} | " + " | ".join(map(str, row)) + " |")
        if "overlay" in res:
            o = res["overlay"]
            lines += ["", "Kodak with overlaid text (not a training domain): mean gate weights "
                      + ", ".join(f"{d} {v:.2f}" for d, v in o["mean_gate"].items()) + "; top choice "
                      + ", ".join(f"{d} {v}" for d, v in o["top_choice"].items()), ""]
    lines += family_lines(out)
    (out / "summary.md").write_text("\n".join(lines) + "\n")


def family_lines(out: Path) -> list[str]:
    """The single-rate adapted models as one curve per domain (one point per model): their
    BD-rate saving, as the progressive model's layers give one."""
    from codec.image.eval.adapters import bd_saving
    points: dict[str, list] = {}
    models = []
    for path in sorted(out.glob("*.json")):
        res = json.loads(path.read_text())
        if "confusion" not in res or any(s["layers"] is not None for v in res["domains"].values()
                                         for s in v["summary"]):
            continue
        models.append(res["model"])
        for d, v in res["domains"].items():
            points.setdefault(d, []).extend(v["summary"])
    if len(models) < 2:
        return []
    return ["## Single-rate family: " + ", ".join(models), "",
            "BD-rate of adapted vs plain over the models' points (negative: bits saved): " + ", ".join(
                f"{d} {'n/a' if b is None else f'{b:+.1f}%'}"
                for d, b in ((d, bd_saving(sorted(p, key=lambda s: s["bpp"]))) for d, p in points.items())), ""]


if __name__ == "__main__":
    main()
