"""Training data: a folder of images held in memory, served as random crops with flips."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ...errors import OptionError
from ..io import list_images



def split_train_val(root: Path, n_val: int = 8) -> tuple[list[Path], list[Path]]:
    """A `val/` subfolder is the validation set if present; otherwise the last n_val images.
    A `test/` subfolder is never trained on (BSDS500's test split is an evaluation set)."""
    files = list_images(root)
    if not files:
        raise FileNotFoundError(f"no images under {root}")
    files = [p for p in files if "test" not in Path(p).relative_to(root).parts[:-1]]
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
        self.crop, self.scale_min, self.seed = crop, scale_min, seed
        self.rng = np.random.default_rng(seed)

    def _patch(self, im: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        c = self.crop
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
        """The next n crops from the sampler's own generator (its state travels in checkpoints)."""
        return self._draw(self.rng, n)

    def batch_at(self, step: int, n: int, rank: int = 0) -> torch.Tensor:
        """The crops of one training step, a function of (seed, rank, step) alone: a resumed run,
        a data-loading worker or another rank draws them without any shared generator state."""
        return self._draw(np.random.default_rng((self.seed, rank, step)), n)

    def _draw(self, rng: np.random.Generator, n: int) -> torch.Tensor:
        out = []
        for _ in range(n):
            patch = self._patch(self.images[rng.integers(len(self.images))], rng)
            if rng.random() < 0.5:
                patch = patch[:, ::-1]
            if rng.random() < 0.5:
                patch = patch[::-1]
            out.append(np.ascontiguousarray(patch))
        x = torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float().div_(255)
        return x.contiguous(memory_format=torch.channels_last)


class _StepBatches(torch.utils.data.Dataset):
    """Item `step` is that step's whole batch (CropSampler.batch_at)."""

    def __init__(self, sampler: CropSampler, n: int, rank: int):
        self.sampler, self.n, self.rank = sampler, n, rank

    def __len__(self) -> int:
        return 1 << 62

    def __getitem__(self, step: int) -> torch.Tensor:
        return self.sampler.batch_at(step, self.n, self.rank)


def _one_thread(_worker: int) -> None:
    torch.set_num_threads(1)  # workers crop and flip; the trainer keeps the cores for the model


def step_batches(sampler: CropSampler, n: int, start: int, stop: int, workers: int = 0,
                 rank: int = 0, pin: bool = False):
    """The batches of steps start..stop-1 in order. With workers > 0 they are cut ahead of time
    in that many processes (a GPU then never waits on Pillow); the batches are the same either way."""
    if workers == 0:
        return (sampler.batch_at(s, n, rank) for s in range(start, stop))
    return iter(torch.utils.data.DataLoader(
        _StepBatches(sampler, n, rank), batch_size=None, sampler=range(start, stop),
        num_workers=workers, pin_memory=pin, prefetch_factor=4, worker_init_fn=_one_thread))
