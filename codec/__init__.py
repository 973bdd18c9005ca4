"""Strata: a learned image (and, to come, point-cloud) codec.

`codec` is the kind-neutral core (container, contract, registry, API, CLI); `codec.image` is the
image codec. Library users start at `codec.api`.
"""
__version__ = "0.1.0"
