"""Calls that used to convert wrongly: kept tuple arguments, keyword order, torch's
mul/sub/div methods, optax losses that dropped the prediction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.python.helpers import convert, import_code

RTOL = ATOL = 1e-5

LOSSES = """\
import torch
import torch.nn.functional as F


def losses(x, t, logp, q):
    a = F.huber_loss(x, t, delta=0.5)
    b = F.huber_loss(x, t, reduction="sum")
    c = F.kl_div(logp, q)
    d = F.kl_div(logp, q, reduction="sum")
    return a, b, c, d
"""


def test_optax_losses_keep_the_prediction_and_match_torch(tmp_path):
    code, report = convert(LOSSES, "torch", "jax")
    assert not [d for d in report.diagnostics if d.severity == "warning"], code
    assert "optax.huber_loss(x, t, delta=0.5)" in code
    mod = import_code(code, tmp_path, "losses_jax")
    ref = import_code(LOSSES, tmp_path, "losses_torch")
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(4, 5)).astype(np.float32), rng.normal(size=(4, 5)).astype(np.float32)
    logp = np.log(rng.dirichlet(np.ones(5), size=4)).astype(np.float32)
    q = rng.dirichlet(np.ones(5), size=4).astype(np.float32)
    q[0, 0] = 0.0  # xlogy(0, 0) is 0, as torch takes it
    want = ref.losses(*(torch.from_numpy(a) for a in (x, t, logp, q)))
    got = mod.losses(x, t, logp, q)
    for w, g in zip(want, got, strict=True):
        np.testing.assert_allclose(np.asarray(g), w.numpy(), rtol=RTOL, atol=ATOL)


def test_kl_div_reductions_jax_cannot_express_stay_marked():
    src = ("import torch.nn.functional as F\n\n\ndef f(logp, q):\n"
           "    return F.kl_div(logp, q, reduction='batchmean') + F.kl_div(logp, q, log_target=True)\n")
    code, report = convert(src, "torch", "jax")
    assert code.count("# swc: unmapped torch.nn.functional.kl_div") == 1
    assert [d.message.split(":")[-1].strip() for d in report.diagnostics if "kl_div" in d.message] == [
        "reduction='batchmean' has no jax equivalent", "log_target=True has no jax equivalent"]


ARITH = """\
import torch
import torch.nn as nn


class Arith(nn.Module):
    def forward(self, x, y):
        h = x * 1.0
        h.mul_(2)
        h.sub_(y)
        h.div_(3)
        z = torch.sub(h, y, alpha=2)
        return h.mul(y).sub(1).div(y) + torch.mul(z, 2) + torch.div(z, 4)
"""


@pytest.mark.parametrize("target", ["jax", "mlx", "tensorflow"])
def test_mul_sub_div_methods_and_in_place_forms(target, tmp_path):
    code, report = convert(ARITH, "torch", target)
    assert "torch" not in code and not report.diagnostics, code
    mod = import_code(code, tmp_path, f"arith_{target}")
    ref = import_code(ARITH, tmp_path, "arith_torch")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    y = (rng.uniform(1.0, 2.0, size=(3, 4))).astype(np.float32)
    want = ref.Arith()(torch.from_numpy(x), torch.from_numpy(y)).numpy()
    got = mod.Arith()(x, y) if target != "mlx" else np.array(mod.Arith()(*(_mx(a) for a in (x, y))))
    np.testing.assert_allclose(np.asarray(got), want, rtol=RTOL, atol=ATOL)


def _mx(a):
    import mlx.core as mx

    return mx.array(a)


def test_kept_torch_adam_spells_betas_as_torch_takes_them(tmp_path):
    src = ("import torch\n\n\ndef make(params):\n"
           "    return torch.optim.Adam(params, lr=1e-3, betas=(0.8, 0.99), weight_decay=0.1)\n")
    code, _ = convert(src, "torch", "mlx")
    line = next(ln for ln in code.splitlines() if "Adam(" in ln)
    assert "betas=(0.8, 0.99)" in line and "beta1" not in line and "beta2" not in line
    opt = import_code(code, tmp_path, "kept_adam").make([torch.nn.Parameter(torch.zeros(2))])
    assert opt.defaults["betas"] == (0.8, 0.99)  # the kept call still runs in torch


def test_keywords_follow_the_target_signature():
    src = "import optax\n\n\ndef make():\n    return optax.adam(1e-2, eps=1e-7, b2=0.99, b1=0.8)\n"
    code, _ = convert(src, "jax", "torch")
    assert "Adam(lr=1e-2, betas=(0.8, 0.99), eps=1e-7)" in code
