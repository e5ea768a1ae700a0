"""``nn.MaxPool2d(ceil_mode=True)`` -> flax ``max_pool`` with ``stride - 1`` more -inf
padding on the high side (the ``ceil_mode_padding`` plugin), equal to torch on inputs of
every parity; where a window could start in the padding the layer stays marked."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

SOURCE = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)
        self.pool2 = nn.MaxPool2d(3, 2, 1, ceil_mode=True)
        self.pool3 = nn.MaxPool2d(2, ceil_mode=False)

    def forward(self, x):
        return self.pool3(self.pool2(self.pool(x)))
'''


def test_ceil_mode_text():
    code, report = convert(SOURCE, "torch", "flax_nnx")
    assert not [d for d in report.diagnostics if d.severity == "warning"]
    assert "partial(\n            nnx.max_pool, window_shape=(3, 3), strides=(2, 2), padding=((0, 1), (0, 1))\n" in code
    assert "partial(\n            nnx.max_pool, window_shape=(3, 3), strides=(2, 2), padding=((1, 2), (1, 2))\n" in code


@pytest.mark.parametrize("size", [(13, 13), (14, 15), (16, 17)])
def test_ceil_mode_matches_torch(tmp_path, size):
    torch = pytest.importorskip("torch")
    pytest.importorskip("flax.nnx")
    code, _ = convert(SOURCE, "torch", "flax_nnx")
    ns: dict = {}
    exec(compile(SOURCE, "pool_torch.py", "exec"), ns)  # noqa: S102 -- the test's own source
    ref = ns["Net"]()
    net = import_code(code, tmp_path, f"pool_ceil_{size[0]}_{size[1]}").Net()
    x = np.random.default_rng(0).standard_normal((2, 3, *size)).astype(np.float32) - 5.0
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    got = np.asarray(net(x))
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_ceil_mode_window_in_padding_stays_marked():
    # stride 2 > kernel 2 - padding 1: torch drops a last window that starts in the padding
    source = SOURCE.replace("nn.MaxPool2d(3, 2, 1, ceil_mode=True)", "nn.MaxPool2d(2, 2, 1, ceil_mode=True)")
    code, report = convert(source, "torch", "flax_nnx")
    assert any("torch.nn.MaxPool2d" in str(d) for d in report.diagnostics if d.severity == "warning")
    assert "# swc: unmapped torch.nn.MaxPool2d" in code


def test_ceil_mode_without_equivalent_stays_marked():
    _, report = convert(SOURCE, "torch", "keras")
    assert any("ceil_mode=True" in str(d) for d in report.diagnostics if d.severity == "warning")
