"""Results folders, BD-rate tables and RD plots, for our results and the published anchors alike."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .bd import METHOD, bd_psnr, bd_rate


def load_results(folder: Path) -> dict[str, dict]:
    """Every *.json in CompressAI's results schema in a folder, by file stem."""
    out = {}
    for p in sorted(Path(folder).glob("*.json")):
        try:
            d = json.loads(p.read_text())
        except json.JSONDecodeError:
            continue
        if isinstance(d, dict) and "results" in d and "bpp" in d.get("results", {}):
            out[p.stem] = d
    return out


def clip_results(res: dict, lo: float, hi: float) -> dict:
    """The curve restricted to rates in [lo, hi]: interior points plus points interpolated (in
    log-rate) at lo and hi where the curve spans them."""
    r = res["results"]
    pts = sorted(zip(r["bpp"], r["psnr-rgb"]))
    xs, ys = np.log([p[0] for p in pts]), [p[1] for p in pts]
    keep = [(b, q) for b, q in pts if lo <= b <= hi]
    for edge in (lo, hi):
        if pts[0][0] < edge < pts[-1][0] and all(abs(b - edge) > 1e-9 for b, _ in keep):
            keep.append((edge, float(np.interp(np.log(edge), xs, ys))))
    keep.sort()
    return {**res, "results": {"bpp": [b for b, _ in keep], "psnr-rgb": [q for _, q in keep]}}


def bd_table(ours: dict[str, dict], refs: dict[str, dict], rate_range: tuple[float, float] | None = None) -> list[dict]:
    """BD of every curve of ours against every reference; with rate_range, both curves are
    first clipped to that bpp range (clip_results)."""
    rows = []
    for name, test in ours.items():
        for ref_name, ref in refs.items():
            t, r = (clip_results(test, *rate_range), clip_results(ref, *rate_range)) if rate_range else (test, ref)
            a, b = r["results"], t["results"]
            rows.append({"codec": name, "reference": ref_name,
                         "bd_rate_percent": bd_rate(a["bpp"], a["psnr-rgb"], b["bpp"], b["psnr-rgb"]),
                         "bd_psnr_db": bd_psnr(a["bpp"], a["psnr-rgb"], b["bpp"], b["psnr-rgb"])})
    return rows


def bd_markdown(rows: list[dict]) -> str:
    refs = list(dict.fromkeys(r["reference"] for r in rows))
    codecs = list(dict.fromkeys(r["codec"] for r in rows))
    fmt = lambda v: "n/a" if v is None else f"{v:+.1f}%"
    lines = ["| codec | " + " | ".join(f"vs {r}" for r in refs) + " |",
             "|---" * (len(refs) + 1) + "|"]
    for c in codecs:
        cells = [fmt(next(r["bd_rate_percent"] for r in rows if r["codec"] == c and r["reference"] == ref))
                 for ref in refs]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines.append(f"\nBD-rate, negative = fewer bits at equal PSNR. Method: {METHOD}.")
    return "\n".join(lines)


def plot_rd(curves: list[tuple[str, dict, str]], path: Path, title: str,
            xlim=(0, 2.0), ylim=(24, 42)) -> None:
    """curves: (label, results, style) with style 'ours' (solid), 'classical' (dashed), 'anchor' (dotted)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ls = {"ours": "-", "classical": "--", "anchor": ":"}
    fig, ax = plt.subplots(figsize=(8, 6), dpi=110)
    for label, res, style in curves:
        r = res["results"]
        pts = sorted(zip(r["bpp"], r["psnr-rgb"]))
        ax.plot([p[0] for p in pts], [p[1] for p in pts], ls[style], marker="o" if style == "ours" else ".",
                lw=2.2 if style == "ours" else 1.3, ms=4, label=label)
    ax.set_xlabel("bits per pixel (real file sizes)")
    ax.set_ylabel("PSNR RGB (dB)")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
