"""Cut a layered stream to fewer layers without re-encoding (`strata trim`).

Works on the container and the codec class alone (no model is loaded, no torch): the result
keeps the header, everything that is not a layer (base, alpha plane) and the first K layers, and
is itself a valid stream: byte for byte the prefix of the input that ends after layer K.
"""
from __future__ import annotations

from . import container
from .contract import LAYERS, check_layer_count
from .errors import StrataError
from .layering import most_layers_within
from .registry import model_info


def trim(data: bytes, layers: int | None = None, max_bytes: int | None = None,
         bpp: float | None = None) -> tuple[bytes, int, int]:
    """Exactly one of layers / max_bytes / bpp. Returns (stream, layers kept, layers in input)."""
    if sum(v is not None for v in (layers, max_bytes, bpp)) != 1:
        raise StrataError("give exactly one of layers, bytes, bpp")
    stream = container.parse(data, max_pixels=1 << 62)  # trimming allocates nothing per pixel
    hdr = stream.header
    cls = model_info(hdr.model).codec
    if LAYERS not in cls.capabilities:
        raise StrataError(f"{hdr.model} streams are single-rate: there are no layers to trim")
    cls.check_stream(stream)
    head = stream.without(cls.layer_chunk)
    layer_chunks = [(cls.layer_chunk, p) for p in cls.layers(stream)]
    n = len(layer_chunks)
    check_layer_count(layers)
    if layers is not None:
        k = min(layers, n)
    else:
        budget = max_bytes if max_bytes is not None else int(bpp * hdr.width * hdr.height / 8)
        sizes = [container.packed_size(hdr, head + layer_chunks[:k]) for k in range(n + 1)]
        k = most_layers_within(sizes, budget)
        if k is None:
            raise StrataError(f"the base layer alone needs {sizes[0]} bytes "
                              f"({hdr.rate(sizes[0]):.4f} bpp), over the budget")
    return container.pack(hdr, head + layer_chunks[:k]), k, n
