#!/usr/bin/env python3
"""Long fuzz run over the decoder and trim (or the container parser alone).

    python tools/fuzz.py --n 100000 --seed 3 [--target all|decoder|trim|parser] [--workers 2]
                         [--memory-limit-gib 4] [--out results/fuzz.json]

Seeds are the conformance streams in bitstreams/. The run is split into chunks of --chunk inputs
(chunk k uses the generator seed (seed, k)); each finished chunk is saved under --state-dir, so an
interrupted run resumes where it stopped and several workers share the chunks. Every worker runs
under an address-space limit of its warmed-up size plus --memory-limit-gib, so an input that
needs more memory fails with MemoryError and is kept as a failure; the peak resident memory of
the worst input is measured per input. Any input that raised something other than StrataError,
or took more than 10 s of CPU time (60 s of wall time), is saved under --save-dir for a
regression test.
"""
import argparse
import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path

from tqdm import tqdm

from codec import container
from codec.api import decode_stream
from codec.fuzz import campaign
from codec.trim import trim

GIB = 1 << 30


def _targets(name: str, max_pixels: int) -> dict:
    decode = lambda d: decode_stream(d, max_pixels=max_pixels)
    cut = lambda d: (trim(d, layers=1), trim(d, bpp=0.25))
    return {"parser": {"parse": lambda d: container.parse(d, max_pixels)},
            "decoder": {"decode": decode}, "trim": {"trim": cut},
            "all": {"decode": decode, "trim": cut}}[name]


def _vm_size() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))


def _run_chunk(job):
    a, seeds, k = job
    out = a.state_dir / f"chunk-{a.seed}-{k}.json"
    if out.exists():
        return json.loads(out.read_text())
    targets = _targets(a.target, a.max_pixels)
    if not getattr(_run_chunk, "limited", False):  # once per worker: warm up, then cap growth
        for s in seeds:
            for t in targets.values():
                try:
                    t(s)
                except Exception:
                    pass
        limit = _vm_size() + int(a.memory_limit_gib * GIB)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        _run_chunk.limited = True
    t0 = time.perf_counter()
    res = campaign(targets, seeds, a.chunk, seed=a.seed * 1_000_003 + k, measure_memory=True)
    failures = []
    for i, (data, why) in enumerate(res.pop("bad")):
        a.save_dir.mkdir(exist_ok=True)
        path = a.save_dir / f"{a.target}-{a.seed}-{k}-{i}.bin"
        path.write_bytes(data)
        failures.append(f"{path}: {why}")
    res.update(chunk=k, failures=failures, seconds=time.perf_counter() - t0)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(res))
    tmp.replace(out)
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=100000)
    p.add_argument("--target", choices=["all", "decoder", "trim", "parser"], default="all")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--chunk", type=int, default=2000, help="inputs per resumable chunk")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--max-pixels", type=int, default=container.DEFAULT_MAX_PIXELS,
                   help="pixel cap while fuzzing (default: the CLI's)")
    p.add_argument("--memory-limit-gib", type=float, default=4.0,
                   help="address space a worker may add to its warmed-up size")
    p.add_argument("--state-dir", type=Path, default=Path("checkpoints/fuzz"))
    p.add_argument("--save-dir", type=Path, default=Path("fuzz-failures"))
    p.add_argument("--out", type=Path, help="write the totals as JSON")
    a = p.parse_args()
    seeds = [f.read_bytes() for f in sorted(Path("bitstreams").glob("*.strata"))]
    if not seeds:
        sys.exit("fuzz: error: no seed streams in bitstreams/ (run tools/make_conformance.py)")
    if a.n % a.chunk:
        sys.exit("fuzz: error: --n must be a multiple of --chunk")
    a.state_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(a, seeds, k) for k in range(a.n // a.chunk)]
    results = []
    with tqdm(total=a.n, desc=a.target, mininterval=5) as bar:
        if a.workers > 1:
            with multiprocessing.get_context("fork").Pool(a.workers, maxtasksperchild=None) as pool:
                for r in pool.imap_unordered(_run_chunk, jobs):
                    results.append(r)
                    bar.update(r["inputs"])
        else:
            for job in jobs:
                results.append(_run_chunk(job))
                bar.update(results[-1]["inputs"])
    counts = {}
    for r in results:
        for key, v in r["counts"].items():
            counts[key] = counts.get(key, 0) + v
    worst = max(results, key=lambda r: r["worst_peak_rss"] or 0)
    total = {"inputs": sum(r["inputs"] for r in results), "target": a.target, "seed": a.seed,
             "counts": dict(sorted(counts.items())), "slowest_s": round(max(r["slowest_s"] for r in results), 3),
             "slowest_cpu_s": round(max(r.get("slowest_cpu_s", r["slowest_s"]) for r in results), 3),
             "worst_input_peak_rss_gib": round((worst["worst_peak_rss"] or 0) / GIB, 3),
             "memory_limit_gib": a.memory_limit_gib, "max_pixels": a.max_pixels,
             "cpu_seconds": round(sum(r["seconds"] for r in results)),
             "failures": [f for r in results for f in r["failures"]]}
    print(json.dumps(total, indent=1))
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(total, indent=1) + "\n")
    sys.exit(1 if total["failures"] else 0)


if __name__ == "__main__":
    main()
