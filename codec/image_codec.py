"""Image <-> stream: padding, model coding, alpha, and the container.

    Picture --pad to STRIDE--> model.compress --> [HYPER, LATENT, (ALPHA), (RESIDUAL...)] --> container
    container --> check model/hash --> decode_latent (exact) --> synthesis --> crop --> clamp/round

Single-rate models write HYPER and LATENT; progressive ones add their residual layers, in order,
after everything else, so that any prefix of the file keeps the base and the alpha plane.
"""
from __future__ import annotations

import hashlib
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
from .models.latent_refinement import EFFORT_STEPS, refine_latent
from .registry import load_model, model_info



@dataclass
class DecodeReport:
    header: Header
    torn_bytes: int
    layers: int | None = None  # residual layers used (progressive streams)
    layers_in_stream: int | None = None
    layers_total: int | None = None  # layers the model defines
    latent_sha256: str | None = None  # see latent_sha256(); only when asked for


def _to_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(rgb, dtype=np.float32)).permute(2, 0, 1)[None].div_(255)


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    return x[0].clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).contiguous().numpy()


def _padded(rgb: np.ndarray) -> torch.Tensor:
    """Replicate padding to the model stride: cheaper to code than zeros, cropped at decode."""
    h, w = rgb.shape[:2]
    return F.pad(_to_tensor(rgb), (0, -w % STRIDE, 0, -h % STRIDE), mode="replicate")


