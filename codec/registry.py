"""Named models: architectures that register themselves, and the shipped weights catalogue.

Architectures: a `contract.Codec` subclass registers itself where it is defined with
`@register_codec("name")`, a `contract.Media` with `@register_media`. The modules that define
them are found through the `strata.codecs` entry-point group of the installed distribution
(pyproject.toml), so a new package (pointcloud/, hw/) adds models without editing a table here.
Those modules import no torch at import time, so `info`, `trim` and `models` stay cheap.

Weights: `codec/weights/registry.json` lists each model (data, not code): name, architecture
and its arguments, the weights file, its sha256, the training command that produced it and its
measured figures. Streams name their model and carry the first bytes of this sha256, so a
stream made by other weights is refused instead of decoded into garbage.
"""
from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

from .container import Kind
from .errors import StrataError

WEIGHTS_DIR = Path(__file__).parent / "weights"
ENTRY_POINT_GROUP = "strata.codecs"
# Used when the distribution's metadata is not installed (running from a bare source tree).
_BUILTIN_PLUGINS = ("codec.image.codecs", "pointcloud.codecs", "hw.codecs")

_CODECS: dict[str, type] = {}
_MEDIA: dict[Kind, type] = {}
_plugins_loaded = False


def register_codec(architecture: str):
    """Class decorator: register a contract.Codec subclass under an architecture name."""
    def wrap(cls):
        if _CODECS.get(architecture, cls) is not cls:
            raise ValueError(f"architecture {architecture!r} is registered twice")
        cls.architecture = architecture
        _CODECS[architecture] = cls
        return cls
    return wrap


def register_media(cls):
    """Class decorator: register a contract.Media subclass for its stream kind."""
    _MEDIA[cls.kind] = cls
    return cls


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    modules = [ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)] or list(_BUILTIN_PLUGINS)
    for module in modules:
        importlib.import_module(module)


def codec_class(architecture: str) -> type:
    if architecture not in _CODECS:
        _load_plugins()
    if architecture not in _CODECS:
        raise StrataError(f"unknown architecture {architecture!r}")
    return _CODECS[architecture]


def media(kind: Kind):
    """The Media instance of a stream kind."""
    _load_plugins()
    if kind not in _MEDIA:
        raise StrataError(f"this strata cannot handle {kind.name.lower().replace('_', ' ')} streams")
    return _MEDIA[kind]()


def media_for_path(path: str):
    """The Media that reads an input file: the one claiming its suffix, else the fallback."""
    _load_plugins()
    for cls in _MEDIA.values():
        if cls.claims(path):
            return cls()
    fallback = [cls for cls in _MEDIA.values() if cls.suffixes is None]
    if not fallback:
        raise StrataError(f"no installed codec reads {path}")
    return fallback[0]()


def all_media() -> list:
    _load_plugins()
    return [cls() for cls in _MEDIA.values()]


@dataclass
class ModelInfo:
    name: str
    architecture: str
    args: dict
    file: str
    sha256: str
    description: str = ""
    command: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def hash8(self) -> bytes:
        return bytes.fromhex(self.sha256)[:8]

    @property
    def codec(self) -> type:
        """The contract.Codec class of this model's architecture (no model is loaded)."""
        return codec_class(self.architecture)

    @property
    def superseded_by(self) -> str | None:
        """A newer model of the same kind. Superseded weights stay installed, so that the
        streams they made keep decoding, but encoders and evaluations use the newer one."""
        return self.extra.get("superseded_by")


def _read_registry() -> dict:
    path = WEIGHTS_DIR / "registry.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise StrataError(f"model registry missing ({path}): reinstall strata") from None
    except (OSError, json.JSONDecodeError) as e:
        raise StrataError(f"model registry unreadable: {e}") from None


def list_models(current_only: bool = False, kind: Kind | None = None) -> list[ModelInfo]:
    """Every installed model, or with current_only those not superseded by a newer one; with
    kind, only the models of that stream kind."""
    reg = _read_registry()
    known = {"name", "architecture", "args", "file", "sha256", "description", "command"}
    models = [ModelInfo(**{k: m[k] for k in known if k in m},
                        extra={k: v for k, v in m.items() if k not in known}) for m in reg["models"]]
    return [m for m in models if not (current_only and m.superseded_by) and (kind is None or m.codec.kind == kind)]


def default_model() -> str:
    return _read_registry()["default"]


def model_info(name: str) -> ModelInfo:
    for m in list_models():
        if m.name == name:
            return m
    names = ", ".join(m.name for m in list_models())
    raise StrataError(f"unknown model {name!r} (installed: {names})")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build(architecture: str, args: dict):
    """A fresh (untrained) model of a registered architecture."""
    return codec_class(architecture).build_model(args)


@lru_cache(maxsize=4)
def load_codec(name: str):
    """The contract.Codec of an installed model, its weights checked against their sha256 and
    loaded once per process."""
    info = model_info(name)
    return info.codec(info, load_weights(info))


def load_model(name: str):
    """(model ready for coding, ModelInfo)."""
    codec = load_codec(name)
    return codec.model, codec.info


def load_weights(info: ModelInfo, **arg_overrides):
    """The model of a registry entry with its checked weights, ready for coding (the codec
    class reads its own weights format). arg_overrides replace architecture arguments (e.g.
    synthesis="float32"): for measuring what such an argument changes, never for decoding."""
    path = WEIGHTS_DIR / info.file
    if not path.is_file():
        raise StrataError(f"weights of model {info.name!r} are missing ({info.file}): reinstall strata")
    if file_sha256(path) != info.sha256:
        raise StrataError(f"weights of model {info.name!r} do not match their registered sha256: reinstall strata")
    return info.codec.load_model({**info.args, **arg_overrides}, path)


def load_model_variant(name: str, **arg_overrides):
    """As load_model, uncached, with some architecture arguments replaced (see load_weights)."""
    info = model_info(name)
    return load_weights(info, **arg_overrides), info
