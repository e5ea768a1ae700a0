"""Conversions that `swc verify` found wrong or refusing, each checked numerically.

- ``AdaptiveAvgPool2d`` with an output size that does not divide the input (torch's
  overlapping bins ``[floor(i * H / out), ceil((i + 1) * H / out))``) becomes the target's
  functional adaptive pooling (Keras's own, a composed mean per bin in JAX and MLX), not
  a reshape into equal blocks that fails at run time.
- MLX's ``LeakyReLU``/``leaky_relu`` compute ``max(x, slope * x)``: a slope above 1 is
  spelled as the definition.
- torch's ``PReLU`` (one slope, or one per channel on axis 1) becomes a Keras class of
  ``passes/scaffolds/keras_layers.py``; ``keras.layers.PReLU`` learns one per entry.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

POOL = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d((2, 3))

    def forward(self, x):
        return self.pool(x) + torch.nn.functional.adaptive_avg_pool2d(x, (2, 3))
'''

LEAKY = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.LeakyReLU(1.5)

    def forward(self, x):
        return self.act(x) + torch.nn.functional.leaky_relu(x, 2.0)
'''

PRELU = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.PReLU(3, init=0.5)

    def forward(self, x):
        return self.act(x)
'''


def _torch_run(source: str, x: np.ndarray) -> np.ndarray:
    torch = pytest.importorskip("torch")
    ns: dict = {}
    exec(compile(source, "pool_activation_torch.py", "exec"), ns)  # noqa: S102 -- the test's own source
    with torch.no_grad():
        return ns["Net"]()(torch.from_numpy(x)).numpy()


def _converted_run(source: str, dst: str, x: np.ndarray, tmp_path, name: str) -> np.ndarray:
    code, report = convert(source, "torch", dst)
    assert not [d for d in report.diagnostics if d.severity == "warning"], code
    module = import_code(code, tmp_path, name)
    if dst == "flax_nnx":
        return np.asarray(module.Net()(x))  # no layer with weights: no rngs
    if dst == "mlx":
        import mlx.core as mx

        return np.array(module.Net()(mx.array(x)))
    import keras

    return keras.ops.convert_to_numpy(module.Net()(x))


@pytest.mark.parametrize("dst", ["flax_nnx", "keras", "mlx"])
def test_adaptive_pool_bins_that_overlap(dst, tmp_path):
    pytest.importorskip({"flax_nnx": "flax.nnx", "keras": "keras", "mlx": "mlx.core"}[dst])
    x = (np.random.default_rng(0).integers(-16, 17, (2, 3, 5, 7)) / 8).astype(np.float32)
    got = _converted_run(POOL, dst, x, tmp_path, f"pool_fix_{dst}")
    np.testing.assert_allclose(got, _torch_run(POOL, x), rtol=1e-5, atol=1e-5)


def test_mlx_leaky_relu_slope_above_one(tmp_path):
    pytest.importorskip("mlx.core")
    x = np.array([[-1.0, -0.25, 0.0, 0.5, 2.0]], dtype=np.float32)
    got = _converted_run(LEAKY, "mlx", x, tmp_path, "leaky_fix_mlx")
    np.testing.assert_allclose(got, _torch_run(LEAKY, x), rtol=1e-5, atol=1e-5)


def test_keras_prelu_per_channel(tmp_path):
    pytest.importorskip("keras")
    x = (np.random.default_rng(1).integers(-16, 17, (2, 3, 4)) / 8).astype(np.float32)
    got = _converted_run(PRELU, "keras", x, tmp_path, "prelu_fix_keras")
    np.testing.assert_allclose(got, _torch_run(PRELU, x), rtol=1e-5, atol=1e-5)
