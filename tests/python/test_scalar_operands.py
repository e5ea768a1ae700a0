"""``maximum``/``minimum`` with a Python number: NumPy, JAX and MLX take one, torch's take
two tensors, so torch writes a clamp (the source ran; the converted code must too)."""

from __future__ import annotations

import numpy as np
import pytest

from switcheroo.diagnostics import Report
from switcheroo.translate_main import Translator
from tests.python.helpers import import_code

torch = pytest.importorskip("torch")

SOURCE = '''import numpy as np


def f(x: np.ndarray):
    return np.maximum(x, 0.0), np.minimum(1, x), np.maximum(0.5, x) - np.minimum(x, 2)
'''


def test_numpy_scalar_maximum_to_torch(tmp_path):
    code = Translator("numpy", "torch").run(SOURCE, "scalars.py", Report())
    assert "torch.maximum" not in code and "torch.minimum" not in code, code
    x = np.linspace(-2, 3, 11, dtype=np.float32)
    want = import_code(SOURCE, tmp_path, "scalars_src").f(x)
    got = import_code(code, tmp_path, "scalars_dst").f(torch.from_numpy(x))
    for g, w in zip(got, want, strict=True):
        assert g.dtype == torch.float32
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-6, atol=1e-6)
