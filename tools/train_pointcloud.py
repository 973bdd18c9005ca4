#!/usr/bin/env python3
"""Train the DDPM point-cloud coder on ModelNet10 (resumable: rerun the command to continue).

    python tools/train_pointcloud.py --out checkpoints/pc-ddpm --steps 30000

Export the result as shipped weights with tools/export_pointcloud.py.
"""
from codec.training.config import parse_config
from pointcloud.training import PointCloudConfig, train

if __name__ == "__main__":
    cfg = parse_config(PointCloudConfig, __doc__, "../shared/data/modelnet10")
    try:
        train(cfg)
    except FileNotFoundError as e:
        raise SystemExit(f"error: {e}") from None
