#!/usr/bin/env python3
"""Distil the hardware student from a shipped teacher (resumable; hw/distill.py).

    python tools/train_student.py --out checkpoints/student-l1 --N 64 --gdn l1 --steps 6000
    python tools/train_student.py --out checkpoints/student-gdn --N 64 --gdn gdn --steps 6000
    python tools/train_student.py --out checkpoints/student-q --quant hybrid --bits hw/bits.json \
        --init checkpoints/student-l1/last.pt --steps 1500 --lr 5e-5 --warmup 50

Rerunning the same command resumes from OUT/last.pt. Export with tools/export_student.py.
"""
from codec.image.training.command import train_from_command_line
from hw.distill import DistillConfig, distill

if __name__ == "__main__":
    train_from_command_line(DistillConfig, distill, __doc__, n_val=4)
