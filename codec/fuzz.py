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
    """Structure-aware: re-pack with valid CRCs so the input gets past the CRC checks and reaches
    the chunk-order checks, the entropy and latent decoders: one chunk's payload mutated, chunks
    swapped, duplicated, dropped or of an unknown type, the size forged (small, or up to the cap),
    or control characters in the model name."""
    from . import container
    s = container.parse(data, max_pixels=1 << 62)
    chunks = list(s.chunks)
    kind = rng.random()
    if chunks and kind < 0.6:
        i = int(rng.integers(len(chunks)))
        chunks[i] = (chunks[i][0], mutate(chunks[i][1], rng))
    elif len(chunks) > 1 and kind < 0.72:
        i, j = rng.choice(len(chunks), 2, replace=False)
        chunks[i], chunks[j] = chunks[j], chunks[i]
    elif chunks and kind < 0.8:
        i = int(rng.integers(len(chunks)))
        chunks.insert(int(rng.integers(len(chunks) + 1)), chunks[i])
    elif chunks and kind < 0.85:
        del chunks[int(rng.integers(len(chunks)))]
    elif kind < 0.88:
        chunks.insert(int(rng.integers(len(chunks) + 1)), (int(rng.integers(5, 256)), rng.bytes(8)))
    elif kind < 0.94:
        s.header.width = int(rng.integers(1, 300))
        s.header.height = int(rng.integers(1, 300))
    elif kind < 0.96:  # a forged size within the default cap: bounded memory, no hang
        side = int(rng.integers(300, 500))
        s.header.width, s.header.height = side, int(rng.integers(300, 500))
    else:
        return _with_raw_name(container.pack(s.header, chunks), b"\x1b[2J" + rng.bytes(4))
    return container.pack(s.header, chunks)


def _with_raw_name(data: bytes, name: bytes) -> bytes:
    """The stream with its model name bytes replaced, header CRC recomputed (pack refuses such names)."""
    import struct
    import zlib
    n = data[6]
    head_end = 7 + n + 8 + 10
    head = data[:6] + bytes([len(name)]) + name + data[7 + n:head_end]
    return head + struct.pack(">I", zlib.crc32(head)) + data[head_end + 4:]


def peak_rss_reset() -> int | None:
    """The process's peak resident memory so far in bytes, then reset it (Linux: VmHWM and
    /proc/self/clear_refs), so that the next reading is the peak of what ran in between."""
    try:
        with open("/proc/self/status") as f:
            hwm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return hwm
    except (OSError, StopIteration):
        return None


def campaign(targets, seeds: list[bytes], n: int, seed: int = 0, time_limit_per_input: float = 10.0,
             progress=None, measure_memory: bool = False) -> dict:
    """Run n mutated inputs through each target (a callable, or a dict name -> callable, e.g.
    decode and trim, whose counts are then prefixed by the name); returns outcome counts, the offending inputs and, with measure_memory, the peak resident memory
    of the worst input. A MemoryError (e.g. under an address-space limit) breaks the contract: it
    is kept as an offending input."""
    targets = targets if isinstance(targets, dict) else {"": targets}
    rng = np.random.default_rng(seed)
    counts, bad, slowest, slowest_cpu, worst = collections.Counter(), [], 0.0, 0.0, (0, -1)
    if measure_memory:
        peak_rss_reset()
    for i in range(n):
        seed_data = seeds[i % len(seeds)]
        data = mutate_payloads(seed_data, rng) if rng.random() < 0.5 else mutate(seed_data, rng)
        t, c = time.perf_counter(), time.process_time()
        for name, target in targets.items():
            key = f"{name} " if name else ""
            try:
                target(data)
                counts[key + "ok"] += 1
            except StrataError as e:
                counts[key + ("strata_error" if "\n" not in str(e) else "multiline_error")] += 1
            except Exception as e:  # the contract is broken: keep the input for a regression test
                counts["unexpected"] += 1
                bad.append((data, f"{key}{type(e).__name__}: {e}"))
        # The limit is on CPU time, which other processes on the machine do not inflate; a hang
        # (a loop that makes no progress) burns CPU or, if blocked, shows in the wall time too.
        dt, dc = time.perf_counter() - t, time.process_time() - c
        slowest, slowest_cpu = max(slowest, dt), max(slowest_cpu, dc)
        if dc > time_limit_per_input or dt > 6 * time_limit_per_input:
            counts["slow"] += 1
            bad.append((data, f"took {dc:.1f} s of CPU, {dt:.1f} s"))
        if measure_memory:
            peak = peak_rss_reset() or 0
            worst = max(worst, (peak, i))
        if progress:
            progress(1)
    return {"inputs": n, "counts": dict(counts), "slowest_s": slowest, "slowest_cpu_s": slowest_cpu, "bad": bad,
            "worst_peak_rss": worst[0] or None, "worst_input_index": worst[1]}
