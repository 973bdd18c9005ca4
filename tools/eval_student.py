#!/usr/bin/env python3
"""The hardware track's measurements on Kodak (hw/evaluate.py, hw/throughput.py):

    python tools/eval_student.py --float-gdn checkpoints/student-gdn/last.pt \
        --float-l1 checkpoints/student-l1/last.pt --qat checkpoints/student-q/last.pt \
        --student student-n64-mid --out results/hw

- RD with real files of the teacher (its three shipped rates), the float student with standard
  GDN, with the L1 GDN, and the shipped integer student; each student's rate difference at equal
  PSNR against the teacher's curve, and the quantization's own cost (integer vs float L1);
- the largest difference between Brevitas fake quantization and the integer reference;
- exact equality of the CLI decode with the NumPy reference (--exact N images) and with the
  g++-compiled HLS kernel on a whole Kodak image (--kernel);
- MACs per pixel and the analytic ZCU102 throughput model; decode time of a student stream
  through the CLI (a fresh process, 2 threads).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/kodak")
    p.add_argument("--teachers", nargs="+", default=["hyperprior-low-3", "hyperprior-mid-3", "hyperprior-high-4"])
    p.add_argument("--float-gdn", help="float student checkpoint with standard GDN")
    p.add_argument("--float-l1", help="float student checkpoint with the L1 GDN")
    p.add_argument("--qat", help="quantization-aware student checkpoint (fake-quant comparison)")
    p.add_argument("--student", default="student-n64-mid", help="the shipped integer student")
    p.add_argument("--exact", type=int, default=2, help="images checked against the NumPy reference")
    p.add_argument("--kernel", action="store_true", help="compile and run the HLS kernel on a whole image")
    p.add_argument("--limit", type=int, help="first N images only (a quick run)")
    p.add_argument("--out", default="results/hw")
    p.add_argument("--hls", default="build/hls-eval", help="where the whole-image HLS export goes")
    a = p.parse_args()

    from codec import container
    from codec.contract import DecodeOptions
    from codec.image.eval.runner import load_folder
    from codec.registry import load_codec
    from hw import evaluate as ev
    from hw import hls
    from hw.integer_model import run, to_pixels
    from hw.throughput import throughput

    images = load_folder(a.data)[: a.limit]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    res = {"images": len(images), "command": "python tools/eval_student.py " + " ".join(sys.argv[1:])}
    bar = tqdm(total=len(images) * (len(a.teachers) + 1 + bool(a.float_gdn) + bool(a.float_l1)), desc="kodak RD")

    def point(codec):
        return ev.rd_point(codec, images, progress=lambda: bar.update(1))

    res["teacher"] = {t: point(load_codec(t)) for t in a.teachers}
    teacher = list(res["teacher"].values())
    rows = {}
    for key, ck in (("float student, GDN", a.float_gdn), ("float student, L1 GDN", a.float_l1)):
        if ck:
            codec, step = ev.float_student_codec(ck)
            rows[key] = point(codec) | {"steps": step}
    student = load_codec(a.student)
    rows["integer student (shipped)"] = point(student)
    bar.close()
    for r in rows.values():
        r["rate_vs_teacher"] = ev.rate_difference(teacher, r)
        r["psnr_vs_teacher"] = ev.psnr_difference(teacher, r)
    if "float student, L1 GDN" in rows:
        f, q = rows["float student, L1 GDN"], rows["integer student (shipped)"]
        # both against the same teacher curve: its local slope converts the PSNR change to rate
        res["quantization_cost"] = {"rate": (1 + q["rate_vs_teacher"]) / (1 + f["rate_vs_teacher"]) - 1,
                                    "psnr": q["psnr"] - f["psnr"], "bpp": q["bpp"] / f["bpp"] - 1}
    res["students"] = rows

    # exactness: the CLI path (torch fast path) against the NumPy specification
    gs = student.model.int_g_s
    exact = []
    for name, rgb in tqdm(images[: a.exact], desc="numpy reference"):
        y_raw, data = ev.latent_of(student, rgb)
        ref = to_pixels(run(gs, y_raw, "numpy"), gs.layers[-1].out)[:, : rgb.shape[0], : rgb.shape[1]]
        cli = np.asarray(student.decode(container.parse(data, max_pixels=1 << 40), DecodeOptions())[0])
        exact.append({"image": name, "equal": bool(np.array_equal(cli, ref.transpose(1, 2, 0)))})
    res["cli_equals_numpy_reference"] = exact

    if a.qat:
        from hw.quant import load_checkpoint
        q = load_checkpoint(a.qat)
        diffs = [ev.fake_quant_difference(q, gs, ev.latent_of(student, rgb)[0]) for _, rgb in tqdm(images[:4], desc="fake quant")]
        res["fake_quant_vs_integer"] = {"max_lsb": max(d["max_lsb"] for d in diffs), "mean_lsb": float(np.mean([d["mean_lsb"] for d in diffs])),
                                        "max_pixel": max(d["max_pixel"] for d in diffs),
                                        "pixels_differing": float(np.mean([d["pixels_differing"] for d in diffs]))}

    # the HLS export of one whole image, and (with --kernel) its C simulation
    name, rgb = images[min(22, len(images) - 1)]
    y_raw, _ = ev.latent_of(student, rgb)
    hls_dir = Path(a.hls).resolve()  # megabytes of headers and golden vectors: not results
    man = hls.export(gs, y_raw, hls_dir)
    res["hls"] = {"image": name, "folder": a.hls}
    if a.kernel:
        from hw.kernel_check import run_testbench
        t0 = time.time()
        verdict, kernel = run_testbench(hls_dir)
        res["hls"] |= {"testbench": verdict, "csim_s": time.time() - t0,  # compile and run
                       "kernel_equals_reference": bool(np.array_equal(kernel, run(gs, y_raw, "torch").ravel()))}
        (hls_dir / "tb_g_s").unlink()
    res["throughput"] = {f"{w}x{h}@{mhz}MHz": throughput(man, w, h, mhz) for w, h in ((1920, 1080), (1280, 720))
                         for mhz in (200, 250, 300)}

    # decode time of a student stream through the CLI, as a user runs it (fresh process)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(a.data) / name
        strata = shutil.which("strata") or str(Path(sys.executable).parent / "strata")
        subprocess.run([strata, "encode", str(src), "-o", f"{tmp}/s.strata", "--model", a.student], check=True)
        times = []
        for i in range(3):
            t0 = time.perf_counter()
            subprocess.run([strata, "decode", f"{tmp}/s.strata", "-o", f"{tmp}/o{i}.png"], check=True,
                           env=os.environ | {"OMP_NUM_THREADS": "2"})
            times.append(time.perf_counter() - t0)
        res["cli_decode_s"] = {"image": name, "best_of_3": min(times)}
    (out / "rd.json").write_text(json.dumps(res, indent=1, default=str))
    (out / "rd.md").write_text(markdown(res))
    print(markdown(res))


def markdown(res: dict) -> str:
    lines = ["| model | bpp | PSNR (dB) | rate vs teacher at equal PSNR | PSNR vs teacher at equal rate | decode (s) |",
             "|---|---|---|---|---|---|"]
    for k, r in res["teacher"].items():
        lines.append(f"| teacher {k} | {r['bpp']:.4f} | {r['psnr']:.2f} | | | {r['decode_s']:.2f} |")
    for k, r in res["students"].items():
        lines.append(f"| {k} | {r['bpp']:.4f} | {r['psnr']:.2f} | {100 * r['rate_vs_teacher']:+.1f}% | "
                     f"{r['psnr_vs_teacher']:+.2f} | {r['decode_s']:.2f} |")
    lines.append("")
    if "quantization_cost" in res:
        c = res["quantization_cost"]
        lines.append(f"Quantization alone (integer vs float L1 student): {100 * c['rate']:+.1f}% rate at equal PSNR "
                     f"({c['psnr']:+.3f} dB, {100 * c['bpp']:+.2f}% bpp).")
    if "fake_quant_vs_integer" in res:
        f = res["fake_quant_vs_integer"]
        lines.append(f"Brevitas fake quantization vs integer reference (g_s output): max {f['max_lsb']:.0f} LSB, "
                     f"mean {f['mean_lsb']:.4f} LSB; max {f['max_pixel']} in 8-bit pixels, {100 * f['pixels_differing']:.3f}% of pixels differ.")
    ok = all(e["equal"] for e in res["cli_equals_numpy_reference"])
    lines.append(f"CLI decode == NumPy reference on {len(res['cli_equals_numpy_reference'])} Kodak images: {ok}.")
    if "kernel_equals_reference" in res["hls"]:
        h = res["hls"]
        lines.append(f"HLS kernel (g++ C simulation) on {h['image']}: {h['testbench']}, equal to the reference: "
                     f"{h['kernel_equals_reference']} ({h['csim_s']:.0f} s to compile and run).")
    t = res["throughput"]
    k = next(iter(t.values()))
    lines.append(f"g_s: {k['macs_per_pixel']:.0f} MACs per pixel, {k['dsp_cycles_per_pixel']:.0f} DSP-cycles per pixel "
                 f"(int8-input layers pack 2 MACs per DSP), weights {k['weights_kib']:.0f} KiB on chip.")
    lines.append("")
    lines.append("| frame | clock | Mpixel/s | frames/s | DDR needed (GB/s) |")
    lines.append("|---|---|---|---|---|")
    for key, v in t.items():
        lines.append(f"| {v['frame']} | {v['clock_mhz']:.0f} MHz | {v['mpixel_per_s']:.1f} | {v['fps']:.1f} | {v['ddr_gbps_needed']:.2f} |")
    lines.append("")
    lines.append(f"CLI decode of {res['cli_decode_s']['image']} (fresh process, 2 threads): {res['cli_decode_s']['best_of_3']:.2f} s.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
