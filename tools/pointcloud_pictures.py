#!/usr/bin/env python3
"""Pictures of ModelNet10 test shapes: the original and the decode of every shipped point-cloud
model (real streams, the models' default sampler), one row per shape.

    python tools/pointcloud_pictures.py --data ../shared/data/modelnet10 --out results/modelnet10/shapes.png
"""
import argparse
from pathlib import Path

import numpy as np

from codec import api
from pointcloud.evaluate import strata_models
from pointcloud.io import read_cloud
from pointcloud.metrics import distortion

SHAPES = ("chair/test/chair_0890.pcd", "sofa/test/sofa_0681.pcd", "toilet/test/toilet_0345.pcd",
          "monitor/test/monitor_0466.pcd")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("../shared/data/modelnet10"))
    p.add_argument("--out", type=Path, default=Path("results/modelnet10/shapes.png"))
    a = p.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    models = strata_models()
    fig = plt.figure(figsize=(2.6 * (len(models) + 1), 2.6 * len(SHAPES)))
    for row, rel in enumerate(SHAPES):
        pts = read_cloud(a.data / rel)
        lo, hi = pts.min(0), pts.max(0)
        panels = [("original", pts)]
        for name in models:
            data = api.encode(pts, name)
            rec, _ = api.decode(data)
            d = distortion(pts, rec)
            panels.append((f"{name}\n{len(data) * 8 / len(pts):.2f} bpp, D1 {d['d1_psnr']:.1f} dB", rec))
        for col, (title, cloud) in enumerate(panels):
            ax = fig.add_subplot(len(SHAPES), len(panels), row * len(panels) + col + 1, projection="3d")
            ax.scatter(cloud[:, 0], cloud[:, 2], cloud[:, 1], s=1.5, c=cloud[:, 1], cmap="viridis")
            ax.set_xlim(lo[0], hi[0]), ax.set_ylim(lo[2], hi[2]), ax.set_zlim(lo[1], hi[1])
            ax.set_box_aspect(np.maximum(hi - lo, 1e-9)[[0, 2, 1]])
            ax.view_init(elev=20, azim=-60)
            ax.set_axis_off()
            ax.set_title(title, fontsize=7)
    fig.tight_layout()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.out, dpi=100)
    print(a.out)


if __name__ == "__main__":
    main()