def _z_shape(width: int, height: int) -> tuple[int, int]:
    return -(-height // STRIDE), -(-width // STRIDE)


def compress_rgb(model, rgb: np.ndarray, refine_steps: int = 0, lmbda: float | None = None) -> tuple[bytes, bytes]:
    """HxWx3 uint8 -> (z string, y string); shared by the container path and training validation.
    refine_steps > 0: refine the latent for this image at lambda first (latent_refinement.py)."""
    x = _padded(rgb)
    refine = (lambda y, scales, means: refine_latent(model, x, y, scales, means, lmbda, refine_steps,
                                                     *rgb.shape[:2])) if refine_steps else None
    z_string, y_string, *_ = model.compress_latent(model.analyse(x), refine)
    return z_string, y_string


def decompress_rgb(model, z_string: bytes, y_string: bytes, width: int, height: int) -> np.ndarray:
    """Inverse of compress_rgb: HxWx3 uint8."""
    return decode_rgb(model, z_string, y_string, None, width, height)


def decode_rgb(model, z_string: bytes, y_string: bytes, layers: list[bytes] | None,
               width: int, height: int) -> np.ndarray:
    """Strings -> HxWx3 uint8, for either model kind (layers: None for a single-rate model)."""
    return synthesise_rgb(model, decode_latent(model, z_string, y_string, layers, width, height),
                          layers, width, height)


def decode_latent(model, z_string: bytes, y_string: bytes, layers: list[bytes] | None,
                  width: int, height: int) -> torch.Tensor:
    """The entropy-decoded latent the synthesis receives (layers: None for a single-rate model).
    Integer-exact paths and the shipped CDF tables make it identical on every machine and
    backend; only the synthesis after it is floating point."""
    if layers is None:
        return model.decompress_latent(z_string, y_string, _z_shape(width, height))[0]
    return model.decompress_latent(z_string, y_string, _z_shape(width, height), layers)


def synthesise_rgb(model, latent: torch.Tensor, layers: list[bytes] | None, width: int, height: int) -> np.ndarray:
    """decode_latent's latent (from the same layers) -> HxWx3 uint8."""
    out = model.synthesise(latent) if layers is None else model.synthesise(latent, len(layers))
    return _to_uint8(out[..., :height, :width])


def latent_sha256(latent: torch.Tensor) -> str:
    """Hash of a decoded latent (shape and float32 values): what conformance checks on any backend."""
    h = hashlib.sha256(str(tuple(latent.shape)).encode())
    h.update(latent.float().contiguous().numpy().tobytes())
    return h.hexdigest()


def compress_progressive(model, rgb: np.ndarray) -> tuple[bytes, bytes, list[bytes]]:
    """HxWx3 uint8 -> (z string, base y string, [every residual layer string])."""
    z_string, y_string, _, layers = model.compress(_padded(rgb))
    return z_string, y_string, layers


def decompress_progressive(model, z_string: bytes, y_string: bytes, layers: list[bytes],
                           width: int, height: int) -> np.ndarray:
    """Base plus the given leading residual layers -> HxWx3 uint8."""
    return decode_rgb(model, z_string, y_string, layers, width, height)


@dataclass
class Target:
    """How much of a progressive stream to write: all layers unless one of these is set."""
    layers: int | None = None
    bpp: float | None = None
    psnr: float | None = None

    def is_set(self) -> bool:
        return any(v is not None for v in (self.layers, self.bpp, self.psnr))


def _choose_layers(model, rgb, z_string, y_string, layers, size_of, target: Target) -> int:
    """Number of residual layers to keep for the target (all when no target is set)."""
    n = len(layers)
    if target.layers is not None:
        if not 0 <= target.layers <= n:
            raise StrataError(f"--layers must be between 0 and {n} for this model")
        return target.layers
    h, w = rgb.shape[:2]
    if target.bpp is not None:  # most layers whose whole file fits the budget
        fits = [k for k in range(n + 1) if size_of(k) * 8 / (w * h) <= target.bpp]
        return max(fits) if fits else 0
    if target.psnr is not None:  # fewest layers that reach it: binary search (PSNR rises with k)
        from .eval.metrics import psnr_rgb
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            out = decompress_progressive(model, z_string, y_string, layers[:mid], w, h)
            if psnr_rgb(out, rgb) >= target.psnr:
                hi = mid
            else:
                lo = mid + 1
        return lo
    return n


@dataclass
class EncodeReport:
    layers: int | None = None  # residual layers written (progressive models)
    layers_total: int | None = None


def encode_picture(pic: Picture, model_name: str, target: Target | None = None, effort: int = 0) -> bytes:
    return encode_image(pic, model_name, target, effort)[0]


def refinement_for(info, effort: int) -> tuple[int, float | None]:
    """(latent refinement steps, lambda) for an encoder effort with this model; checked before
    the (slow) model load."""
    if not 0 <= effort < len(EFFORT_STEPS):
        raise StrataError(f"--effort must be between 0 and {len(EFFORT_STEPS) - 1}")
    if not effort:
        return 0, None
    if info.progressive:
        raise StrataError(f"--effort applies to single-rate models; {info.name!r} is progressive")
    if "lambda" not in info.extra:
        raise StrataError(f"model {info.name!r} records no training lambda: --effort needs one")
    return EFFORT_STEPS[effort], float(info.extra["lambda"])


def encode_image(pic: Picture, model_name: str, target: Target | None = None,
                 effort: int = 0) -> tuple[bytes, EncodeReport]:
    """The stream and what went in it (layers written, for progressive models). effort: 0 codes
    g_a's latent; higher values refine it for this image first (slower encode, same decoder)."""
    target = target or Target()
    info = model_info(model_name)
    if target.is_set() and not info.progressive:  # before the (slow) model load
        raise StrataError(f"model {model_name!r} is single-rate: --layers, --bpp and --psnr "
                          "need a progressive model")
    refine_steps, lmbda = refinement_for(info, effort)
    model, _ = load_model(model_name)
    h, w = pic.rgb.shape[:2]
    header = Header(Kind.IMAGE, info.name, info.hash8, w, h, pic.mode, pic.bits)
    alpha = [] if pic.alpha is None else [(ChunkType.ALPHA, zlib.compress(pic.alpha.tobytes(), 9))]
    if not info.progressive:
        z_string, y_string = compress_rgb(model, pic.rgb, refine_steps, lmbda)
        chunks = [(ChunkType.HYPER, z_string), (ChunkType.LATENT, y_string)] + alpha
        return container.pack(header, chunks), EncodeReport()
    z_string, y_string, layers = compress_progressive(model, pic.rgb)
    # Alpha goes before the residual layers so that every prefix keeps it.
    head = [(ChunkType.HYPER, z_string), (ChunkType.LATENT, y_string)] + alpha
    residual = [(ChunkType.RESIDUAL, s) for s in layers]

    def size_of(k: int) -> int:
        return container.packed_size(header, head + residual[:k])

    k = _choose_layers(model, pic.rgb, z_string, y_string, layers, size_of, target)
    return container.pack(header, head + residual[:k]), EncodeReport(k, len(layers))


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


def decode_stream(data: "bytes | container.Stream", max_pixels: int = container.DEFAULT_MAX_PIXELS,
                  max_layers: int | None = None, want_latent: bool = False):
    """Returns (PIL image, DecodeReport). data: a stream's bytes, or a stream already parsed
    (under max_pixels). Progressive streams: every complete residual layer is used, or the first
    max_layers of them. want_latent: also hash the decoded latent (report.latent_sha256)."""
    stream = data if isinstance(data, container.Stream) else container.parse(data, max_pixels)
    hdr = stream.header
    if hdr.kind != Kind.IMAGE:
        raise StrataError(f"this is a {hdr.kind.name.lower().replace('_', ' ')} stream, not an image")
    info = model_info(hdr.model)
    if info.hash8 != hdr.weights_hash:
        raise StrataError(f"stream was made with different weights for model {hdr.model!r} "
                          "than the installed ones; decode it with the strata version that made it")
    z_string, y_string = stream.payload(ChunkType.HYPER), stream.payload(ChunkType.LATENT)
    if z_string is None or y_string is None:
        what = "base layer" if info.progressive else "latent chunks"
        raise StrataError(f"truncated stream: the {what} is incomplete")
    alpha = None
    if hdr.mode in ("RGBA", "LA"):
        payload = stream.payload(ChunkType.ALPHA)
        if payload is not None:
            alpha = _inflate_alpha(payload, hdr.width * hdr.height).reshape(hdr.height, hdr.width)
        elif stream.torn:
            raise StrataError("truncated stream: the alpha chunk is incomplete")
    layers = stream.payloads(ChunkType.RESIDUAL)
    if not info.progressive and layers:
        raise StrataError("corrupt stream: residual layers in a single-rate stream")
    if not info.progressive and max_layers is not None:
        raise StrataError(f"--layers applies to progressive streams; this one is single-rate ({hdr.model})")
    if max_layers is not None and max_layers < 0:
        raise StrataError("--layers must be 0 or more")
    model, _ = load_model(hdr.model)
    report = DecodeReport(hdr, stream.torn)
    if info.progressive:
        if len(layers) > model.n_layers:
            raise StrataError(f"corrupt stream: {len(layers)} residual layers, the model defines {model.n_layers}")
        report.layers_in_stream, report.layers_total = len(layers), model.n_layers
        layers = layers[:max_layers] if max_layers is not None else layers
        report.layers = len(layers)
    try:
        kept = layers if info.progressive else None
        latent = decode_latent(model, z_string, y_string, kept, hdr.width, hdr.height)
        if want_latent:
            report.latent_sha256 = latent_sha256(latent)
        rgb = synthesise_rgb(model, latent, kept, hdr.width, hdr.height)
    except StrataError:
        raise
    except MemoryError:
        raise
    except Exception as e:  # forged latents can overflow the exact path or upset the coder
        raise StrataError(f"corrupt stream: latent decoding failed ({type(e).__name__})") from None
    return to_pil(rgb, alpha, hdr.mode), report
