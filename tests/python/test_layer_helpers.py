"""Layers built by helper functions of the same file (``self.conv1 = conv3x3(...)``): the
attribute is known to hold a Conv, so its call gets the target's layout; a helper whose
result is not understood leaves its calls kept and marked, never converted layout-blind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.python.harness import compare_with_torch
from tests.python.helpers import convert

MODELS = Path(__file__).parent / "models"


def test_helper_conv_block_matches(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("flax.nnx")
    source = (MODELS / "helper_layers_torch.py").read_text()
    got, want, code = compare_with_torch(source, "HelperConvBlock", (), (2, 4, 8, 8), "flax_nnx", tmp_path,
                                         "helper_conv")
    assert "self.conv1(jnp.transpose(" in code
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


UNKNOWN = '''
import torch.nn as nn


def make(kind, c):
    if kind == "conv":
        return nn.Conv2d(c, c, 3, padding=1)
    return nn.Linear(c, c)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = make("conv", 3)

    def forward(self, x):
        return self.body(x)
'''


def test_helper_of_unknown_kind_is_kept_marked():
    code, report = convert(UNKNOWN, "torch", "flax_nnx", path="net.py")
    warnings = [d for d in report.diagnostics if d.severity == "warning"]
    assert any("layer of unknown kind" in str(d) and d.line == 17 for d in warnings), [str(d) for d in warnings]
    assert "return self.body(x)  # swc: unmapped self.body" in code


def test_layers_built_by_a_method_match(tmp_path):
    """``self._make_layer(Block, ...)`` builds blocks through ``block(...)`` and a downsample
    through ``conv1x1(...)``: the method takes ``rngs`` and every call on the way passes it."""
    pytest.importorskip("torch")
    pytest.importorskip("flax.nnx")
    source = (MODELS / "method_layers_torch.py").read_text()
    got, want, code = compare_with_torch(source, "Stages", (), (2, 3, 8, 8), "flax_nnx", tmp_path, "method_layers")
    assert ("def _make_layer(\n        self, block, planes: int, blocks: int, stride: int = 1, *, rngs: nnx.Rngs\n"
            "    ) -> nnx.Module:") in code
    assert "self._make_layer(Block, 4, 2, rngs=rngs)" in code
    assert "block(self.inplanes, planes, rngs=rngs)" in code
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
