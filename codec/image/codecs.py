"""The image model kinds as implementations of the codec contract (codec/contract.py).

    Picture --[ImageCodec.encode]--> header + HYPER, LATENT, (ALPHA), (RESIDUAL ...) --> container
    container --[ImageCodec.decode]--> exact latent --> synthesis --> crop --> PIL image (+ alpha)

`ImageCodec` holds what every image kind shares (header, alpha plane, checks, error wrapping);
each kind says how its latent is coded:

- `SingleRateCodec` (mean-scale hyperprior): HYPER and LATENT; capability EFFORT.
- `ProgressiveCodec` (variance-aware masking): the same base, then RESIDUAL layers in order,
  after everything else, so that any prefix keeps the base and the alpha plane; capability LAYERS.

Nothing here imports torch at import time: the class-level checks (`check_options`,
`check_stream`) run before any model is loaded, and `trim` / `info` use them without torch.
"""
from __future__ import annotations

import zlib

from .. import container
from ..container import ChunkType, Header, Kind, Stream
from ..contract import (EFFORT, EFFORT_LEVELS, LAYERS, Codec, DecodeOptions, DecodeReport, EncodeOptions,
                        EncodeReport)
from ..errors import OptionError, StrataError
from ..layering import fewest_layers_reaching, most_layers_within
from ..registry import register_codec
from . import media  # noqa: F401  (registers the image media with the registry)

# Adam steps of latent refinement per window, indexed by the encoder effort (latent_refinement.py).
EFFORT_STEPS = (0, 12, 40)
assert len(EFFORT_STEPS) == EFFORT_LEVELS


def _inflate_alpha(payload: bytes, n: int):
    """Decompress at most n bytes: a hostile chunk cannot inflate beyond the declared size."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(payload, n + 1)
    except zlib.error:
        raise StrataError("corrupt stream: alpha chunk does not decompress") from None
    if len(out) != n:
        raise StrataError("corrupt stream: alpha chunk has the wrong size")
    import numpy as np
    return np.frombuffer(out, np.uint8)


class ImageCodec(Codec):
    kind = Kind.IMAGE
    required_chunks = (ChunkType.HYPER, ChunkType.LATENT)
    layer_chunk = ChunkType.RESIDUAL

    @property
    def coding_model(self):
        """The model that codes the strings (adapted kinds wrap it: adapted_codecs.py)."""
        return self.model

    @classmethod
    def load_model(cls, args: dict, path):
        """A torch state dict, with the entropy coders' shipped CDF tables (never recomputed)."""
        import torch
        model = cls.build_model(args)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        model.eval()
        model.prepare_coding()
        return model

    @classmethod
    def check_stream(cls, stream: Stream) -> None:
        """The chunk order of docs/format.md is enforced: HYPER, LATENT, ALPHA (alpha modes only,
        absent when opaque), then the residual layers; anything else is refused."""
        types = [t for t, _ in stream.chunks]
        unknown = [t for t in types if t not in ChunkType._value2member_map_]
        if unknown:
            raise StrataError(f"corrupt stream: unknown chunk type {unknown[0]}")
        n_head = sum(t != ChunkType.RESIDUAL for t in types)
        expected = [ChunkType.HYPER, ChunkType.LATENT] + ([ChunkType.ALPHA] if stream.header.mode in ("RGBA", "LA") else [])
        if types[:n_head] != expected[:n_head] or ChunkType.RESIDUAL in types[:n_head]:
            raise StrataError("corrupt stream: chunks out of order, duplicated or misplaced (see docs/format.md)")
        super().check_stream(stream)
        hdr = stream.header
        if hdr.mode in ("RGBA", "LA") and stream.payload(ChunkType.ALPHA) is None and stream.torn:
            raise StrataError("truncated stream: the alpha chunk is incomplete")
        if LAYERS not in cls.capabilities and cls.layers(stream):
            raise StrataError("corrupt stream: residual layers in a single-rate stream")

    # ---------------------------------------------------------------- encode
    def encode(self, pic, options: EncodeOptions) -> tuple[bytes, EncodeReport]:
        self.check_options(self.info, options)
        h, w = pic.rgb.shape[:2]
        header = Header(self.kind, self.info.name, self.info.hash8, w, h, pic.mode, pic.bits)
        alpha = [] if pic.alpha is None else [(ChunkType.ALPHA, zlib.compress(pic.alpha.tobytes(), 9))]
        head, layers = self._code(pic.rgb, options)
        # Alpha goes before any layer so that every prefix keeps it.
        head = head + alpha
        k = self._layers_to_keep(pic.rgb, header, head, layers, options)
        data = container.pack(header, head + [(ChunkType.RESIDUAL, s) for s in layers[:k]])
        return data, EncodeReport(header, len(data), k if self.n_layers else None, self.n_layers)

    def _code(self, rgb, options: EncodeOptions) -> tuple[list, list[bytes]]:
        """(chunks of the base: HYPER, LATENT; every layer string)."""
        raise NotImplementedError

    def _layers_to_keep(self, rgb, header, head, layers, options) -> int:
        return len(layers)

    # ---------------------------------------------------------------- decode
    def decode(self, stream: Stream, options: DecodeOptions):
        from .io import to_pil

        self.check_stream(stream)
        self.check_decode_options(self.info, options)
        hdr = stream.header
        alpha = None
        if hdr.mode in ("RGBA", "LA") and (payload := stream.payload(ChunkType.ALPHA)) is not None:
            alpha = _inflate_alpha(payload, hdr.width * hdr.height).reshape(hdr.height, hdr.width)
        layers = self.layers(stream)
        report = DecodeReport(hdr, stream.torn)
        if LAYERS in self.capabilities:
            if len(layers) > self.n_layers:
                raise StrataError(f"corrupt stream: {len(layers)} residual layers, the model defines {self.n_layers}")
            report.layers_in_stream, report.layers_total = len(layers), self.n_layers
            layers = layers[:options.layers] if options.layers is not None else layers
            report.layers = len(layers)
        z_string, y_string = stream.payload(ChunkType.HYPER), stream.payload(ChunkType.LATENT)
        try:
            rgb = self.decode_pixels(z_string, y_string, layers, hdr.width, hdr.height, options, report)
        except (StrataError, MemoryError):
            raise
        except Exception as e:  # forged latents can overflow the exact path or upset the coder
            raise StrataError(f"corrupt stream: latent decoding failed ({type(e).__name__})") from None
        return to_pil(rgb, alpha, hdr.mode), report

    def decode_pixels(self, z_string, y_string, layers: list[bytes], width: int, height: int,
                      options: DecodeOptions, report: DecodeReport) -> "np.ndarray":
        """Strings -> HxWx3 uint8 under the decode options (report: filled in as it goes)."""
        latent = self.decode_latent(z_string, y_string, layers, width, height)
        self._hash_latent(latent, options, report)
        return self.synthesise(latent, len(layers), width, height)

    @staticmethod
    def _hash_latent(latent, options: DecodeOptions, report: DecodeReport) -> None:
        if options.want_latent:
            from .coding import latent_sha256
            report.latent_sha256 = latent_sha256(latent)

    def decode_latent(self, z_string, y_string, layers: list[bytes], width: int, height: int):
        """The entropy-decoded latent the synthesis receives. Integer-exact paths and the shipped
        CDF tables make it identical on every machine and backend; only the synthesis after it
        is floating point."""
        raise NotImplementedError

    def synthesis_tensor(self, latent, n_layers: int):
        """decode_latent's latent (from n_layers layers) -> the padded, unclamped image tensor."""
        raise NotImplementedError

    def synthesise(self, latent, n_layers: int, width: int, height: int) -> "np.ndarray":
        """decode_latent's latent (from n_layers layers) -> HxWx3 uint8."""
        from .coding import cropped_uint8
        return cropped_uint8(self.synthesis_tensor(latent, n_layers), width, height)

    def decode_rgb(self, z_string, y_string, layers: list[bytes], width: int, height: int) -> "np.ndarray":
        """Strings -> HxWx3 uint8 (training validation and tools; no container)."""
        return self.synthesise(self.decode_latent(z_string, y_string, layers, width, height),
                               len(layers), width, height)


