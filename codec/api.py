"""The Python API: encode and decode between stream bytes and in-memory items, for every kind.

    import codec.api as strata
    data = strata.encode(pil_image)                       # default model; or model="hyperprior-mid-3"
    data = strata.encode(array, bpp=0.3)                  # HxWx3 uint8; layered models: a rate target
    image, report = strata.decode(data)                   # PIL image; report.layers, .torn_bytes ...
    image, _ = strata.decode(data, layers=3)              # layered streams: the first 3 layers only
    data = strata.encode(points, model="pc32a32")         # (N, 3) float array: a point cloud
    points, _ = strata.decode(data, steps=50)             # (N, 3) float64; sampling decoders: steps, points

Streams dispatch on their kind and model (`registry`), encoders on the item's type (`Media`);
errors are `codec.errors.StrataError` with one line. The CLI is built on these functions.
"""
from __future__ import annotations

from . import container
from .container import DEFAULT_MAX_PIXELS, Stream
from .contract import Codec, DecodeOptions, DecodeReport, EncodeOptions, EncodeReport
from .errors import StrataError
from .registry import all_media, default_model, load_codec, media, model_info


def codec_for_stream(stream: Stream, options: DecodeOptions | None = None) -> Codec:
    """The loaded codec that decodes a parsed stream, after every check that needs no model:
    installed model, same weights, the stream's kind, its structure, the decode options."""
    hdr = stream.header
    info = model_info(hdr.model)
    if info.hash8 != hdr.weights_hash:
        raise StrataError(f"stream was made with different weights for model {hdr.model!r} "
                          "than the installed ones; decode it with the strata version that made it")
    cls = info.codec
    if cls.kind != hdr.kind:
        raise StrataError(f"corrupt header: a {hdr.kind.name.lower()} stream names "
                          f"{cls.kind.name.lower()} model {hdr.model!r}")
    cls.check_decode_options(info, options or DecodeOptions())
    cls.check_stream(stream)
    return load_codec(hdr.model)


def check_encode(model: str | None, options: EncodeOptions) -> str:
    """The model's name, after refusing options it cannot honour (before any model load)."""
    name = model or default_model()
    info = model_info(name)
    info.codec.check_options(info, options)
    return name


def encode_item(item, model: str | None = None, options: EncodeOptions | None = None) -> tuple[bytes, EncodeReport]:
    """An item a Media read (a Picture, ...) -> (stream bytes, report)."""
    options = options or EncodeOptions()
    return load_codec(check_encode(model, options)).encode(item, options)


def decode_stream(data: bytes | Stream, options: DecodeOptions | None = None,
                  max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[object, DecodeReport]:
    """Stream bytes (or a stream already parsed under max_pixels) -> (item, report)."""
    options = options or DecodeOptions()
    stream = data if isinstance(data, Stream) else container.parse(data, max_pixels)
    return codec_for_stream(stream, options).decode(stream, options)


def encode(obj, model: str | None = None, *, layers: int | None = None, bpp: float | None = None,
           psnr: float | None = None, effort: int = 0) -> bytes:
    """A PIL image or a uint8 array (HxW, HxWx3, HxWx4), or an (N, 3) float array (a point cloud)
    -> stream bytes. layers / bpp / psnr: how much of a layered stream to write; effort: encoder
    effort (single-rate and point-cloud models)."""
    for m in all_media():
        item = m.from_object(obj)
        if item is not None:
            return encode_item(item, model, EncodeOptions(layers, bpp, psnr, effort))[0]
    raise StrataError(f"cannot encode a {type(obj).__name__}: give a PIL image, a uint8 array "
                      "or an (N, 3) float array of points")


def decode(data: bytes, *, layers: int | None = None, steps: int | None = None, points: int | None = None,
           max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[object, DecodeReport]:
    """Stream bytes -> (decoded item, report): a PIL image for image streams, an (N, 3) float64
    array for point clouds (steps / points: sampler steps and output count)."""
    return decode_stream(data, DecodeOptions(layers=layers, steps=steps, points=points), max_pixels)


def stream_media(data: bytes | Stream):
    """The Media of a stream's kind (to write or describe what it decodes to)."""
    stream = data if isinstance(data, Stream) else container.parse(data, 1 << 62)
    return media(stream.header.kind)
