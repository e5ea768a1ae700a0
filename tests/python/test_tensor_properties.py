"""Tensor attributes that compute an op (``w.T``, ``x.mT``) raise to it, so a target
whose tensors lack them (TensorFlow, Keras) gets its own spelling. Both sides run."""

from __future__ import annotations

import numpy as np
import pytest

from switcheroo.diagnostics import Report
from switcheroo.translate_main import Translator
from tests.python.helpers import import_code, native_adapters

SOURCES = {
    "torch": '''import torch


def f(x: torch.Tensor, w: torch.Tensor):
    return x @ w.T + x.mT.sum(), w.T.shape
''',
    "jax": '''import jax
import jax.numpy as jnp


def f(x: jax.Array, w: jax.Array):
    return x @ w.T + x.mT.sum(), w.T.shape
''',
    "numpy": '''import numpy as np


def f(x: np.ndarray, w: np.ndarray):
    return x @ w.T + x.mT.sum(), w.T.shape
''',
}
PAIRS = [("torch", t) for t in ("tensorflow", "keras", "jax", "numpy", "mlx", "torch")] + \
        [("jax", t) for t in ("torch", "tensorflow")] + [("numpy", t) for t in ("torch", "keras")]
_MODULE = {"torch": "torch", "jax": "jax", "numpy": "numpy", "tensorflow": "tensorflow", "keras": "keras",
           "mlx": "mlx.core"}
X = np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)
W = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)


def _native(framework: str, a: np.ndarray):
    return native_adapters(framework)[0](a)


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_properties_run_alike(tmp_path, src, dst):
    pytest.importorskip(_MODULE[src])
    pytest.importorskip(_MODULE[dst])
    report = Report()
    code = Translator(src, dst).run(SOURCES[src], f"props_{src}.py", report)
    assert "unmapped" not in code, code
    if dst in ("tensorflow", "keras"):
        assert ".T " not in code and ".mT" not in code, code
    want = import_code(SOURCES[src], tmp_path, f"props_src_{src}_{dst}").f(_native(src, X), _native(src, W))
    got = import_code(code, tmp_path, f"props_dst_{src}_{dst}").f(_native(dst, X), _native(dst, W))
    np.testing.assert_allclose(np.asarray(got[0]), np.asarray(want[0]), rtol=1e-5, atol=1e-5)
    assert tuple(got[1]) == tuple(want[1])
