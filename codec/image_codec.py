"""Image <-> stream: padding, model coding, alpha, and the container.

    Picture --pad to STRIDE--> model.compress --> [HYPER, LATENT, (ALPHA)] chunks --> container
    container --> check model/hash --> model.decompress --> crop --> clamp/round --> Picture mode
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import container
from .container import ChunkType, Header, Kind
from .errors import StrataError
from .image_io import Picture, to_pil
from .models.hyperprior import STRIDE
from .registry import load_model, model_info



@dataclass
class DecodeReport:
    header: Header
    torn_bytes: int


def _to_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(rgb, dtype=np.float32)).permute(2, 0, 1)[None].div_(255)


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    return x[0].clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).contiguous().numpy()


def compress_rgb(model, rgb: np.ndarray) -> tuple[bytes, bytes]:
    """HxWx3 uint8 -> (z string, y string); shared by the container path and training validation."""
    h, w = rgb.shape[:2]
    # Replicate padding to the model stride: cheaper to code than zeros, cropped at decode.
    x = F.pad(_to_tensor(rgb), (0, -w % STRIDE, 0, -h % STRIDE), mode="replicate")
    z_string, y_string, _ = model.compress(x)
    return z_string, y_string


def decompress_rgb(model, z_string: bytes, y_string: bytes, width: int, height: int) -> np.ndarray:
    """Inverse of compress_rgb: HxWx3 uint8."""
    z_shape = (-(-height // STRIDE), -(-width // STRIDE))
    return _to_uint8(model.decompress(z_string, y_string, z_shape)[..., :height, :width])


def encode_picture(pic: Picture, model_name: str) -> bytes:
    model, info = load_model(model_name)
    h, w = pic.rgb.shape[:2]
    z_string, y_string = compress_rgb(model, pic.rgb)
    chunks = [(ChunkType.HYPER, z_string), (ChunkType.LATENT, y_string)]
    if pic.alpha is not None:
        chunks.append((ChunkType.ALPHA, zlib.compress(pic.alpha.tobytes(), 9)))
    header = Header(Kind.IMAGE, info.name, info.hash8, w, h, pic.mode, pic.bits)
    return container.pack(header, chunks)


def _inflate_alpha(payload: bytes, n: int) -> np.ndarray:
    """Decompress at most n bytes: a hostile chunk cannot inflate beyond the declared size."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(payload, n + 1)
    except zlib.error:
        raise StrataError("corrupt stream: alpha chunk does not decompress") from None
    if len(out) != n:
        raise StrataError("corrupt stream: alpha chunk has the wrong size")
    return np.frombuffer(out, np.uint8)


def decode_stream(data: bytes, max_pixels: int = container.DEFAULT_MAX_PIXELS):
    """Returns (PIL image, DecodeReport)."""
    stream = container.parse(data, max_pixels)
    hdr = stream.header
    if hdr.kind != Kind.IMAGE:
        raise StrataError(f"this is a {hdr.kind.name.lower().replace('_', ' ')} stream, not an image")
    info = model_info(hdr.model)
    if info.hash8 != hdr.weights_hash:
        raise StrataError(f"stream was made with different weights for model {hdr.model!r} "
                          "than the installed ones; decode it with the strata version that made it")
    z_string, y_string = stream.payload(ChunkType.HYPER), stream.payload(ChunkType.LATENT)
    if z_string is None or y_string is None:
        raise StrataError("truncated stream: the latent chunks are incomplete")
    alpha = None
    if hdr.mode in ("RGBA", "LA"):
        payload = stream.payload(ChunkType.ALPHA)
        if payload is not None:
            alpha = _inflate_alpha(payload, hdr.width * hdr.height).reshape(hdr.height, hdr.width)
        elif stream.torn:
            raise StrataError("truncated stream: the alpha chunk is incomplete")
    model, _ = load_model(hdr.model)
    try:
        rgb = decompress_rgb(model, z_string, y_string, hdr.width, hdr.height)
    except StrataError:
        raise
    except MemoryError:
        raise
    except Exception as e:  # forged latents can overflow the exact path or upset the coder
        raise StrataError(f"corrupt stream: latent decoding failed ({type(e).__name__})") from None
    return to_pil(rgb, alpha, hdr.mode), DecodeReport(hdr, stream.torn)
