"""Conversions through array mappings fixed for ``swc verify`` (issue #6), run on both sides.

Each case converts a small function and compares the converted function's result with
the source's on the same input: NumPy's defaults that the target spells differently
(``tf.roll`` needs an axis, ``torch.vdot`` takes 1-d tensors, ``tf.unique`` keeps first
occurrences), and torch's ``meshgrid`` default ``'ij'`` indexing read back into NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

X = np.array([[3.0, -1.0, 2.0], [-1.0, 0.5, 3.0]], dtype=np.float32)
Y = np.array([[0.5, 2.0, -1.5], [1.0, -2.0, 0.25]], dtype=np.float32)


def _run(code: str, tmp_path, name: str, args: tuple, to_native, from_native):
    module = import_code(code, tmp_path, name)
    out = module.f(*(to_native(a) for a in args))
    if isinstance(out, tuple | list):
        return [from_native(o) for o in out]
    return from_native(out)


def _tf():
    tf = pytest.importorskip("tensorflow")
    return tf.convert_to_tensor, lambda t: np.asarray(t)


def _torch():
    torch = pytest.importorskip("torch")
    return (lambda a: torch.from_numpy(np.array(a))), (lambda t: t.numpy())


NUMPY_CASES = {
    # tf.roll needs an axis; NumPy's default rolls the flattened array.
    "roll_flat": ("np.roll(x, 1)", (X,), "tensorflow", _tf),
    "roll_axis": ("np.roll(x, 1, axis=1)", (X,), "tensorflow", _tf),
    # tf.unique takes 1-d tensors and keeps first occurrences; NumPy's values come sorted.
    "unique_values": ("np.unique_values(x)", (X,), "tensorflow", _tf),
    "unique_counts": ("np.unique_counts(x)", (X,), "tensorflow", _tf),
    "unravel_index": ("np.unravel_index(x, (2, 3))", (np.array([[5, 0], [3, 4]], np.int64),), "tensorflow", _tf),
    "take_flat": ("np.take(x, y)", (X, np.array([4, 1], np.int64)), "tensorflow", _tf),
    "take_axis": ("np.take(x, y, axis=1)", (X, np.array([2, 0], np.int64)), "tensorflow", _tf),
    "polyval": ("np.polyval(x[0], y)", (X, Y), "tensorflow", _tf),
    # torch.vdot takes 1-d tensors; NumPy's vdot flattens.
    "vdot": ("np.vdot(x, y)", (X, Y), "torch", _torch),
    "matrix_norm": ("np.linalg.matrix_norm(x, ord=None)", (X,), "torch", _torch),
}


@pytest.mark.parametrize("name", sorted(NUMPY_CASES))
def test_numpy_source_converts_and_computes_the_same(name, tmp_path):
    expr, args, target, adapter = NUMPY_CASES[name]
    to_native, from_native = adapter()
    params = ", ".join("xy"[: len(args)])
    source = f"import numpy as np\n\n\ndef f({params}):\n    return {expr}\n"
    code, report = convert(source, "numpy", target, path=f"{name}.py")
    assert not [d for d in report.diagnostics if d.severity == "warning"], [str(d) for d in report.diagnostics]
    want = _run(source, tmp_path, f"src_{name}", args, np.asarray, np.asarray)
    got = _run(code, tmp_path, f"dst_{name}_{target}", args, to_native, from_native)
    if isinstance(want, list):
        assert len(got) == len(want), code
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, err_msg=code)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=code)


def test_torch_meshgrid_keeps_ij_indexing(tmp_path):
    torch = pytest.importorskip("torch")
    source = "import torch\n\n\ndef f(a, b):\n    return torch.meshgrid(a, b, indexing='ij')\n"
    plain = "import torch\n\n\ndef f(a, b):\n    return torch.meshgrid(a, b)\n"
    a, b = np.array([1.0, 2.0, 3.0], np.float32), np.array([4.0, 5.0], np.float32)
    for i, text in enumerate((source, plain)):
        code, _ = convert(text, "torch", "numpy", path="grid.py")
        want = [t.numpy() for t in import_code(text, tmp_path, f"src_grid_{i}").f(torch.from_numpy(a), torch.from_numpy(b))]
        got = import_code(code, tmp_path, f"dst_grid_{i}").f(a, b)
        assert [g.shape for g in got] == [(3, 2), (3, 2)], code
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)


def test_numpy_meshgrid_to_torch_says_xy(tmp_path):
    pytest.importorskip("torch")
    source = "import numpy as np\n\n\ndef f(a, b):\n    return np.meshgrid(a, b)\n"
    code, _ = convert(source, "numpy", "torch", path="grid.py")
    assert "indexing='xy'" in code.replace('"', "'"), code
