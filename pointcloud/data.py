"""ModelNet10 as training and test arrays: every shape in its canonical frame (transform.py).

The split folders `<class>/{train,test}/*.pcd` are read once and cached as one .npy per split
in the run's cache folder (a few seconds to rebuild)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .io import read_cloud
from .transform import Frame, resample


def split_files(root: str | Path, split: str) -> list[Path]:
    files = sorted(Path(root).glob(f"*/{split}/*.pcd"))
    if not files:
        raise FileNotFoundError(f"no ModelNet10 {split} shapes (<class>/{split}/*.pcd) under {root}")
    return files


def canonical_split(root: str | Path, split: str, points: int = 1024, cache: Path | None = None) -> np.ndarray:
    """(shapes, points, 3) float32 canonical clouds of a split."""
    if cache is not None and (cache / f"modelnet10-{split}.npy").exists():
        return np.load(cache / f"modelnet10-{split}.npy")
    out = np.stack([Frame.of(p).to_canonical(resample(p, points)).astype(np.float32)
                    for p in (read_cloud(str(f)) for f in split_files(root, split))])
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(cache / f"modelnet10-{split}.npy", out)
    return out
