"""Raising keeps a framework API's own meaning (issues #3/#6).

``torch.median`` of an even count is the lower middle value (hub ``median_low``, not
NumPy's mean of the two); ``torch.sort(x, d)[0]`` is the sorted values, not a row of
them; ``keras.ops.norm`` with an ``ord`` over a matrix is a matrix norm, kept as written;
``tf.math.argmax(x)`` reduces axis 0, which raising says.
Each case converts a one-line source function and runs both sides on the same input.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code, native_adapters

EVEN = np.array([[3.0, -1.0, 2.0, 0.5], [-1.0, 0.0, 3.0, 7.0]], dtype=np.float32)
NANS = np.array([[3.0, np.nan, 2.0, 0.5], [-1.0, 0.0, np.nan, 7.0]], dtype=np.float32)

SOURCES = {"torch": "import torch", "numpy": "import numpy as np", "keras": "import keras",
           "mlx": "import mlx.core as mx", "tensorflow": "import tensorflow as tf"}


CASES = {
    "median_numpy": ("torch", "torch.median(x)", EVEN, "numpy"),
    "median_jax": ("torch", "torch.median(x)", EVEN, "jax"),
    "median_keras": ("torch", "torch.median(x)", EVEN, "keras"),
    "median_nan_jax": ("torch", "torch.median(x)", NANS, "jax"),
    "median_dim_values_jax": ("torch", "torch.median(x, dim=1, keepdim=True).values", EVEN, "jax"),
    "median_dim_index_numpy": ("torch", "torch.median(x, 0)[0]", EVEN, "numpy"),
    "nanmedian_dim_numpy": ("torch", "torch.nanmedian(x, 1).values", NANS, "numpy"),
    "sort_values_jax": ("torch", "torch.sort(x, 1)[0]", EVEN, "jax"),
    "sort_to_torch": ("numpy", "np.sort(x, axis=0)", EVEN, "torch"),
    "median_back_to_torch": ("numpy", "np.median(x, axis=1)", EVEN, "torch"),
    "norm_axis_keras": ("keras", "keras.ops.norm(x, ord=1, axis=1)", EVEN, "numpy"),
    "norm_frobenius_keras": ("keras", "keras.ops.norm(x)", EVEN, "numpy"),
    # TensorFlow's argmax and cumsum without an axis work along axis 0, NumPy's flattened.
    "argmax_tf": ("tensorflow", "tf.math.argmax(x)", EVEN, "numpy"),
    "cumsum_tf": ("tensorflow", "tf.math.cumsum(x)", EVEN, "jax"),
}


def _run(code: str, tmp_path, name: str, x, framework: str):
    to_native, from_native = native_adapters(framework)
    return from_native(import_code(code, tmp_path, name).f(to_native(x)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_raised_call_computes_the_same(name, tmp_path):
    src, expr, x, dst = CASES[name]
    native_adapters(src)
    source = f"{SOURCES[src]}\n\n\ndef f(x):\n    return {expr}\n"
    code, report = convert(source, src, dst, path=f"{name}.py")
    assert "unmapped" not in code, code
    assert not [d for d in report.diagnostics if d.severity == "warning"], [str(d) for d in report.diagnostics]
    want = _run(source, tmp_path, f"src_{name}", x, src)
    got = _run(code, tmp_path, f"dst_{name}", x, dst)
    assert np.shape(got) == np.shape(want), code
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=code)


KEPT = {
    # (values, indices) used whole or for the indices: no hub op is that pair.
    "median_pair": ("torch", "torch.median(x, 1)", "jax", "returns a pair here"),
    "sort_indices": ("torch", "torch.sort(x, 1)[1]", "jax", "returns a pair here"),
    # a matrix norm: Keras' ord=1 of a matrix is the largest column sum, not the entries' 1-norm
    "norm_matrix_keras": ("keras", "keras.ops.norm(x, ord=1)", "numpy", "may be a matrix norm"),
    "norm_pair_mlx": ("mlx", "mx.linalg.norm(x, 2, axis=(0, 1))", "numpy", "may be a matrix norm"),
    "norm_pair_tf": ("tensorflow", "tf.norm(x, ord=1, axis=[0, 1])", "numpy", "may be a matrix norm"),
    # tf.linalg.diag of a matrix is a batch of diagonal matrices; NumPy's diag extracts one
    "diag_tf": ("tensorflow", "tf.linalg.diag(x)", "numpy", "no mapping"),
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_call_of_another_meaning_is_kept_and_marked(name):
    src, expr, dst, why = KEPT[name]
    source = f"{SOURCES[src]}\n\n\ndef f(x):\n    return {expr}\n"
    code, report = convert(source, src, dst, path=f"{name}.py")
    assert f"return {expr}  # swc: unmapped" in code, code
    assert any(why in str(d) and ":5:12:" in str(d) for d in report.diagnostics), [str(d) for d in report.diagnostics]
