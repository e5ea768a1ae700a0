"""Array creation keeps the source's dtypes (issue #3), converted and run on both sides.

``torch.tensor`` / ``torch.as_tensor`` raise to the hub's ``array`` / ``asarray`` and lower
to each target's constructor; creation calls that rely on the source's default dtype
(``torch.ones(3)`` is float32, ``np.ones(3)`` float64) get that dtype written where the
target's default differs (``explicit-dtypes``). Both sides run with the real frameworks:
values and dtypes must agree. JAX computes 64-bit types in 32 bits unless x64 is enabled
(a process-wide setting): there the dtypes are compared as JAX canonicalizes them, and a
note says so.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

TORCH_SOURCE = """import torch


def f():
    a = torch.tensor([1.0, 2.5])
    b = torch.tensor(0.5)
    c = torch.tensor([[1, 2], [3, 4]])
    d = torch.ones(3, 4)
    e = torch.zeros(2)
    g = torch.full((2,), 1.5)
    h = torch.full((2, 2), 3)
    i = torch.arange(0, 5, 0.5)
    j = torch.arange(5)
    k = torch.eye(3)
    m = torch.linspace(0, 1, 5)
    n = torch.empty(2, 3).shape
    p = torch.as_tensor([1.5, -2.0])
    q = torch.tensor([True, False])
    r = torch.arange(2, 7)
    s = torch.full((2,), 2.5, dtype=torch.int32)
    return a, b, c, d, e, g, h, i, j, k, m, n, p, q, r, s
"""

NUMPY_SOURCE = """import numpy as np


def f():
    a = np.array([1.0, 2.5])
    b = np.array([[1, 2], [3, 4]])
    d = np.ones((3, 4))
    e = np.zeros(2)
    g = np.full((2,), 1.5)
    h = np.full((2, 2), 3)
    i = np.arange(0, 5, 0.5)
    j = np.arange(5)
    k = np.eye(3)
    m = np.linspace(0, 1, 5)
    n = np.empty((2, 3)).shape
    p = np.asarray([1.5, -2.0])
    q = np.ones((2,), dtype=np.float32)
    return a, b, d, e, g, h, i, j, k, m, n, p, q
"""


def _host(value) -> np.ndarray:
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        try:
            return np.asarray(value.numpy())
        except (AttributeError, TypeError):
            pass
    return np.asarray(value)


def _assert_same(got, want, code: str, canonical=np.dtype) -> None:
    assert len(got) == len(want), code
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        if isinstance(w, tuple) or type(w).__name__ == "Size":
            assert tuple(g) == tuple(w), f"result {i}: {g} != {w}\n{code}"
            continue
        g, w = _host(g), _host(w)
        assert g.dtype == canonical(w.dtype), f"result {i}: {g.dtype} != {w.dtype}\n{code}"
        assert g.shape == w.shape, f"result {i}: {g.shape} != {w.shape}\n{code}"
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=1e-5, atol=1e-5,
                                   err_msg=f"result {i}\n{code}")


def _canonical(target: str):
    if target in ("jax", "flax_nnx"):
        from jax import dtypes

        return dtypes.canonicalize_dtype
    return np.dtype


_NATIVE = {"jax": "jax", "flax_nnx": "jax", "keras": "keras", "tensorflow": "tensorflow", "mlx": "mlx.core",
           "numpy": "numpy"}


@pytest.mark.parametrize("target", ["numpy", "jax", "flax_nnx", "mlx", "keras", "tensorflow"])
def test_torch_creation_keeps_dtypes(target, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip(_NATIVE[target])
    code, report = convert(TORCH_SOURCE, "torch", target, path="creation.py")
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning"]
    assert "torch.tensor" not in code and "torch.as_tensor" not in code, code
    want = import_code(TORCH_SOURCE, tmp_path, "src_creation").f()
    got = import_code(code, tmp_path, f"dst_creation_{target}").f()
    _assert_same(got, want, code + "\n".join(warnings), _canonical(target))


@pytest.mark.parametrize(("target", "written"), [
    ("numpy", "np.ones((3, 4), dtype=np.float32)"),
    ("numpy", "np.arange(0, 5, 0.5, dtype=np.float32)"),
    ("numpy", "np.array([1.0, 2.5], dtype=np.float32)"),
    ("mlx", "mx.array([[1, 2], [3, 4]], dtype=mx.int64)"),
    ("keras", "ops.full((2,), 1.5)"),
    ("tensorflow", "tf.constant([[1, 2], [3, 4]], dtype=tf.int64)"),
    ("jax", "jnp.array([1.0, 2.5])"),
])
def test_torch_creation_reads_as_written(target, written):
    code, _ = convert(TORCH_SOURCE, "torch", target, path="creation.py")
    assert written in code, code


def test_jax_int64_narrowing_is_noted():
    _, report = convert(TORCH_SOURCE, "torch", "jax", path="creation.py")
    notes = [str(d) for d in report.diagnostics if d.severity == "note"]
    assert any("creation.py:7:9" in n and "int64 as int32" in n for n in notes), notes


def test_numpy_creation_keeps_dtypes_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    code, report = convert(NUMPY_SOURCE, "numpy", "torch", path="creation.py")
    assert not [d for d in report.diagnostics if d.severity == "warning"], [str(d) for d in report.diagnostics]
    assert "torch.ones((3, 4), dtype=torch.float64)" in code or "torch.ones(3, 4, dtype=torch.float64)" in code, code
    want = import_code(NUMPY_SOURCE, tmp_path, "src_np_creation").f()
    got = [o if isinstance(o, tuple) or type(o).__name__ == "Size" else o.numpy()
           for o in import_code(code, tmp_path, "dst_np_creation").f()]
    assert all(isinstance(o, (torch.Size, np.ndarray)) for o in got)
    _assert_same(got, want, code)


def test_unknown_data_is_converted_with_a_note():
    source = "import torch\n\n\ndef f(data):\n    return torch.tensor(data)\n"
    code, report = convert(source, "torch", "numpy", path="unknown.py")
    assert "np.array(data)" in code, code
    notes = [str(d) for d in report.diagnostics if d.severity == "note"]
    assert any("unknown.py:5:12" in n and "NumPy's inference" in n for n in notes), notes


def test_tensor_input_keeps_its_dtype_without_a_note():
    source = "import torch\n\n\ndef f(x: torch.Tensor):\n    return torch.as_tensor(x)\n"
    code, report = convert(source, "torch", "numpy", path="known.py")
    assert "np.asarray(x)" in code, code
    assert not [d for d in report.diagnostics if "inference" in str(d)], [str(d) for d in report.diagnostics]
