"""Layers of any rank to channels-last targets: BatchNorm1d takes [N, C] and [N, C, L].

``layout_map: {args: {input: NC...->N...C}, return: N...C->NC...}`` moves the channel axis
to the end and back with ``moveaxis``, the identity on [N, C]; beside a layer of fixed rank
(Conv1d's ``NCL->NLC``) the moves fold into its permutations. The running statistics and
affine weights are drawn per channel, so a layer normalizing the wrong axis shows, even
where L == C (the case a fixed ``NCL->NLC`` or no permutation at all gets silently wrong).
"""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.ontology.odl import channel_move
from switcheroo.passes.layout_moves import Move, cancels

from tests.python.harness import compare_with_torch, per_channel_statistics
from tests.python.helpers import convert

torch = pytest.importorskip("torch")

SOURCE = """\
import torch.nn as nn
import torch.nn.functional as F


class Norm(nn.Module):
    def __init__(self, channels: int = 4):
        super().__init__()
        self.bn = nn.BatchNorm1d(channels)

    def forward(self, x):
        return self.bn(x)


class ConvNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm1d(4)
        self.conv2 = nn.Conv1d(4, 2, 3, padding=1)

    def forward(self, x):
        return self.conv2(F.relu(self.bn(self.conv1(x))))


class ConvNormSeq(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv1d(3, 4, 3, padding=1), nn.BatchNorm1d(4), nn.ReLU())

    def forward(self, x):
        return self.body(x)


class DenseNormSeq(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU())

    def forward(self, x):
        return self.body(x)


class NormSeq(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.BatchNorm1d(4), nn.ReLU())

    def forward(self, x):
        return self.body(x)


class Norm2d(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        return self.bn(x)
"""

_IMPORT = {"mlx": "mlx.core", "keras": "keras", "flax_nnx": "flax.nnx", "numpy": "numpy"}


def _compare(cls: str, shape: tuple, target: str, tmp_path) -> str:
    """Convert ``cls`` to ``target``, give both sides per-channel statistics, compare."""
    pytest.importorskip(_IMPORT[target])
    got, want, code = compare_with_torch(SOURCE, cls, (), shape, target, tmp_path, f"norms_{cls}",
                                         prepare=per_channel_statistics)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    return code


def test_channel_move_parses():
    assert channel_move("NC...->N...C") == (1, -1)
    assert channel_move("N...C->NC...") == (-1, 1)
    assert channel_move("NCHW->NHWC") is None
    with pytest.raises(ValueError):
        channel_move("NC...->N...")


def test_moves_fold_at_the_rank_beside_them():
    there, back = Move(1, -1), Move(-1, 1)
    assert there.at_rank(2) == (0, 1) and there.at_rank(3) == (0, 2, 1)
    assert cancels(there, back)
    assert cancels((0, 2, 1), back) and cancels(there, (0, 2, 1))
    assert cancels((0, 2, 3, 1), back)  # NCHW -> NHWC, the last axis back to 1: NCHW
    assert not cancels((0, 2, 3, 1), there)  # NHWC, axis 1 to the end: NWCH
    assert not cancels(Move(1, -1), Move(-2, 1))


@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 4), (3, 4, 7)])
@pytest.mark.parametrize("target", ["mlx", "keras", "flax_nnx", "numpy"])
def test_batchnorm1d_any_rank(tmp_path, target, shape):
    _compare("Norm", shape, target, tmp_path)


def test_mlx_moves_axis_one_and_back(tmp_path):
    code = _compare("Norm", (3, 4, 4), "mlx", tmp_path)
    assert "mx.moveaxis(self.bn(mx.moveaxis(x, 1, -1)), -1, 1)" in code, code


def test_mlx_moves_fold_into_conv_permutations(tmp_path):
    code = _compare("ConvNorm", (2, 3, 6), "mlx", tmp_path)
    body = code.split("class ConvNorm", 1)[1].split("class ", 1)[0]
    assert "moveaxis" not in body and body.count("mx.permute_dims(") == 2, body


def test_mlx_sequential_takes_the_conv_layout(tmp_path):
    code = _compare("ConvNormSeq", (2, 3, 6), "mlx", tmp_path)
    body = code.split("class ConvNormSeq", 1)[1].split("class ", 1)[0]
    assert "moveaxis" not in body and body.count("mx.permute_dims(") == 2, body


@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 4)])
def test_mlx_sequential_of_any_rank_takes_the_move(tmp_path, shape):
    code = _compare("NormSeq", shape, "mlx", tmp_path)
    assert "mx.moveaxis(self.body(mx.moveaxis(x, 1, -1)), -1, 1)" in code, code


def test_mlx_sequential_after_linear_is_left_as_is(tmp_path):
    code = _compare("DenseNormSeq", (5, 5), "mlx", tmp_path)
    body = code.split("class DenseNormSeq", 1)[1].split("class ", 1)[0]
    assert "moveaxis" not in body and "permute_dims" not in body, body


def test_batchnorm2d_keeps_its_fixed_permutation(tmp_path):
    code = _compare("Norm2d", (2, 4, 3, 3), "mlx", tmp_path)
    body = code.split("class Norm2d", 1)[1]
    assert "moveaxis" not in body and "(0, 2, 3, 1)" in body, body


def test_paxml_batchnorm1d_moves_axis_one():
    code, _ = convert(SOURCE, "torch", "paxml", path="norms.py")
    body = code.split("class Norm(", 1)[1].split("class ", 1)[0]
    assert "jnp.moveaxis(self.bn(jnp.moveaxis(x, 1, -1)), -1, 1)" in body, body
