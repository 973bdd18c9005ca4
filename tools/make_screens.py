#!/usr/bin/env python3
"""Render the screen-content domain (codec/image/training/screens.py) as PNG files.

    python tools/make_screens.py --out checkpoints/screens [--train 240 --test 12] \
        [--photos ../shared/data/bsds500]

Writes OUT/train/screen-NNNN.png and OUT/test/screen-NNNN.png (lossless). The train split draws
its photos from PHOTOS/train, the test split from PHOTOS/test (BSDS500's own split); text comes
from disjoint halves of Python's standard library. Existing files are kept (resumable); the same
command gives the same pixels.
"""
import argparse
from pathlib import Path

from tqdm import tqdm

from codec.atomic import atomic_write
from codec.image.io import list_images
from codec.image.training.screens import screen


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--train", type=int, default=240)
    p.add_argument("--test", type=int, default=12)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--photos", type=Path, default=Path("../shared/data/bsds500"),
                   help="a folder with train/ and test/ photo subfolders (absent: gradients stand in)")
    a = p.parse_args()
    for split, n in (("train", a.train), ("test", a.test)):
        folder = a.photos / split
        photos = list_images(folder) if folder.is_dir() else []
        if not photos:
            print(f"note: no photos in {folder}: gradients stand in for the photos inside screens")
        (a.out / split).mkdir(parents=True, exist_ok=True)
        for i in tqdm(range(n), desc=split):
            path = a.out / split / f"screen-{i:04d}.png"
            if not path.exists():
                im = screen(split, i, a.seed, photos)
                atomic_write(str(path), lambda f: im.save(f, format="PNG"))


if __name__ == "__main__":
    main()
