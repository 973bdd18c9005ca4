"""The command line of the image training tools: parse the config, split the data folders, train."""
from __future__ import annotations

from ...errors import StrataError
from ...training.config import parse_config
from .data import split_train_val

DEFAULT_DATA = "../shared/data/bsds500"


def train_from_command_line(cls, train, doc: str, n_val: int) -> None:
    """Parse the config, split each data folder (n_val validation images from each; the folders
    are mixed for training) and train. A configuration error ends the run with its one line."""
    train_config(parse_config(cls, doc, DEFAULT_DATA), train, n_val)


def train_config(cfg, train, n_val: int) -> None:
    """Split cfg's data folders and train; a configuration error ends the run with its one line."""
    try:
        train_files, val_files = [], []
        for folder in cfg.data:
            t, v = split_train_val(folder)
            train_files += t
            val_files += v[:n_val]
        print(f"{len(train_files)} training images, {len(val_files)} validation images")
        train(cfg, train_files, val_files)
    except (StrataError, FileNotFoundError) as e:
        raise SystemExit(f"error: {e}") from None
