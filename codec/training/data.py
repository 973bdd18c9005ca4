"""Training data: a folder of images held in memory, served as random crops with flips."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def split_train_val(root: Path, n_val: int = 8) -> tuple[list[Path], list[Path]]:
    """A `val/` subfolder is the validation set if present; otherwise the last n_val images."""
    files = list_images(root)
    if not files:
        raise FileNotFoundError(f"no images under {root}")
    val = [p for p in files if "val" in p.relative_to(root).parts[:-1]]
    train = [p for p in files if p not in set(val)]
    if not val:
        train, val = files[:-n_val], files[-n_val:]
    return train, val


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


class CropSampler:
    """Random crops (with horizontal and vertical flips) from images held as uint8 arrays."""

    def __init__(self, files: list[Path], crop: int, seed: int = 0):
        self.images = [load_rgb(p) for p in files]
        self.images = [im for im in self.images if min(im.shape[:2]) >= crop]
        if not self.images:
            raise ValueError(f"no training image is at least {crop}x{crop}")
        self.crop = crop
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> torch.Tensor:
        c, rng, out = self.crop, self.rng, []
        for _ in range(n):
            im = self.images[rng.integers(len(self.images))]
            t, l = rng.integers(im.shape[0] - c + 1), rng.integers(im.shape[1] - c + 1)
            patch = im[t:t + c, l:l + c]
            if rng.random() < 0.5:
                patch = patch[:, ::-1]
            if rng.random() < 0.5:
                patch = patch[::-1]
            out.append(np.ascontiguousarray(patch))
        x = torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float().div_(255)
        return x.contiguous(memory_format=torch.channels_last)
