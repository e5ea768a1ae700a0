"""``convert-init-loops``: a torch constructor's ``for m in self.modules():`` init loop
becomes a flax_nnx walk over ``nnx.iter_modules(self)`` that draws the same distributions.

The numbers are checked against the distributions torch's ``nn.init`` documents (and
against torch's own draws): He normal is a plain normal (values beyond two standard
deviations occur), He uniform is bounded by ``sqrt(6 / fan_in)``, fan_out of a flax kernel
``[h, w, in, out]`` is ``h * w * out`` as torch's ``[out, in, h, w]`` gives it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

SOURCE = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(16, 64, 3)
        self.bn = nn.BatchNorm2d(64)
        self.fc = nn.Linear(256, 512)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                # norms start as the identity
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.kaiming_uniform_(m.weight)
                nn.init.normal_(m.bias, 0, 0.01)

    def forward(self, x):
        return self.bn(self.conv(x))
'''

EXPECTED = '''\
        for _, m in nnx.iter_modules(self):
            if isinstance(m, nnx.Conv):
                m.kernel[...] = jax.nn.initializers.variance_scaling(2.0, "fan_out", "normal")(
                    rngs.params(), m.kernel.shape, m.kernel.dtype
                )
                if m.bias is not None:
                    m.bias[...] = jax.nn.initializers.constant(value=0)(
                        rngs.params(), m.bias.shape, m.bias.dtype
                    )
            elif isinstance(m, nnx.BatchNorm):
                # norms start as the identity
                m.scale[...] = jax.nn.initializers.constant(value=1)(
                    rngs.params(), m.scale.shape, m.scale.dtype
                )
                m.bias[...] = jax.nn.initializers.constant(value=0)(
                    rngs.params(), m.bias.shape, m.bias.dtype
                )
            elif isinstance(m, nnx.Linear):
                m.kernel[...] = jax.nn.initializers.variance_scaling(2.0, "fan_in", "uniform")(
                    rngs.params(), m.kernel.shape, m.kernel.dtype
                )
                m.bias[...] = jax.nn.initializers.normal()(
                    rngs.params(), m.bias.shape, m.bias.dtype
                )
'''


def test_init_loop_text():
    code, report = convert(SOURCE, "torch", "flax_nnx")
    assert [str(d) for d in report.diagnostics if d.severity == "warning"] == []
    assert EXPECTED in code
    assert "def __init__(self, *, rngs: nnx.Rngs):" in code


def _check_draws(conv: np.ndarray, fc: np.ndarray, fan_out: int, fan_in: int) -> None:
    std = math.sqrt(2.0 / fan_out)
    # 9216 draws: the sample standard deviation is within 5% (about 7 of its own sigmas)
    assert abs(conv.std() / std - 1) < 0.05
    assert np.abs(conv).max() > 2.5 * std  # a plain normal, not one truncated at 2 sigma
    bound = math.sqrt(6.0 / fan_in)
    assert np.abs(fc).max() <= bound and np.abs(fc).max() > 0.99 * bound


def test_init_loop_draws_torch_distributions(tmp_path):
    torch = pytest.importorskip("torch")
    nnx = pytest.importorskip("flax.nnx")
    code, _ = convert(SOURCE, "torch", "flax_nnx")
    net = import_code(code, tmp_path, "init_loop_net").Net(rngs=nnx.Rngs(0))
    kernel = np.asarray(net.conv.kernel[...])
    assert kernel.shape == (3, 3, 16, 64)
    _check_draws(kernel, np.asarray(net.fc.kernel[...]), fan_out=64 * 9, fan_in=256)
    assert np.all(np.asarray(net.conv.bias[...]) == 0)
    assert np.all(np.asarray(net.bn.scale[...]) == 1) and np.all(np.asarray(net.bn.bias[...]) == 0)
    assert abs(np.asarray(net.fc.bias[...]).std() / 0.01 - 1) < 0.15  # 512 draws
    # torch's own draws satisfy the same checks
    ns: dict = {}
    exec(compile(SOURCE, "init_loop_torch.py", "exec"), ns)  # noqa: S102 -- the test's own source
    torch.manual_seed(0)
    ref = ns["Net"]()
    _check_draws(ref.conv.weight.detach().numpy(), ref.fc.weight.detach().numpy(), fan_out=64 * 9, fan_in=256)


def test_unconvertible_init_loop_stays_marked():
    source = SOURCE.replace("nn.init.kaiming_uniform_(m.weight)", "nn.init.orthogonal_(m.weight)")
    code, report = convert(source, "torch", "flax_nnx")
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning"]
    assert any("torch.nn.init.orthogonal_" in w for w in warnings), warnings
    assert "for m in self.modules():" in code
    assert "iter_modules" not in code


def test_glorot_and_zeros_fills():
    """xavier_uniform_(gain=2) is variance_scaling(4.0, fan_avg, uniform); zeros is flax's
    init function itself, called like the factories' results."""
    source = '''
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight, gain=2)
                nn.init.zeros_(m.bias)
'''
    code, report = convert(source, "torch", "flax_nnx")
    assert not [d for d in report.diagnostics if d.severity == "warning"]
    assert ('m.kernel[...] = jax.nn.initializers.variance_scaling(4.0, "fan_avg", "uniform")(\n'
            "                    rngs.params(), m.kernel.shape, m.kernel.dtype\n") in code
    assert "m.bias[...] = jax.nn.initializers.zeros(rngs.params(), m.bias.shape, m.bias.dtype)" in code


def test_fill_outside_a_loop_stays_marked():
    """``nn.init.zeros_(self.fc.bias)`` fills in place; flax's ``zeros`` is an init function,
    and a bare reference to it would drop the fill silently: it is kept, marked."""
    source = '''
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        nn.init.zeros_(self.fc.bias)
'''
    code, report = convert(source, "torch", "flax_nnx")
    assert any("torch.nn.init.zeros_" in str(d) for d in report.diagnostics if d.severity == "warning")
    assert "nn.init.zeros_(tensor=self.fc.bias)  # swc: unmapped torch.nn.init.zeros_" in code
