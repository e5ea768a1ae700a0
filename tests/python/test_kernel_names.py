"""Window sizes held by names (``nn.Conv2d(a, b, k)``) spread over the spatial dimensions.

A target whose layers take one entry per spatial dimension reads an int as a 1-D window:
the converted code writes ``(k, k)`` where ``k`` provably holds an int, and a form right for
an int or a tuple otherwise. Each model runs on the real frameworks against torch with its
weights transferred.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.harness import compare_with_torch
from tests.python.helpers import convert

TARGETS = ["flax_nnx", "jax", "keras", "mlx", "tensorflow", "numpy"]
_IMPORTS = {"flax_nnx": "flax.nnx", "jax": "flax.nnx", "keras": "keras", "mlx": "mlx.core",
            "tensorflow": "tensorflow", "numpy": "numpy"}

# Kernel and stride as constructor parameters with int defaults: provably ints.
INT_DEFAULTS = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, k=3, s=2):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, k, stride=s)
        self.pool = nn.MaxPool2d(k, s)
        self.avg = nn.AvgPool2d(k, stride=1)

    def forward(self, x):
        return self.avg(self.pool(self.conv(x)))
'''

# No default: the caller may pass an int or a tuple.
ANY_SIZE = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, k, s):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, k, stride=s)
        self.pool = nn.MaxPool2d(k, s)

    def forward(self, x):
        return self.pool(self.conv(x))
'''

# A tuple default, an annotated int and a local assigned an int, over 1-D and 3-D layers.
MIXED = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, k=(3, 1), d: int = 2):
        super().__init__()
        w = 2
        self.conv = nn.Conv2d(3, 4, k, dilation=d)
        self.pool = nn.MaxPool2d(w)

    def forward(self, x):
        return self.pool(self.conv(x))


class Net1d(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, k)

    def forward(self, x):
        return self.conv(x)


class Net3d(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.conv = nn.Conv3d(2, 4, k)

    def forward(self, x):
        return self.conv(x)
'''

# Padding and dilation held by names, per dimension or not (Keras pads only 'valid'/'same').
# An int default is read as the parameter's type: ``d`` has a tuple default to take either.
PADDED = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, k=3, p=1, d=(1, 1)):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, k, padding=p, dilation=d)

    def forward(self, x):
        return self.conv(x)
'''

CASES = [
    (INT_DEFAULTS, "Net", (), (2, 3, 16, 16), "int_defaults"),
    (INT_DEFAULTS, "Net", (5, 1), (2, 3, 16, 16), "int_given"),
    (ANY_SIZE, "Net", (3, 2), (2, 3, 16, 16), "any_int"),
    (ANY_SIZE, "Net", ((3, 1), (2, 1)), (2, 3, 16, 16), "any_tuple"),
    (MIXED, "Net", (), (2, 3, 16, 16), "mixed"),
    (MIXED, "Net", ((1, 3),), (2, 3, 16, 16), "mixed_tuple"),
    (MIXED, "Net1d", (), (2, 3, 16), "conv1d"),
    (MIXED, "Net3d", (), (2, 2, 8, 8, 8), "conv3d"),
]


# The numpy target has no Conv3d (it stays marked): that pair is left out.
_RUNS = [pytest.param(*case, target, id=f"{case[-1]}-{target}") for case in CASES for target in TARGETS
         if not (target == "numpy" and case[1] == "Net3d")]
_PADS = [(PADDED, "Net", (), (2, 3, 12, 12), "padded"), (PADDED, "Net", (3, (1, 2), (2, 1)), (2, 3, 12, 12), "padded_tuple")]
_RUNS += [pytest.param(*case, target, id=f"{case[-1]}-{target}") for case in _PADS
          for target in ("flax_nnx", "jax", "mlx", "numpy")]


@pytest.mark.parametrize(("source", "cls", "args", "shape", "name", "target"), _RUNS)
def test_name_sizes_match_torch(source, cls, args, shape, name, target, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip(_IMPORTS[target])
    got, want, _ = compare_with_torch(source, cls, args, shape, target, tmp_path, f"kn_{name}")
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def _flax(source: str) -> str:
    code, _ = convert(source, "torch", "flax_nnx", path="kn.py")
    return code


def test_int_names_are_spread_as_an_expert_writes():
    code = _flax(INT_DEFAULTS)
    assert "nnx.Conv(3, 4, (k, k), strides=(s, s), padding=0, rngs=rngs)" in code
    assert "window_shape=(k, k), strides=(s, s)" in code


def test_names_that_may_be_tuples_keep_either_form():
    code = _flax(ANY_SIZE)
    assert "(k, k) if isinstance(k, int) else k" in code
    mixed = _flax(MIXED)
    assert "(k, k) if isinstance(k, int) else k" in mixed  # a tuple default
    assert "kernel_dilation=(d, d)" in mixed  # annotated int
    assert "window_shape=(w, w)" in mixed  # a local assigned an int
    assert "(k,)" in mixed and "(k, k, k)" in mixed  # Conv1d, Conv3d


@pytest.mark.parametrize("target", ["keras", "tensorflow"])
def test_padding_name_a_target_cannot_take_stays_marked(target):
    code, report = convert(PADDED, "torch", target, path="kn.py")
    assert "# swc: unmapped torch.nn.Conv2d" in code
    messages = [d.message for d in report.diagnostics if d.severity == "warning"]
    assert any("a non-literal padding" in m for m in messages), messages
    assert not any("<object" in m for m in messages), messages


def test_a_kernel_size_expression_is_kept_and_marked_for_flax():
    """``cfg.k`` may hold an int (a 1-D size to flax) or a tuple: kept, not guessed."""
    from tests.python.helpers import convert

    src = ("import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self, cfg):\n"
           "        super().__init__()\n        self.conv = nn.Conv2d(3, 4, cfg.k)\n\n"
           "    def forward(self, x):\n        return self.conv(x)\n")
    code, report = convert(src, "torch", "flax_nnx", path="net.py")
    assert "# swc: unmapped torch.nn.Conv2d" in code
    assert any("kernel_size is an expression" in d.message for d in report.diagnostics)
