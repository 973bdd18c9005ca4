"""Cut a progressive stream to fewer residual layers without re-encoding (`strata trim`).

Works on the container alone (no model is loaded): the result keeps the header, the base layer,
the alpha plane and the first K residual layers, and is itself a valid stream: byte for byte the
prefix of the input that ends after layer K.
"""
from __future__ import annotations

from . import container
from .container import ChunkType
from .errors import StrataError


def trim(data: bytes, layers: int | None = None, max_bytes: int | None = None,
         bpp: float | None = None) -> tuple[bytes, int, int]:
    """Exactly one of layers / max_bytes / bpp. Returns (stream, layers kept, layers in input)."""
    if sum(v is not None for v in (layers, max_bytes, bpp)) != 1:
        raise StrataError("give exactly one of --layers, --bytes, --bpp")
    stream = container.parse(data, max_pixels=1 << 62)  # trimming allocates nothing per pixel
    hdr = stream.header
    from .registry import model_info
    if not model_info(hdr.model).progressive:
        raise StrataError(f"{hdr.model} streams are single-rate: there are no layers to trim")
    head = [(t, p) for t, p in stream.chunks if t != ChunkType.RESIDUAL]
    residual = [(t, p) for t, p in stream.chunks if t == ChunkType.RESIDUAL]
    if stream.payload(ChunkType.HYPER) is None or stream.payload(ChunkType.LATENT) is None:
        raise StrataError("truncated stream: the base layer is incomplete")
    n = len(residual)
    if layers is not None:
        if layers < 0:
            raise StrataError("--layers must be 0 or more")
        k = min(layers, n)
    else:
        budget = max_bytes if max_bytes is not None else int(bpp * hdr.width * hdr.height / 8)
        sizes = [container.packed_size(hdr, head + residual[:k]) for k in range(n + 1)]
        if sizes[0] > budget:
            raise StrataError(f"the base layer alone needs {sizes[0]} bytes "
                              f"({sizes[0] * 8 / (hdr.width * hdr.height):.4f} bpp), over the budget")
        k = max(i for i, s in enumerate(sizes) if s <= budget)
    return container.pack(hdr, head + residual[:k]), k, n
