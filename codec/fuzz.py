"""Fuzzing helpers: stream mutations and a campaign runner with outcome counts.

The contract under test: decoding succeeds or raises StrataError with a one-line message; no
other exception, no hang, no crash. Used by the quick pass in the tests and by tools/fuzz.py.
"""
from __future__ import annotations

import collections
import time

import numpy as np

from .errors import StrataError


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One random mutation: bit flips, byte overwrites, truncation, insertion, splicing or noise."""
    b = bytearray(data)
    kind = int(rng.integers(6))
    if kind == 5 or not b:
        return rng.integers(0, 256, int(rng.integers(0, 4096)), dtype=np.uint8).tobytes()
    for _ in range(int(rng.integers(1, 5))):
        if not b:
            break
        pos = int(rng.integers(len(b)))
        if kind == 0:
            b[pos] ^= 1 << int(rng.integers(8))
        elif kind == 1:
            b[pos] = int(rng.integers(256))
        elif kind == 2:
            del b[pos:]
            break
        elif kind == 3:
            b[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
        elif kind == 4:
            other = int(rng.integers(len(b)))
            b[pos:] = b[other:]
    return bytes(b)


def mutate_payloads(data: bytes, rng: np.random.Generator) -> bytes:
    """Structure-aware: mutate one chunk's payload (or the header fields) and re-pack with valid
    CRCs, so the input gets past the parser and reaches the entropy and latent decoders."""
    from . import container
    s = container.parse(data, max_pixels=1 << 62)
    chunks = list(s.chunks)
    if chunks and rng.random() < 0.85:
        i = int(rng.integers(len(chunks)))
        chunks[i] = (chunks[i][0], mutate(chunks[i][1], rng))
    else:
        s.header.width = int(rng.integers(1, 300))
        s.header.height = int(rng.integers(1, 300))
    return container.pack(s.header, chunks)


def campaign(decode, seeds: list[bytes], n: int, seed: int = 0, time_limit_per_input: float = 10.0,
             progress=None) -> dict:
    """Run n mutated inputs through decode; returns outcome counts and the offending inputs."""
    rng = np.random.default_rng(seed)
    counts, bad, slowest = collections.Counter(), [], 0.0
    for i in range(n):
        seed_data = seeds[i % len(seeds)]
        data = mutate_payloads(seed_data, rng) if rng.random() < 0.5 else mutate(seed_data, rng)
        t = time.perf_counter()
        try:
            decode(data)
            counts["decoded"] += 1
        except StrataError as e:
            counts["strata_error" if "\n" not in str(e) else "multiline_error"] += 1
        except Exception as e:  # the contract is broken: keep the input for a regression test
            counts["unexpected"] += 1
            bad.append((data, f"{type(e).__name__}: {e}"))
        dt = time.perf_counter() - t
        slowest = max(slowest, dt)
        if dt > time_limit_per_input:
            counts["slow"] += 1
            bad.append((data, f"took {dt:.1f} s"))
        if progress:
            progress(1)
    return {"inputs": n, "counts": dict(counts), "slowest_s": slowest, "bad": bad}
