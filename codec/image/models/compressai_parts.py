"""Everything Strata takes from CompressAI, and the only place that touches its private parts.

Checked against compressai 1.2.6 to 1.2.8 (pinned as that range in pyproject.toml): the private
attributes used here (`_quantized_cdf`, `_cdf_length`, `_offset` of the entropy models,
`EntropyBottleneck._get_medians`, `GaussianConditional._likelihood`) and the module layout.

Start-up: CompressAI's package `__init__` imports all of its subpackages, among them its
datasets and model zoo, which import torch_geometric and torch._dynamo: about 3 s of a fresh
`strata decode` that needs none of it. Strata needs only the entropy models, layers, ops and the
rANS coder, so, when CompressAI has not been imported yet, its package is registered without
running that `__init__` (its subpackages still import normally, on demand); the three
package-level functions its entropy models call (the entropy-coder choice) are provided with
CompressAI's default, the rANS coder, which is the only coder Strata's streams use.

Its entropy models also import scipy.stats (0.9 s) for a single call, `norm.ppf`, made only when
CDF tables are built (export, training validation). Until something uses it, `scipy.stats` is a
stand-in module that imports the real one on its first attribute access.
"""
from __future__ import annotations

import importlib.util
import sys
import types
import warnings


def _register_package_without_init() -> None:
    if "compressai" in sys.modules:
        return
    spec = importlib.util.find_spec("compressai")
    if spec is None or not spec.submodule_search_locations:
        return  # not installed: the imports below raise the usual ImportError
    pkg = types.ModuleType("compressai")
    pkg.__spec__, pkg.__path__, pkg.__file__ = spec, list(spec.submodule_search_locations), spec.origin
    pkg.available_entropy_coders = lambda: ["ans"]
    pkg.get_entropy_coder = lambda: "ans"
    pkg.set_entropy_coder = lambda coder: None if coder == "ans" else (_ for _ in ()).throw(
        ValueError(f"Strata codes with 'ans' only, not {coder!r}"))
    sys.modules["compressai"] = pkg


class _ImportedOnUse(types.ModuleType):
    """Stands in for a module in sys.modules; the first attribute access imports the real one
    (which then replaces it everywhere) and answers from it."""

    def __getattr__(self, attr):
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)  # also rebinds the parent's attribute
        return getattr(real, attr)


def _defer_import(name: str) -> None:
    if name in sys.modules or importlib.util.find_spec(name.rpartition(".")[0]) is None:
        return
    parent, _, child = name.rpartition(".")
    stand_in = _ImportedOnUse(name)
    sys.modules[name] = stand_in
    setattr(importlib.import_module(parent), child, stand_in)


_register_package_without_init()
_defer_import("scipy.stats")

with warnings.catch_warnings():  # CompressAI's import-time torch.jit deprecation chatter
    warnings.simplefilter("ignore", FutureWarning)
    import torch
    from torch import nn
    from compressai.ans import RansDecoder, RansEncoder  # noqa: F401  (re-exported)
    from compressai.entropy_models import EntropyBottleneck, GaussianConditional
    from compressai.layers import GDN  # noqa: F401
    from compressai.ops import quantize_ste  # noqa: F401

# The coding tables of the entropy models: shipped with the weights, never recomputed at load.
CODING_BUFFERS = ("_quantized_cdf", "_offset", "_cdf_length", "scale_table")


def default_scale_table() -> torch.Tensor:
    """CompressAI's scale table of the Gaussian conditional (64 log-spaced stds in [0.11, 256]).
    Imported on use: compressai.models imports its whole model zoo."""
    from compressai.models.base import get_scale_table
    return get_scale_table()


def rans_tables(gc: GaussianConditional) -> tuple[list, list, list]:
    """(CDFs, CDF lengths, offsets) of a Gaussian conditional, as the rANS coder takes them."""
    return (gc._quantized_cdf.tolist(), gc._cdf_length.reshape(-1).int().tolist(),
            gc._offset.reshape(-1).int().tolist())


def z_medians(eb: EntropyBottleneck) -> torch.Tensor:
    """The medians the entropy bottleneck quantizes z around at coding time."""
    return eb._get_medians()


def likelihood(gc: GaussianConditional, values, scales, means) -> torch.Tensor:
    """Likelihoods of values under the Gaussian conditional, lower-bounded as in its forward."""
    return gc.likelihood_lower_bound(gc._likelihood(values, scales, means))


class CompressionModule(nn.Module):
    """nn.Module whose load_state_dict also loads the entropy models' coding tables, resized to
    the shipped ones (their sizes vary with the weights). This is what CompressAI's
    CompressionModel.load_state_dict does; it is not inherited because compressai.models imports
    the whole zoo (see the module docstring)."""

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        for name, buf in self.named_buffers():
            if name.rpartition(".")[2] in CODING_BUFFERS and name in state_dict \
                    and state_dict[name].shape != buf.shape:
                module_name, _, attr = name.rpartition(".")
                module = self.get_submodule(module_name) if module_name else self
                module.register_buffer(attr, state_dict[name].new_empty(state_dict[name].shape))
        return super().load_state_dict(state_dict, strict=strict, assign=assign)
