#!/usr/bin/env python3
"""Choose the layer ends of a progressive model from measured rates (before export).

    python tools/layer_bounds.py checkpoints/vam/last.pt [--data ../shared/data/kodak] [--layers 15]

Codes every image with a fine grid of layer ends (every 0.5% of the residual elements), averages
the file size at each end, and picks `--layers` ends whose mean rates are spaced evenly in log-rate
between the first layer and the full stream, so the truncated RD curve has evenly spread points.
The model's REM end is always kept. Prints the list to pass to tools/export_weights.py --bounds.
The layer ends do not change the trained weights: they only say where the sorted residual is cut.
"""
import argparse

import numpy as np
from tqdm import tqdm

from codec.container import ChunkType, Header, Kind, packed_size
from codec.image.coding import compress_progressive
from codec.image.eval.runner import load_folder
from codec.image.models.masking import FRACTION_UNIT
from codec.image.training.export import model_from_checkpoint


def choose(grid, mean_bpp, n_layers, keep):
    """Grid ends whose rates are closest to log-even targets; `keep` always included."""
    lo, hi = mean_bpp[0], mean_bpp[-1]
    targets = np.exp(np.linspace(np.log(lo), np.log(hi), n_layers))
    chosen = {grid[int(np.argmin(np.abs(np.log(mean_bpp) - np.log(t))))] for t in targets}
    chosen |= {keep, grid[-1]}
    return sorted(chosen)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--data", default="../shared/data/kodak")
    p.add_argument("--layers", type=int, default=15)
    p.add_argument("--step", type=int, default=50, help="grid step in 1/10000 of the elements")
    a = p.parse_args()
    model = model_from_checkpoint(a.checkpoint)[0]
    grid = list(range(a.step, FRACTION_UNIT + 1, a.step))
    if model.rem_at not in grid:
        grid = sorted(set(grid) | {model.rem_at})
    model.residual.bounds = grid  # a throwaway copy: only where the sorted residual is cut changes
    images = load_folder(a.data)
    sizes = []
    for name, rgb in tqdm(images, desc="coding"):
        h, w = rgb.shape[:2]
        z, y, layers = compress_progressive(model, rgb)
        hdr = Header(Kind.IMAGE, "x" * 16, bytes(8), w, h)
        head = [(ChunkType.HYPER, z), (ChunkType.LATENT, y)]
        cum = [hdr.rate(packed_size(hdr, head + [(ChunkType.RESIDUAL, s) for s in layers[:k]]))
               for k in range(len(grid) + 1)]
        sizes.append(cum)
    mean = np.mean(sizes, axis=0)
    print(f"base {mean[0]:.4f} bpp, full {mean[-1]:.4f} bpp over {len(images)} images")
    for frac in (100, 500, 1000, 2000, 5000, 10000):
        if frac in grid:
            print(f"  first {frac / 100:.1f}% of the elements: {mean[grid.index(frac) + 1]:.4f} bpp")
    bounds = choose(grid, mean[1:], a.layers, model.rem_at)
    print("bounds:", ",".join(map(str, bounds)))
    print("mean bpp at each:", ", ".join(f"{mean[grid.index(b) + 1]:.3f}" for b in bounds))


if __name__ == "__main__":
    main()
