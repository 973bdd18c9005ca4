"""Hardware track: distillation, Brevitas quantization, HW-friendly GDN, HLS export, NumPy integer reference."""
