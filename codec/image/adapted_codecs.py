"""Image models with domain adapters (models/adapted.py) as codec-contract kinds.

Each adapted kind is its plain kind's stream format, byte for byte, with the capability ADAPTERS:
the decoder blends per-domain adapters in its synthesis by a gate that reads the decoded base
latent, so the adapters cost no bits and every prefix of a progressive stream decodes with them.
Decode options: `domain` (force one adapter), `adapters=False` (the plain decoder: the inner
model's pixels exactly), `gate="top1"`.

Weights file: {"adapters": state dict of DomainAdapters}; the registry entry names the plain
model it adapts (args "inner") and that model's own checked weights are loaded under it.
"""
from __future__ import annotations

from ..contract import ADAPTERS, DecodeOptions, DecodeReport
from ..registry import register_codec
from .codecs import ProgressiveCodec, SingleRateCodec


class AdaptedCodecMixin:
    details_need_model = True

    @staticmethod
    def _wrap(inner, args: dict):
        from .models.adapted import AdaptedModel
        return AdaptedModel(inner, args["domains"], args.get("rank", 32), args.get("gate_width", 64))

    @classmethod
    def build_model(cls, args: dict):
        from ..registry import build, model_info
        inner = model_info(args["inner"])
        return cls._wrap(build(inner.architecture, inner.args), args)

    @classmethod
    def load_model(cls, args: dict, path):
        import torch

        from ..registry import load_weights, model_info
        model = cls._wrap(load_weights(model_info(args["inner"])), args)
        model.adapters.load_state_dict(torch.load(path, map_location="cpu", weights_only=True)["adapters"])
        model.eval()
        return model

    @property
    def coding_model(self):
        return self.model.inner

    def _blend(self, y_b, scales_b, options: DecodeOptions):
        if not options.adapters:
            return None
        return self.model.blend(y_b, scales_b, options.domain, top1=options.gate == "top1")

    def decode_pixels(self, z_string, y_string, layers, width, height, options: DecodeOptions,
                      report: DecodeReport):
        from .coding import cropped_uint8, z_shape
        latent, y_b, scales_b = self.model.decompress_parts(z_string, y_string, z_shape(width, height), layers)
        self._hash_latent(latent, options, report)
        w = self._blend(y_b, scales_b, options)
        report.extra["gate"] = None if w is None else dict(zip(self.model.domains, map(float, w)))
        return cropped_uint8(self.model.synthesise(latent, len(layers), w), width, height)

    def details(self, stream) -> dict:
        """The gate's weights for this stream (it reads only the base: the same for every prefix)."""
        from ..container import ChunkType
        from .coding import z_shape
        from ..errors import StrataError
        hdr = stream.header
        self.check_stream(stream)
        try:
            _, y_b, scales_b = self.model.decompress_parts(stream.payload(ChunkType.HYPER), stream.payload(ChunkType.LATENT),
                                                           z_shape(hdr.width, hdr.height), [])
            w = self.model.blend(y_b, scales_b)
        except (StrataError, MemoryError):
            raise
        except Exception as e:  # forged strings, as in decode
            raise StrataError(f"corrupt stream: latent decoding failed ({type(e).__name__})") from None
        return {"gate": dict(zip(self.model.domains, (round(float(v), 4) for v in w)))}

    def decode_rgb(self, z_string, y_string, layers, width, height):
        """With the gate's adapters (the encoder's --psnr target and training validation see
        what the decoder will show)."""
        return self.decode_pixels(z_string, y_string, layers, width, height, DecodeOptions(),
                                  DecodeReport(None, 0))


@register_codec("mean-scale-hyperprior+adapters")
class AdaptedSingleRateCodec(AdaptedCodecMixin, SingleRateCodec):
    capabilities = SingleRateCodec.capabilities | {ADAPTERS}



@register_codec("progressive-vam+adapters")
class AdaptedProgressiveCodec(AdaptedCodecMixin, ProgressiveCodec):
    capabilities = ProgressiveCodec.capabilities | {ADAPTERS}
