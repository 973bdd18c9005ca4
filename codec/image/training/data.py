"""Training data: a folder of images held in memory, served as random crops with flips."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ...errors import OptionError
from ..io import list_images



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


def require_crop_multiple(crop: int, stride: int) -> None:
    """A crop the model's coarsest grid (z's) does not tile exactly fails deep in the first step
    with a shape error: refuse it up front, in one line."""
    if crop % stride:
        raise OptionError("crop", f"must be a multiple of {stride}, not {crop}")


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


class CropSampler:
    """Random crops (with horizontal and vertical flips) from images held as uint8 arrays.

    scale_min < 1 also shrinks each crop by a random factor in [scale_min, 1] (a region of
    crop/s pixels, resized with Pillow's antialiasing filter). BSDS500 is stored as 4:2:0 JPEG:
    at full size its chroma is half-resolution and carries block artefacts, and a model trained
    on it never sees full-resolution chroma; shrinking restores it and removes the artefacts
    (learned codecs are commonly trained on downsampled photos for this reason). Measured here:
    no gain over a 1,000-step fine-tune; meant for long runs. scale_min = 1: the plain sampler.
    """

    def __init__(self, files: list[Path], crop: int, seed: int = 0, scale_min: float = 1.0):
        if not 0 < scale_min <= 1:
            raise ValueError(f"scale_min must be in (0, 1], not {scale_min}")
        self.images = [load_rgb(p) for p in files]
        self.images = [im for im in self.images if min(im.shape[:2]) >= crop]
        if not self.images:
            raise ValueError(f"no training image is at least {crop}x{crop}")
        self.crop, self.scale_min = crop, scale_min
        self.rng = np.random.default_rng(seed)

    def _patch(self, im: np.ndarray) -> np.ndarray:
        c, rng = self.crop, self.rng
        if self.scale_min == 1:
            t, l = rng.integers(im.shape[0] - c + 1), rng.integers(im.shape[1] - c + 1)
            return im[t:t + c, l:l + c]
        # the shrink factor is bounded by the image: the source region must fit inside it
        s = rng.uniform(max(self.scale_min, c / min(im.shape[:2])), 1.0)
        side = min(int(round(c / s)), *im.shape[:2])
        t, l = rng.integers(im.shape[0] - side + 1), rng.integers(im.shape[1] - side + 1)
        region = Image.fromarray(np.ascontiguousarray(im[t:t + side, l:l + side]))
        return np.asarray(region.resize((c, c), Image.Resampling.LANCZOS))

    def batch(self, n: int) -> torch.Tensor:
        rng, out = self.rng, []
        for _ in range(n):
            patch = self._patch(self.images[rng.integers(len(self.images))])
            if rng.random() < 0.5:
                patch = patch[:, ::-1]
            if rng.random() < 0.5:
                patch = patch[::-1]
            out.append(np.ascontiguousarray(patch))
        x = torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float().div_(255)
        return x.contiguous(memory_format=torch.channels_last)
