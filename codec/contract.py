"""The codec contract: what every model kind (single-rate, progressive, and those to come)
and every stream kind (image, point cloud) implements, so that callers never branch on a kind.

    input file --Media.read--> item --Codec.encode--> chunks --container.pack--> stream bytes
    stream bytes --container.parse--> Stream --Codec.decode--> (item, DecodeReport) --Media.write--> file

- A `Media` is one stream kind's side of the world: which input files it claims, how it reads
  and writes them (with the input policy), how `info` describes a header. One per `Kind`.
- A `Codec` is one architecture's stream coding: it holds a loaded model and implements
  `encode` / `decode`; its class declares `capabilities` (LAYERS: a stream in layers that
  `trim` and `--layers` cut; EFFORT: encoder effort levels; ADAPTERS; INTEGER_SYNTHESIS) and
  checks, before any model is loaded, what can be checked (`check_options`, `check_stream`).

Codec and Media classes register themselves with `codec.registry` where they are defined; this
module imports neither torch nor any kind.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .container import ChunkType, Header, Kind, Stream
from .errors import OptionError, StrataError

# Capabilities a codec class may declare.
LAYERS = "layers"  # the stream is a prefix-decodable sequence of layer chunks
EFFORT = "effort"  # the encoder can spend time for quality (decoder unchanged)
ADAPTERS = "adapters"  # decoder-side domain adapters
INTEGER_SYNTHESIS = "integer-synthesis"  # the synthesis runs in integer arithmetic
SAMPLING = "sampling"  # the decoder draws its output (diffusion): sampler steps and output count apply

GATE_MODES = ("soft", "top1")  # how an ADAPTERS decoder blends its domains
EFFORT_LEVELS = 3  # encoder effort 0..2, the same scale for every codec with EFFORT


@dataclass
class EncodeOptions:
    """How to encode. layers / bpp / psnr: how much of a layered stream to write (at most one;
    all layers when none); effort: encoder effort level (0 = the model's plain encoder)."""
    layers: int | None = None
    bpp: float | None = None
    psnr: float | None = None
    effort: int = 0

    def target_set(self) -> bool:
        return any(v is not None for v in (self.layers, self.bpp, self.psnr))

    def check(self) -> None:
        """What holds for any model."""
        check_layer_count(self.layers)
        if not 0 <= self.effort < EFFORT_LEVELS:
            raise OptionError("effort", f"must be between 0 and {EFFORT_LEVELS - 1}")


def check_layer_count(layers: int | None) -> None:
    """A layer count (encode, decode, trim) is 0 or more."""
    if layers is not None and layers < 0:
        raise OptionError("layers", "must be 0 or more")


@dataclass
class DecodeOptions:
    """How to decode. layers: use only the first K layers of a layered stream; steps / points:
    sampler steps and output size of a sampling decoder (None: the model's defaults);
    want_latent: also hash the decoded latent (conformance). Decoders with ADAPTERS: domain
    forces one domain's adapter, adapters=False decodes with the plain decoder, gate "top1" keeps
    only the gate's first choice (default "soft": its softmax blend)."""
    layers: int | None = None
    steps: int | None = None
    points: int | None = None
    want_latent: bool = False
    domain: str | None = None
    adapters: bool = True
    gate: str = "soft"

    def adapter_options_set(self) -> str | None:
        """The adapter option given, if any (for a refusal naming it)."""
        if self.domain is not None:
            return "domain"
        if not self.adapters:
            return "no-adapters"
        return "gate" if self.gate != "soft" else None

    def check(self) -> None:
        """What holds for any stream."""
        check_layer_count(self.layers)
        for name in ("steps", "points"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise OptionError(name, "must be 1 or more")
        if self.gate not in GATE_MODES:
            raise OptionError("gate", f"must be one of {', '.join(GATE_MODES)}")
        if self.domain is not None and not self.adapters:
            raise OptionError("domain", "and no-adapters exclude each other")


@dataclass
class EncodeReport:
    header: Header
    nbytes: int
    layers: int | None = None  # layers written (layered codecs)
    layers_total: int | None = None  # layers the model defines


@dataclass
class DecodeReport:
    header: Header
    torn_bytes: int
    layers: int | None = None  # layers used (layered codecs)
    layers_in_stream: int | None = None
    layers_total: int | None = None  # layers the model defines
    latent_sha256: str | None = None  # only when asked for (DecodeOptions.want_latent)
    extra: dict = field(default_factory=dict)


class Media:
    """One stream kind's inputs and outputs. Subclasses set `kind` and `name`."""
    kind: ClassVar[Kind]
    name: ClassVar[str]
    suffixes: ClassVar[frozenset[str] | None] = None  # claimed input suffixes; None: the fallback

    @classmethod
    def claims(cls, path: str) -> bool:
        return cls.suffixes is not None and Path(path).suffix.lower() in cls.suffixes

    def read(self, path: str, max_units: int) -> Any:
        """The item in a file, under the size cap (clear StrataError otherwise)."""
        raise NotImplementedError

    def from_object(self, obj) -> Any | None:
        """The item for an in-memory object (API), or None when this media does not take it."""
        return None

    def write(self, item, path: str) -> None:
        """Write a decoded item atomically."""
        raise NotImplementedError

    def describe(self, header: Header) -> str:
        """One line about the size and mode recorded in a header (`strata info`)."""
        return f"{header.width}x{header.height}"

    def describe_item(self, item) -> str:
        return ""

    def describe_output(self, item) -> str:
        """One line about a decoded item."""
        return ""

    def item_sha256(self, item) -> str:
        """Hash of a decoded item's content (conformance): not of a file, whose bytes depend on
        the writer."""
        raise NotImplementedError

    def item_close(self, item, reference) -> str | None:
        """None when a decode on another backend matches the reference decode within the
        kind's stated tolerance, else a one-line reason."""
        raise NotImplementedError

    rate_unit: ClassVar[str] = "bpp"
    output_suffix: ClassVar[str] = ".png"  # of decoded files named after their stream (batch mode)


class Codec:
    """Stream coding of one architecture. Instances hold a loaded model (`model`) and its
    registry entry (`info`); class methods work without the model (and without torch)."""
    architecture: ClassVar[str]  # set by registry.register_codec
    kind: ClassVar[Kind]
    capabilities: ClassVar[frozenset[str]] = frozenset()
    layer_chunk: ClassVar[ChunkType | None] = None  # the chunk type of a layer (LAYERS)
    required_chunks: ClassVar[tuple[ChunkType, ...]] = ()  # a stream without them is truncated

    def __init__(self, info, model):
        self.info, self.model = info, model

    # ---------------------------------------------------------------- without the model
    @classmethod
    def build_model(cls, args: dict):
        """A fresh model of this architecture (untrained)."""
        raise NotImplementedError

    @classmethod
    def load_model(cls, args: dict, path):
        """The model with the (already checked) weights file at path, ready for coding."""
        raise NotImplementedError

    @classmethod
    def check_options(cls, info, options: EncodeOptions) -> None:
        """Refuse options this model cannot honour, before the (slow) model load."""
        options.check()
        if options.target_set() and LAYERS not in cls.capabilities:
            given = next(o for o in ("layers", "bpp", "psnr") if getattr(options, o) is not None)
            raise OptionError(given, f"needs a progressive model; {info.name!r} is single-rate")
        if options.effort and EFFORT not in cls.capabilities:
            raise OptionError("effort", f"does not apply to {info.name!r}: it has one encoder")

    @classmethod
    def check_stream(cls, stream: Stream) -> None:
        """Structural checks that need no model: every required chunk is present, and a
        non-layered stream carries no layer chunks."""
        if any(stream.payload(t) is None for t in cls.required_chunks):
            raise StrataError(f"truncated stream: the {cls.required_what()} is incomplete")

    @classmethod
    def required_what(cls) -> str:
        return "base layer" if LAYERS in cls.capabilities else "latent chunks"

    @classmethod
    def layers(cls, stream: Stream) -> list[bytes]:
        return stream.payloads(cls.layer_chunk) if cls.layer_chunk is not None else []

    @classmethod
    def check_decode_options(cls, info, options: DecodeOptions) -> None:
        if options.layers is not None and LAYERS not in cls.capabilities:
            raise OptionError("layers", f"applies to layered streams; this one is single-rate ({info.name})")
        for name in ("steps", "points"):
            if getattr(options, name) is not None and SAMPLING not in cls.capabilities:
                raise OptionError(name, f"applies to sampling decoders (point clouds), not to {info.name!r}")
        given = options.adapter_options_set()
        if given and ADAPTERS not in cls.capabilities:
            raise OptionError(given, f"applies to models with domain adapters, not to {info.name!r}")
        domains = info.args.get("domains", [])
        if options.domain is not None and options.domain not in domains:
            raise OptionError("domain", f"must be one of {', '.join(domains)} for {info.name!r}")
        options.check()

    # ---------------------------------------------------------------- with the model
    @property
    def n_layers(self) -> int | None:
        """Layers the model defines (LAYERS), else None."""
        return None

    def encode(self, item, options: EncodeOptions) -> tuple[bytes, EncodeReport]:
        raise NotImplementedError

    def decode(self, stream: Stream, options: DecodeOptions) -> tuple[Any, DecodeReport]:
        raise NotImplementedError

    # what `strata info` shows that needs the model (e.g. a gate's weights); most codecs: nothing
    details_need_model: ClassVar[bool] = False

    def details(self, stream: Stream) -> dict:
        return {}
