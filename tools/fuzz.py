#!/usr/bin/env python3
"""Long fuzz run over the container parser and the image decoder.

    python tools/fuzz.py --n 100000 [--target decoder|parser] [--seed 0] [--save-dir fuzz-failures]

Seeds are the conformance streams in bitstreams/ (or a freshly encoded image). Prints outcome
counts; any input that raised something other than StrataError, or took longer than the limit,
is saved for a regression test. Peak memory is reported at the end.
"""
import argparse
import resource
import sys
from pathlib import Path

from tqdm import tqdm

from codec import container
from codec.fuzz import campaign
from codec.api import decode_stream


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=100000)
    p.add_argument("--target", choices=["decoder", "parser"], default="decoder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-pixels", type=int, default=1 << 22, help="pixel cap while fuzzing the decoder")
    p.add_argument("--save-dir", type=Path, default=Path("fuzz-failures"))
    a = p.parse_args()
    seeds = [f.read_bytes() for f in sorted(Path("bitstreams").glob("*.strata"))]
    if not seeds:
        sys.exit("fuzz: error: no seed streams in bitstreams/ (run tools/make_conformance.py)")
    seeds = [s for s in seeds if len(s) < 20000] or seeds
    if a.target == "parser":
        target = lambda d: container.parse(d)
    else:
        target = lambda d: decode_stream(d, max_pixels=a.max_pixels)
    with tqdm(total=a.n, desc=a.target, mininterval=2) as bar:
        res = campaign(target, seeds, a.n, a.seed, progress=bar.update)
    print(f"{a.target}: {res['inputs']} inputs, outcomes {res['counts']}, slowest {res['slowest_s']:.3f} s, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if res["bad"]:
        a.save_dir.mkdir(exist_ok=True)
        for i, (data, why) in enumerate(res["bad"]):
            (a.save_dir / f"{a.target}-{a.seed}-{i}.bin").write_bytes(data)
            print(f"  {i}: {why}")
        sys.exit(1)


if __name__ == "__main__":
    main()
