#!/usr/bin/env python3
"""Choose int8 or int16 for every activation of the hardware student by measured sensitivity
(hw/sensitivity.py) and write the choice as JSON for the quantization-aware training.

    python tools/hw_sensitivity.py --student checkpoints/student-l1/last.pt --out hw/bits.json
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch


def crops(files, size: int) -> torch.Tensor:
    from codec.image.training.data import load_rgb
    out = []
    for f in files:
        im = load_rgb(f)
        t, l = (im.shape[0] - size) // 2, (im.shape[1] - size) // 2
        out.append(np.ascontiguousarray(im[t:t + size, l:l + size]))
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float().div(255)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--student", required=True, help="float L1-GDN student checkpoint (tools/train_student.py)")
    p.add_argument("--data", default="../shared/data/bsds500", help="calibration: training images; measure: val/")
    p.add_argument("--out", required=True)
    p.add_argument("--threshold", type=float, default=0.05, help="dB an int8 point may cost alone")
    p.add_argument("--crop", type=int, default=256)
    a = p.parse_args()
    from codec.image.training.data import split_train_val
    from codec.training.driver import model_state
    from hw.sensitivity import choose_bits
    train, val = split_train_val(Path(a.data))
    ck = torch.load(a.student, map_location="cpu", weights_only=False)
    N = ck.get("config", {}).get("N", 64)
    torch.manual_seed(0)
    result = choose_bits(model_state(a.student), N, crops(train[::len(train) // 8][:8], a.crop),
                         crops(val[:8], a.crop), a.threshold)
    result["student"], result["command"] = a.student, "python tools/hw_sensitivity.py " + " ".join(
        f"--{k} {v}" for k, v in vars(a).items())
    Path(a.out).write_text(json.dumps(result, indent=1))
    print(f"wrote {a.out}: {sum(b == 8 for b in result['bits'].values())} of {len(result['bits'])} points int8")


if __name__ == "__main__":
    main()
