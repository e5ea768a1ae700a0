"""A norm layer told its channel axis (Keras and flax ``BatchNormalization(axis=1)``) inside a
``Sequential`` that runs channels-last because of a convolution: the container takes the
convolution's layout, with one move at each of its ends, and the norm its default last
axis. Beside no convolution it keeps axis 1 in the source layout.

The statistics and affine weights are drawn per channel, so a norm over the wrong axis
shows, also where the length equals the channel count.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.harness import compare_with_torch, per_channel_statistics
from tests.python.test_channel_moves import SOURCE as NORMS

torch = pytest.importorskip("torch")

SOURCE = """\
from torch import nn


class ConvBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(4, 8, 3, padding=1),
            nn.BatchNorm1d(8),
            nn.ReLU(),
            nn.MaxPool1d(2),
        )

    def forward(self, x):
        return self.features(x)


class VolumeBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv3d(2, 3, 3, padding=1), nn.BatchNorm3d(3), nn.ReLU())

    def forward(self, x):
        return self.body(x)
"""

_IMPORT = {"mlx": "mlx.core", "keras": "keras", "flax_nnx": "flax.nnx"}


def _compare(cls: str, shape: tuple, target: str, tmp_path, source: str = SOURCE) -> str:
    pytest.importorskip(_IMPORT[target])
    got, want, code = compare_with_torch(source, cls, (), shape, target, tmp_path, f"seq_axis_{cls}",
                                         prepare=per_channel_statistics)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    return code.split(f"class {cls}", 1)[1].split("\nclass ", 1)[0]


@pytest.mark.parametrize("shape", [(2, 4, 12), (2, 4, 16)])  # after the pool L == C in the second
@pytest.mark.parametrize("target", ["keras", "flax_nnx", "mlx"])
def test_conv_norm_pool_sequential_runs_channels_last(tmp_path, target, shape):
    body = _compare("ConvBlock", shape, target, tmp_path)
    assert "unmapped" not in body and "axis=" not in body, body


@pytest.mark.parametrize("target", ["keras", "flax_nnx"])
def test_norm_after_linear_keeps_axis_one(tmp_path, target):
    body = _compare("DenseNormSeq", (5, 5), target, tmp_path, NORMS)
    assert "axis=1" in body and "transpose" not in body, body


@pytest.mark.parametrize("target", ["keras", "flax_nnx"])
def test_conv3d_norm_sequential_runs_channels_last(tmp_path, target):
    body = _compare("VolumeBlock", (1, 2, 3, 4, 5), target, tmp_path)
    assert "unmapped" not in body and "axis=" not in body, body
