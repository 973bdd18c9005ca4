"""Knowledge distillation of the hardware student from a shipped teacher, resumable.

    loss = 0.2 MSE(y_s, y_t) + 0.2 * 255^2 MSE(x_s, x_t) + 0.6 (lambda 255^2 MSE(x_s, x) + bpp)
           + 0.05 MSE(z_s, z_t)                                   (student.distillation_loss)

The student starts with the teacher's hyper transforms and entropy models (same widths: only
the two big transforms shrink), so from the first step its hyper-latent speaks the teacher's
language and the latent term has a target it can reach; its two transforms start as the
channel-pruned teacher (student.init_from_teacher: measured 21.7 dB on validation crops before
any step, where random weights reached ~20 dB after 1,200 steps). The teacher is frozen and runs in eval
mode. `quant` picks the student's form: "float" (standard or L1 GDN, `gdn`) or "hybrid" (the
Brevitas quantization-aware student of quant.py, initialised from a float student with --init).
Checkpoints and resume come from the shared driver (codec/training/driver.py).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import torch

from codec.errors import OptionError
from codec.image.models.hyperprior import STRIDE
from codec.image.training.data import CropSampler, load_rgb, require_crop_multiple
from codec.image.training.validate import val_line, validate
from codec.registry import load_model_variant, model_info
from codec.image.training.loop import checkpointed, rd_optimizers, rd_update
from codec.training.driver import RunConfig, load_weights, model_state, resume, run, start_run

from .student import GDN_KINDS, HardwareStudent, distillation_loss, init_from_teacher

SHARED_WITH_TEACHER = ("h_a.", "h_s.", "entropy_bottleneck.", "gaussian_conditional.")
QUANT_FORMS = ("float", "hybrid")


@dataclass
class DistillConfig(RunConfig):
    teacher: str = "hyperprior-mid-3"
    N: int = 64
    gdn: str = "l1"
    lmbda: float = 0.0  # 0: the teacher's training lambda (registry)
    crop: int = 128
    quant: str = "float"  # one of QUANT_FORMS
    bits: str = ""  # hybrid: JSON file of per-activation bit widths (tools/hw_sensitivity.py)
    init: str | None = None  # start from these student weights (e.g. the float student for QAT)
    prune: int = 1  # no init: 1 starts from the channel-pruned teacher (student.init_from_teacher), 0 random


def build_student(cfg: DistillConfig):
    if cfg.gdn not in GDN_KINDS:
        raise OptionError("gdn", f"must be one of {', '.join(GDN_KINDS)}, not {cfg.gdn!r}")
    if cfg.quant not in QUANT_FORMS:
        raise OptionError("quant", f"must be one of {', '.join(QUANT_FORMS)}, not {cfg.quant!r}")
    if cfg.quant == "float":
        return HardwareStudent(cfg.N, gdn=cfg.gdn)
    from .quant import QuantStudent
    bits = json.loads(open(cfg.bits).read())["bits"] if cfg.bits else None
    return QuantStudent(cfg.N, bits=bits)


def distill(cfg: DistillConfig, train_files, val_files):
    require_crop_multiple(cfg.crop, STRIDE)
    lmbda = cfg.lmbda or float(model_info(cfg.teacher).extra["lambda"])
    out, device, amp = start_run(cfg)
    teacher = load_model_variant(cfg.teacher)[0].to(device).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    student = build_student(cfg).to(device).to(memory_format=torch.channels_last)
    main_params, opt, aux_opt = rd_optimizers(student, cfg.lr)
    sampler = CropSampler(train_files, cfg.crop, seed=cfg.seed)
    val_images = [load_rgb(p) for p in val_files]
    saved = checkpointed(student, opt, aux_opt, sampler)
    step = resume(out, saved, device)
    if step is None:
        step = 0
        if cfg.init and cfg.quant == "hybrid":
            student.load_float_student(model_state(cfg.init, device))
            print(f"initialised from the float student {cfg.init}")
        elif cfg.init:
            load_weights(student, cfg.init, device)
            print(f"initialised from {cfg.init}")
        else:
            shared = {k: v for k, v in teacher.state_dict().items()
                      if k.startswith(SHARED_WITH_TEACHER) and not any(t in k for t in ("_cdf", "_offset", "scale_table"))}
            student.load_state_dict(shared, strict=False)
            print(f"hyper transforms and entropy models from {cfg.teacher}")
            if cfg.prune and cfg.quant == "float":
                init_from_teacher(student, teacher, sampler.batch(cfg.batch).to(device))
                print(f"g_a and g_s: the channel-pruned {cfg.teacher}")
        if cfg.quant == "hybrid":
            from .quant import calibrate
            calibrate(student, sampler.batch(cfg.batch).to(device))

    def train_step() -> dict:
        x = sampler.batch(cfg.batch).to(device)
        with torch.no_grad():
            t_out = teacher(x, autocast=amp)
        student.train()
        s_out = student(x, autocast=amp, ste=True)
        loss, terms = distillation_loss(s_out, t_out, x, lmbda)
        rd_update(student, loss, main_params, opt, aux_opt, cfg.clip)  # projects the quantized GDNs
        return {"loss": float(loss), **terms, "psnr": 10 * math.log10(1 / max(terms["mse"], 1e-10))}

    def validation() -> dict:  # real coding; the quantized student as it ships (integers)
        if cfg.quant == "hybrid":
            from .export import integer_student
            return validate(integer_student(student), "hardware-student", val_images, {"full": None})
        return validate(student, "mean-scale-hyperprior", val_images, {"full": None})

    return run(cfg, out, saved, step, opt, train_step, validation, val_line, show=("loss", "bpp", "psnr"))
