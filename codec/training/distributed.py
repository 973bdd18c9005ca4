"""Data-parallel training across processes with PyTorch's own engine (torchrun + DDP).

`torchrun --nproc_per_node K tools/train_image.py ...` starts K copies of a training command; each
reads RANK / WORLD_SIZE / LOCAL_RANK from its environment, joins one process group (NCCL on GPUs,
Gloo on CPUs), draws its own crops (the batch is per process) and averages gradients with
DistributedDataParallel. Rank 0 alone writes checkpoints, logs and the progress bar, and runs the
validation; all ranks resume from the same checkpoint. A plain `python tools/train_image.py`
is a world of one and nothing here changes its behaviour.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def parallel(self) -> bool:
        return self.size > 1


_world = World()


def world() -> World:
    return _world


def setup() -> World:
    """Join the process group torchrun describes in the environment (once); a world of one when
    the command was not started by torchrun."""
    global _world
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size == 1 or dist.is_initialized():
        return _world
    _world = World(int(os.environ["RANK"]), size, int(os.environ.get("LOCAL_RANK", "0")))
    if torch.cuda.is_available():
        torch.cuda.set_device(_world.local_rank)
    # rank 0 validates by real coding while the others wait in their next collective: allow it
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo", timeout=timedelta(hours=2))
    return _world


def device() -> str:
    return f"cuda:{_world.local_rank}" if torch.cuda.is_available() else "cpu"


def wrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module to call for the training loss: DDP across processes, the model itself alone.
    find_unused_parameters: some parameters take no part in the loss (the entropy bottleneck's
    quantiles are fitted by the auxiliary loss), and DDP must not wait for their gradients."""
    if not _world.parallel:
        return model
    ids = [_world.local_rank] if torch.cuda.is_available() else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)


def average_gradients(params) -> None:
    """Average gradients computed outside DDP's forward (the auxiliary loss) over the ranks."""
    if not _world.parallel:
        return
    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad /= _world.size


def any_rank(flag: bool) -> bool:
    """True on every rank when flag is true on one (so that all ranks stop at the same step)."""
    if not _world.parallel:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device())
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def barrier() -> None:
    if _world.parallel:
        dist.barrier()


def teardown() -> None:
    global _world
    if dist.is_initialized():
        dist.destroy_process_group()
    _world = World()
