"""Analytic throughput of the synthesis transform on a ZCU102-class FPGA (2,520 DSP slices).

Model (stated assumptions, not a synthesis result):

- every multiply-accumulate of a layer runs on a DSP slice; a DSP48E2 (27 x 18 multiplier)
  packs two int8 x int8 products that share an operand (Xilinx WP486), so a layer whose input
  activations are int8 does 2 MACs per DSP per cycle, an int16-input layer 1;
- the layers form a dataflow pipeline (line buffers between them, weights in on-chip memory),
  DSPs are allotted to layers in proportion to their work, and a fraction `efficiency` of the
  peak survives (pipeline fill, tile borders, allocation granularity);
- transposed convolutions in sub-pixel form (k^2 / s^2 taps per output, hls.layer_macs);
- off-chip traffic is the latent in and the pixels out: weights stay on chip (their size is
  reported) and activations between layers never leave it, so memory bandwidth is not the
  bound (reported against the ZCU102's DDR4, 19.2 GB/s).
"""
from __future__ import annotations

DSP_SLICES = 2520
DDR_GBPS = 19.2


def throughput(manifest: dict, width: int, height: int, clock_mhz: float = 250, efficiency: float = 0.7,
               dsps: int = DSP_SLICES) -> dict:
    """Pixels per second and frames per second of g_s for a width x height frame."""
    in_h, in_w = manifest["input_shape"][1:]
    pixels = (in_h * 16) * (in_w * 16)
    types = [manifest["input_type"]] + [l["output_type"] for l in manifest["layers"]]
    dsp_cycles = 0.0  # DSP-cycles per output pixel
    macs = 0
    for l, t_in in zip(manifest["layers"], types):
        per_px = l["macs"] / pixels
        macs += per_px
        dsp_cycles += per_px / (2 if t_in["width"] <= 8 else 1)
    px_per_s = dsps * clock_mhz * 1e6 * efficiency / dsp_cycles
    weight_bytes = sum(len_of(l["kernel"]) for l in manifest["layers"])  # int8
    frame = width * height
    latent_bytes = frame / 256 * manifest["input_shape"][0] * 2  # int16 latent in
    return {"macs_per_pixel": macs, "dsp_cycles_per_pixel": dsp_cycles, "clock_mhz": clock_mhz,
            "efficiency": efficiency, "dsps": dsps, "mpixel_per_s": px_per_s / 1e6,
            "fps": px_per_s / frame, "frame": f"{width}x{height}", "weights_kib": weight_bytes / 1024,
            "ddr_gbps_needed": (px_per_s / frame) * (latent_bytes + 3 * frame) / 1e9, "ddr_gbps": DDR_GBPS}


def len_of(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
