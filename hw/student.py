"""The hardware student: the teacher's architecture (the mean-scale hyperprior) with one width
knob N for its transforms and the square-root-free L1 GDN in place of GDN.

    teacher  g_a: conv N=128 GDN conv GDN conv GDN conv M      g_s: mirror with IGDN
    student  g_a: conv N     L1GDN ...            conv M      g_s: mirror with L1 IGDN

The latent width M and the hyper transforms (width hyper_N) stay the teacher's: the latent and
hyper-latent can be matched to the teacher's element by element (distillation), and the hyper
transforms and entropy coder stay on the CPU path, as the FPGA design runs the two big
transforms only. `gdn="gdn"` keeps
the standard GDN (the float student, to measure what the L1 form costs at the same width).
"""
from __future__ import annotations

import torch
from torch import nn

from codec.image.models.hyperprior import MeanScaleHyperprior, analysis_transform, synthesis_transform

from .gdn import L1GDN

GDN_KINDS = ("gdn", "l1")


class HardwareStudent(MeanScaleHyperprior):
    def __init__(self, N: int = 64, M: int = 192, hyper_N: int = 128, gdn: str = "l1"):
        if gdn not in GDN_KINDS:
            raise ValueError(f"gdn must be one of {GDN_KINDS}")
        super().__init__(hyper_N, M)
        self.transform_N, self.gdn_kind = N, gdn
        self.g_a, self.g_s = analysis_transform(N, M), synthesis_transform(N, M)
        if gdn == "l1":
            for seq in (self.g_a, self.g_s):
                for i, layer in enumerate(seq):
                    if type(layer).__name__ == "GDN":
                        seq[i] = L1GDN(layer.beta.numel(), inverse=layer.inverse)


def distillation_loss(student_out: dict, teacher_out: dict, x: torch.Tensor, lmbda: float,
                      weights=(0.2, 0.2, 0.6), hyper_weight: float = 0.05) -> tuple[torch.Tensor, dict]:
    """w_latent * MSE(y_s, y_t) + w_rec * lambda 255^2 MSE(x_s, x_t) + w_rd * (lambda 255^2
    MSE(x_s, x) + bpp) + hyper_weight * MSE(z_s, z_t): the latent / reconstruction / RD weights
    of the published N=128 -> 64 study (0.2 / 0.2 / 0.6), plus a small hyper-latent term.

    The reconstruction term carries lambda like the RD term's distortion, so the weights are
    shares of one loss: unscaled 255^2 MSE outweighs the rate by 1/lambda (~300x at the mid
    rate) and the student would learn to match pixels whatever the bits (measured: bpp rose
    instead of falling in the first steps)."""
    w_lat, w_rec, w_rd = weights
    n_pix = x.shape[0] * x.shape[2] * x.shape[3]
    bpp = sum(torch.log2(l).sum() for l in student_out["likelihoods"].values()) / -n_pix
    mse = torch.mean((student_out["x_hat"] - x) ** 2)
    terms = {
        "latent": torch.mean((student_out["y"] - teacher_out["y"].detach()) ** 2),
        "hyper": torch.mean((student_out["z"] - teacher_out["z"].detach()) ** 2),
        "rec": lmbda * 255 ** 2 * torch.mean((student_out["x_hat"] - teacher_out["x_hat"].detach()) ** 2),
        "rd": lmbda * 255 ** 2 * mse + bpp,
    }
    loss = w_lat * terms["latent"] + w_rec * terms["rec"] + w_rd * terms["rd"] + hyper_weight * terms["hyper"]
    return loss, {k: float(v.detach()) for k, v in terms.items()} | {"bpp": float(bpp), "mse": float(mse)}
