"""torch's functional pooling (``F.max_pool2d(x, 2)``, ``F.avg_pool2d``, the 1-D forms)
converted to every target and run against torch on the same weights and inputs; arguments
a target cannot say (a padding for Keras, ``divisor_override``, a dilation) stay marked."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.harness import compare_with_torch
from tests.python.helpers import convert

POOL_2D = '''
import torch.nn.functional as F
from torch import nn


class Pool2d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        return F.avg_pool2d(x, 3, stride=1, padding=1)
'''

# Keras pools 'valid' or 'same' only: the same model without the padding.
POOL_2D_VALID = POOL_2D.replace("F.avg_pool2d(x, 3, stride=1, padding=1)", "F.avg_pool2d(x, 3, stride=1)")

POOL_1D = '''
import torch.nn.functional as F
from torch import nn


class Pool1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 3)

    def forward(self, x):
        x = F.max_pool1d(self.conv(x), 2)
        return F.avg_pool1d(x, 2)
'''

TARGETS = ["flax_nnx", "jax", "keras", "tensorflow", "mlx", "numpy"]
PADDED = ["flax_nnx", "jax", "mlx", "numpy"]
IMPORTS = {"flax_nnx": "flax.nnx", "jax": "flax.nnx", "keras": "keras", "tensorflow": "tensorflow",
           "mlx": "mlx.core", "numpy": "numpy"}


def _check(source: str, cls: str, shape: tuple, target: str, tmp_path, name: str) -> str:
    pytest.importorskip("torch")
    pytest.importorskip(IMPORTS[target])
    got, want, code = compare_with_torch(source, cls, (), shape, target, tmp_path, name)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    return code


@pytest.mark.parametrize("target", PADDED)
def test_pool2d_matches_torch(target, tmp_path):
    code = _check(POOL_2D, "Pool2d", (2, 3, 12, 13), target, tmp_path, "fpool2d")
    assert "swc: unmapped" not in code


@pytest.mark.parametrize("target", TARGETS)
def test_pool2d_valid_matches_torch(target, tmp_path):
    code = _check(POOL_2D_VALID, "Pool2d", (2, 3, 12, 13), target, tmp_path, "fpool2dv")
    assert "swc: unmapped" not in code


@pytest.mark.parametrize("target", TARGETS)
def test_pool1d_matches_torch(target, tmp_path):
    code = _check(POOL_1D, "Pool1d", (2, 3, 15), target, tmp_path, "fpool1d")
    assert "swc: unmapped" not in code


def test_flax_text():
    code, report = convert(POOL_2D, "torch", "flax_nnx")
    assert not [d for d in report.diagnostics if d.severity == "warning"]
    assert "nnx.max_pool(" in code and "window_shape=(2, 2)" in code and "strides=(2, 2)" in code
    assert "padding=((1, 1), (1, 1))" in code


@pytest.mark.parametrize("target", ["keras", "tensorflow"])
def test_padding_without_equivalent_stays_marked(target):
    code, report = convert(POOL_2D, "torch", target)
    assert any("padding=1" in str(d) for d in report.diagnostics if d.severity == "warning")
    # the kept call reads the source's layout: no transpose reaches it
    assert "F.avg_pool2d(input=x, kernel_size=3, stride=1, padding=1)  # swc: unmapped" in code


@pytest.mark.parametrize(("call", "target", "said"), [
    ("F.avg_pool2d(x, 2, divisor_override=3)", "flax_nnx", "divisor_override=3"),
    ("F.max_pool2d(x, 2, dilation=2)", "flax_nnx", "dilation=2"),
    ("F.max_pool2d(x, 2, ceil_mode=True)", "keras", "ceil_mode=True"),
    ("F.max_pool2d(x, 2, ceil_mode=True)", "mlx", "ceil_mode=True"),
    ("F.avg_pool2d(x, 2, ceil_mode=True)", "flax_nnx", "ceil_mode=True"),
    ("F.avg_pool2d(x, 2, count_include_pad=False)", "mlx", "count_include_pad=False"),
])
def test_unsayable_argument_stays_marked(call, target, said):
    source = POOL_2D.replace("F.avg_pool2d(x, 3, stride=1, padding=1)", call)
    code, report = convert(source, "torch", target)
    assert any(said in str(d) for d in report.diagnostics if d.severity == "warning"), report.diagnostics
    assert "# swc: unmapped torch.nn.functional." in code