@register_codec("mean-scale-hyperprior")
class SingleRateCodec(ImageCodec):
    capabilities = frozenset({EFFORT})

    @classmethod
    def build_model(cls, args: dict):
        from .models.hyperprior import MeanScaleHyperprior
        return MeanScaleHyperprior(**args)

    @classmethod
    def check_options(cls, info, options: EncodeOptions) -> None:
        super().check_options(info, options)
        if options.effort and "lambda" not in info.extra:
            raise OptionError("effort", f"needs the model's training lambda; {info.name!r} records none")

    def _code(self, rgb, options: EncodeOptions):
        from .coding import compress_single
        steps = EFFORT_STEPS[options.effort]
        lmbda = float(self.info.extra["lambda"]) if steps else None
        z_string, y_string = compress_single(self.coding_model, rgb, steps, lmbda)
        return [(ChunkType.HYPER, z_string), (ChunkType.LATENT, y_string)], []

    def decode_latent(self, z_string, y_string, layers, width, height):
        from .coding import z_shape
        return self.coding_model.decompress_latent(z_string, y_string, z_shape(width, height))[0]

    def synthesis_tensor(self, latent, n_layers):
        return self.coding_model.synthesise(latent)


@register_codec("progressive-vam")
class ProgressiveCodec(ImageCodec):
    capabilities = frozenset({LAYERS})

    @classmethod
    def build_model(cls, args: dict):
        from .models.progressive import ProgressiveVAM
        return ProgressiveVAM(**args)

    @property
    def n_layers(self) -> int:
        return self.coding_model.n_layers

    def _code(self, rgb, options: EncodeOptions):
        from .coding import compress_progressive
        z_string, y_string, layers = compress_progressive(self.coding_model, rgb)
        return [(ChunkType.HYPER, z_string), (ChunkType.LATENT, y_string)], layers

    def _layers_to_keep(self, rgb, header, head, layers, options: EncodeOptions) -> int:
        n = len(layers)
        if options.layers is not None:
            if not 0 <= options.layers <= n:
                raise OptionError("layers", f"must be between 0 and {n} for this model")
            return options.layers
        if options.bpp is not None:  # most layers whose whole file fits the budget
            residual = [(ChunkType.RESIDUAL, s) for s in layers]
            sizes = [container.packed_size(header, head + residual[:k]) for k in range(n + 1)]
            return most_layers_within([header.rate(s) for s in sizes], options.bpp) or 0
        if options.psnr is not None:  # fewest layers that reach it (PSNR rises with k)
            from .metrics import psnr_rgb
            z_string, y_string = head[0][1], head[1][1]
            h, w = rgb.shape[:2]
            return fewest_layers_reaching(
                n, lambda k: psnr_rgb(self.decode_rgb(z_string, y_string, layers[:k], w, h), rgb) >= options.psnr)
        return n

    def decode_latent(self, z_string, y_string, layers, width, height):
        from .coding import z_shape
        return self.coding_model.decompress_latent(z_string, y_string, z_shape(width, height), layers)

    def synthesis_tensor(self, latent, n_layers):
        return self.coding_model.synthesise(latent, n_layers)
