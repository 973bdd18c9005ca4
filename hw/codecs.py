"""The hardware student as an image model kind of the codec contract: the single-rate stream
format (HYPER, LATENT) with the capability INTEGER_SYNTHESIS, whose decoded pixels are exactly
what the integer reference (hw/integer_model.py), the C++ kernel and so the FPGA compute, on
every machine and backend. No encoder effort: latent refinement needs a differentiable g_s.

Weights file: a torch file {"hyper": state dict of the float hyper path and entropy models with
their shipped CDF tables, "g_a": ..., "g_s": ...} (integer transforms as tensors; export.py).
"""
from __future__ import annotations

from codec.contract import INTEGER_SYNTHESIS
from codec.image.codecs import SingleRateCodec
from codec.registry import register_codec


@register_codec("hardware-student")
class HardwareStudentCodec(SingleRateCodec):
    capabilities = frozenset({INTEGER_SYNTHESIS})

    @classmethod
    def build_model(cls, args: dict):
        from .integer_student import IntegerStudent
        return IntegerStudent(**args)

    @classmethod
    def load_model(cls, args: dict, path):
        import torch

        from .export import transform_from_file
        model = cls.build_model(args)
        blob = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(blob["hyper"])
        model.set_transforms(transform_from_file(blob["g_a"]), transform_from_file(blob["g_s"]))
        model.eval()
        model.prepare_coding()
        return model

    def synthesise(self, latent, n_layers: int, width: int, height: int):
        return self.model.pixels(latent)[:, :height, :width].transpose(1, 2, 0).copy()
