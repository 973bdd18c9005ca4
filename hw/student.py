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


# ---------------------------------------------------------------------- start from the teacher
def _gdn_norm(gdn, x: torch.Tensor) -> torch.Tensor:
    """The teacher GDN's denominator sqrt(beta + gamma x^2) (CompressAI's GDN)."""
    c = x.shape[1]
    return torch.sqrt(torch.nn.functional.conv2d(x * x, gdn.gamma_reparam(gdn.gamma).reshape(c, c, 1, 1),
                                                 gdn.beta_reparam(gdn.beta)))


def _fit_l1(x: torch.Tensor, norm: torch.Tensor, beta_min: float, samples: int = 20000):
    """beta, gamma >= 0 with beta + gamma |x| ~ norm (least squares over pixels, then clamped)."""
    a = x.abs().permute(1, 0, 2, 3).reshape(x.shape[1], -1).T
    b = norm.permute(1, 0, 2, 3).reshape(norm.shape[1], -1).T
    idx = torch.randperm(a.shape[0], generator=torch.Generator().manual_seed(0))[:samples]
    a1 = torch.cat([a[idx], torch.ones(len(idx), 1)], 1).double()
    sol = torch.linalg.lstsq(a1, b[idx].double()).solution.float()  # (C + 1, C)
    return sol[-1].clamp_min(beta_min), sol[:-1].T.clamp_min(0)


@torch.no_grad()
def init_from_teacher(student: HardwareStudent, teacher, x: torch.Tensor) -> None:
    """Channel-pruned copy of the teacher: each hidden stage keeps the student's width of the
    teacher's channels (the most active on x), convolutions keep the matching slices, and each
    GDN becomes the L1 GDN fitted (least squares) to the teacher's denominator on x. A better
    start than random weights for a student with the teacher's structure at half the width."""
    for seq_s, seq_t, inp in ((student.g_a, teacher.g_a, x), (student.g_s, teacher.g_s, teacher.g_a(x))):
        keep_in = torch.arange(seq_t[0].weight.shape[1] if isinstance(seq_t[0], nn.Conv2d) else seq_t[0].weight.shape[0])
        h = inp
        for i in range(0, len(seq_t), 2):
            conv_t, conv_s = seq_t[i], seq_s[i]
            out = conv_t(h)
            last = i == len(seq_t) - 1
            deconv = isinstance(conv_t, nn.ConvTranspose2d)
            if last:
                keep_out = torch.arange(out.shape[1])
            else:
                act = seq_t[i + 1](out)
                keep_out = act.abs().mean(dim=(0, 2, 3)).argsort(descending=True)[:student.transform_N].sort().values
            w = conv_t.weight[:, keep_out][keep_in] if deconv else conv_t.weight[keep_out][:, keep_in]
            conv_s.weight.copy_(w)
            conv_s.bias.copy_(conv_t.bias[keep_out])
            if not last:
                gdn_t, gdn_s = seq_t[i + 1], seq_s[i + 1]
                xs = out[:, keep_out]
                if isinstance(gdn_s, L1GDN):
                    beta, gamma = _fit_l1(xs, _gdn_norm(gdn_t, out)[:, keep_out], gdn_s.beta_min)
                    gdn_s._beta.copy_(beta.sqrt())
                    gdn_s._gamma.copy_(gamma.sqrt())
                else:  # standard GDN: the sub-matrix of the teacher's
                    g = gdn_t.gamma_reparam(gdn_t.gamma)[keep_out][:, keep_out]
                    gdn_s.beta.copy_(gdn_s.beta_reparam.init(gdn_t.beta_reparam(gdn_t.beta)[keep_out]))
                    gdn_s.gamma.copy_(gdn_s.gamma_reparam.init(g))
                h = seq_t[i + 1](out)
            keep_in = keep_out
