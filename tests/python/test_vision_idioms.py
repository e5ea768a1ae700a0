"""Idioms of the torchvision model files, converted to flax_nnx and run on both sides:
``MaxPool2d(padding=1)`` (torch pads with -inf; ``nnx.max_pool``'s (low, high) pairs pad
with the max's identity too), ``torch.jit.is_scripting()`` (False outside TorchScript) and
``F.adaptive_avg_pool2d(x, (1, 1))`` (a mean over the spatial axes)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.harness import compare_with_torch

pytest.importorskip("torch")
pytest.importorskip("flax.nnx")

SOURCE = """\
import torch
import torch.nn.functional as F
from torch import nn


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, x):
        if torch.jit.is_scripting():
            x = x * 2.0
        # every value negative: padding with zeros instead of -inf would change the max
        y = self.pool(self.conv(x) - 100.0)
        return y + F.adaptive_avg_pool2d(y, (1, 1))
"""


def test_stem_idioms_to_flax(tmp_path):
    got, want, code = compare_with_torch(SOURCE, "Stem", (), (2, 3, 11, 11), "flax_nnx", tmp_path, "stem")
    assert "padding=((1, 1), (1, 1))" in code and "if False:" in code
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
