"""Parameters and buffers through NumPy, whose modules are plain classes of arrays.

torch -> NumPy marks each buffer's line (``# buffer``, ``# buffer, not saved``) and
NumPy -> torch reads it back: the model converted back has the source's parameters and
buffers, by name and kind. A NumPy class written by hand, with arrays and ``__call__``,
becomes a module whose arrays are parameters.
"""

from __future__ import annotations

import numpy as np
import pytest

from switcheroo.diagnostics import Report
from switcheroo.translate_main import Translator
from tests.python.helpers import import_code
from tests.python.test_models import CASES

torch = pytest.importorskip("torch")


def _convert(code: str, src: str, dst: str) -> str:
    return Translator(src, dst).run(code, f"state_{src}.py", Report())


def _kinds(model) -> tuple[set[str], set[str], set[str]]:
    saved = set(model.state_dict())
    return {n for n, _ in model.named_parameters()}, {n for n, _ in model.named_buffers()}, saved


@pytest.mark.parametrize("case", ["buffers_scale", "buffers_frozen_bn", "buffers_sinusoidal", "vit_tiny"])
def test_state_kinds_survive_numpy(tmp_path, case):
    file, cls, args, _shape, *_ = CASES[case]
    source = file.read_text()
    there = _convert(source, "torch", "numpy")
    back = _convert(there, "numpy", "torch")
    want = getattr(import_code(source, tmp_path, f"{case}_src"), cls)(*args)
    got = getattr(import_code(back, tmp_path, f"{case}_back"), cls)(*args)
    assert _kinds(got) == _kinds(want), back


def test_hand_written_numpy_class_is_a_module(tmp_path):
    source = '''import numpy as np


class Affine:
    """y = x * w + b."""

    def __init__(self, d):
        self.w = np.ones(d, dtype=np.float32)
        self.b = np.zeros(d, dtype=np.float32)  # buffer

    def __call__(self, x):
        return x * self.w + self.b
'''
    code = _convert(source, "numpy", "torch")
    assert "class Affine(nn.Module):" in code and "super().__init__()" in code, code
    assert "# buffer" not in code, code
    model = import_code(code, tmp_path, "affine_back").Affine(3)
    assert _kinds(model) == ({"w"}, {"b"}, {"w", "b"})
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    want = import_code(source, tmp_path, "affine_src").Affine(3)(x)
    with torch.no_grad():
        np.testing.assert_allclose(model(torch.from_numpy(x)).numpy(), want, rtol=1e-5, atol=1e-5)
