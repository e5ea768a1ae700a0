"""Arguments whose values follow another convention in another framework (torch's flat
``pad`` from the last dimension, ``tf.split``'s piece sizes, torch ``split`` with a size
that does not divide the axis, Keras/flax BatchNorm momentum and axis, flax transposed
convolutions' layout): each converted and run on both sides."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.harness import compare_with_torch, make_input
from tests.python.helpers import convert, import_code

pytest.importorskip("torch")

TORCH_PAD_SPLIT = """\
import torch
import torch.nn.functional as F


def f(x: torch.Tensor):
    a = F.pad(x, (1, 2))
    b = F.pad(x, (1, 2, 0, 3), mode="replicate")
    c, d = torch.split(x, 3, dim=1)
    e = F.pad(x, (1, 1, 2, 2), value=0.5)
    g, h, i = x.split(2, dim=2)
    return a, b, c, d, e, g, h, i
"""

JAX_PAD = """\
import jax.numpy as jnp


def f(x):
    a = jnp.pad(x, ((0, 0), (0, 0), (1, 2)))
    b = jnp.pad(x, ((0, 0), (2, 0), (1, 1)), constant_values=2.0)
    c = jnp.pad(x, 1)
    d = jnp.pad(x, ((0, 0), (1, 2), (3, 1)), mode="edge")
    return a, b, c, d
"""

TF_SPLIT = """\
import tensorflow as tf


def f(x):
    a, b, c = tf.split(x, [1, 2, 3], axis=1)
    d, e = tf.split(x, [3, -1], axis=0)
    g, h = tf.split(x, 2, axis=1)
    return a, b, c, d, e, g, h
"""

JAX_SPLIT = """\
import jax.numpy as jnp


def f(x):
    a, b, c = jnp.split(x, [1, 3], axis=1)
    d, e = jnp.split(x, 2, axis=0)
    return a, b, c, d, e
"""


def _to_numpy(v) -> np.ndarray:
    return v.numpy() if hasattr(v, "numpy") else np.asarray(v)


def _check(source: str, src: str, dst: str, tmp_path, name: str, x: np.ndarray, wrap) -> str:
    code, report = convert(source, src, dst, path=f"{name}.py")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    want = import_code(source, tmp_path, f"{name}_src").f(x if src != "torch" else wrap["torch"](x))
    got = import_code(code, tmp_path, f"{name}_{dst}").f(wrap.get(dst, lambda a: a)(x))
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert _to_numpy(g).shape == _to_numpy(w).shape
        np.testing.assert_allclose(_to_numpy(g), _to_numpy(w), rtol=1e-5, atol=1e-5)
    return code


def _wrap():
    import torch

    return {"torch": torch.from_numpy}


@pytest.mark.parametrize("dst", ["jax", "numpy"])
def test_torch_pad_and_split_to_numpy_style(tmp_path, dst):
    pytest.importorskip("jax")
    x = make_input((2, 5, 6))
    code = _check(TORCH_PAD_SPLIT, "torch", dst, tmp_path, f"pad_split_{dst}", x, _wrap())
    assert "x.ndim - 2) + [(0, 3), (1, 2)]" in code  # pairs from the first dimension


def test_jax_pad_to_torch(tmp_path):
    pytest.importorskip("jax")
    code = _check(JAX_PAD, "jax", "torch", tmp_path, "pad_jax", make_input((2, 4, 5)), _wrap())
    assert "F.pad(x, (1, 2))" in code  # the leading (0, 0) pairs are left out


@pytest.mark.parametrize("dst", ["jax", "torch"])
def test_tf_split_sizes(tmp_path, dst):
    pytest.importorskip("tensorflow")
    _check(TF_SPLIT, "tensorflow", dst, tmp_path, f"tf_split_{dst}", make_input((5, 6)), _wrap())


def test_split_indices_to_tf(tmp_path):
    pytest.importorskip("tensorflow")
    code = _check(JAX_SPLIT, "jax", "tensorflow", tmp_path, "jax_split_tf", make_input((4, 5)), {})
    assert "[1, 2, -1]" in code


BN = """\
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(4)
        self.bn2 = nn.BatchNorm1d(4, momentum=0.3)

    def forward(self, x):
        return self.bn2(self.bn(x))


class Up(nn.Module):
    def __init__(self):
        super().__init__()
        self.up1 = nn.ConvTranspose1d(4, 3, 3, stride=2)
        self.up3 = nn.ConvTranspose3d(3, 2, 2, stride=2)

    def forward(self, x):
        y = self.up1(x)
        return self.up3(y.reshape(y.shape[0], 3, 1, 1, y.shape[2]))
"""


@pytest.mark.parametrize("target", ["flax_nnx", "keras"])
def test_batchnorm1d_channels_and_momentum(tmp_path, target):
    """(N, C, L) input: the statistics are per channel (axis 1), in eval mode with the
    migrated running statistics and in one training step's running-average update."""
    import torch

    pytest.importorskip("flax.nnx" if target == "flax_nnx" else "keras")
    from switcheroo.weights import transfer
    from tests.python.harness import build

    code, report = convert(BN, "torch", target, path="bn.py")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert "momentum=0.9," in code and "momentum=0.7," in code
    src = import_code(BN, tmp_path, f"bn_src_{target}")
    dst = import_code(code, tmp_path, f"bn_dst_{target}")
    torch.manual_seed(0)
    ref = src.Net()
    with torch.no_grad():
        for bn in (ref.bn, ref.bn2):
            bn.running_mean.uniform_(-1.0, 1.0)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
    ref.eval()
    x = make_input((3, 4, 5)) * 2.0 + 0.5
    model = build(dst, "Net", (), target, x)
    transfer(ref, model, src="torch", dst=target)
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    got = np.asarray(model(x)) if target == "keras" else np.asarray(model(x))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # One training step: the running averages move by the same momentum.
    ref.train()
    ref(torch.from_numpy(x))
    if target == "flax_nnx":
        model.train()
        model(x)
        moved = [np.asarray(model.bn.mean.value), np.asarray(model.bn2.mean.value)]
    else:
        model(x, training=True)
        moved = [np.asarray(model.bn.moving_mean), np.asarray(model.bn2.moving_mean)]
    for got_mean, bn in zip(moved, (ref.bn, ref.bn2), strict=True):
        np.testing.assert_allclose(got_mean, bn.running_mean.numpy(), rtol=1e-5, atol=1e-5)


def test_conv_transpose_1d_3d_to_flax(tmp_path):
    pytest.importorskip("flax.nnx")
    got, want, code = compare_with_torch(BN, "Up", (), (2, 4, 5), "flax_nnx", tmp_path, "up")
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_round_trip_prunes_functools(tmp_path):
    """torch -> flax (MaxPool2d as functools.partial(nnx.max_pool, ...)) -> torch: the
    import the forward trip added is gone once nothing reads it."""
    pytest.importorskip("flax.nnx")
    from pathlib import Path

    from tests.python.harness import round_trip

    source = (Path(__file__).parent / "models" / "pooling_torch.py").read_text()
    want, middle, back, code = round_trip(source, "MaxPoolNet", (), (2, 3, 12, 12), "flax_nnx", tmp_path, "rt_pool")
    np.testing.assert_allclose(middle, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(back, want, rtol=1e-5, atol=1e-5)
    assert "functools" not in code
