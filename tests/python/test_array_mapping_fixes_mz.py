"""Conversions through array mappings (ops m-z) fixed for ``swc verify`` (issue #6).

Each case converts a one-line NumPy function to a framework and compares the converted
function's result with NumPy's on the same input: a ``lower`` or ``dispatch_rules``
spelling where the target's API reduces differently (torch's median of an even count,
``torch.prod`` over a tuple of axes, Keras' and MLX's matrix norms for ``axis=None``),
takes another form (TensorFlow's ``(s, u, v)``, Keras' ``(real, imag)`` rfft) or raises
where NumPy does not (``tf.linalg.matmul`` on 1-d operands, ``keras.ops.tril`` past the
last column).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code, native_adapters

X = np.array([[3.0, -1.0, 2.0, 0.5], [-1.0, 0.0, 3.0, np.inf]], dtype=np.float32)
V = np.array([1.0, -2.0, 0.5], dtype=np.float32)
SORTED = np.array([-1.0, 0.0, 0.5, 2.0], dtype=np.float32)
LOOKUP = np.array([[0.25, -3.0], [2.0, 0.0]], dtype=np.float32)


CASES = {
    # torch.median of an even count gives the lower middle value; NumPy averages the two.
    "median_torch": ("np.median(x)", (X[:, :2],), "torch"),
    "median_axis_torch": ("np.median(x, axis=1, keepdims=True)", (X,), "torch"),
    "nanmedian_torch": ("np.nanmedian(x, axis=0)", (X,), "torch"),
    "median_keepdims_jax": ("np.median(x, keepdims=True)", (np.float32(2.5),), "jax"),
    "prod_keepdims_torch": ("np.prod(x, keepdims=True)", (X[:, :3],), "torch"),
    "prod_axes_torch": ("np.prod(x, axis=(0, 1))", (X[:, :3],), "torch"),
    "tril_indices_torch": ("np.tril_indices(3, 1)", (), "torch"),
    "triu_indices_torch": ("np.triu_indices(3, 0, 4)", (), "torch"),
    "unique_all_torch": ("np.unique_all(x)", (np.array([[2.0, 1.0], [2.0, 3.0]], np.float32),), "torch"),
    "result_type_torch": ("np.result_type(x, y)", (V, np.arange(3, dtype=np.int8)), "torch"),
    "vector_norm_keras": ("np.linalg.vector_norm(x)", (X[:, :3],), "keras"),
    "vector_norm_ord0_mlx": ("np.linalg.vector_norm(x, ord=0, axis=(0, 1))", (X,), "mlx"),
    "vector_norm_pair_tf": ("np.linalg.vector_norm(x, ord=1, axis=(0, 1))", (X[:, :3],), "tensorflow"),
    "matmul_1d_tf": ("np.matmul(x, y)", (V, V), "tensorflow"),
    "searchsorted_tf": ("np.searchsorted(x, y)", (SORTED, LOOKUP), "tensorflow"),
    "searchsorted_keras": ("np.searchsorted(x, y, side='right')", (SORTED, LOOKUP), "keras"),
    "take_negative_tf": ("np.take(x, y, axis=1)", (X, np.array([-1, 0], np.int64)), "tensorflow"),
    "tril_keras": ("np.tril(x, 7)", (X,), "keras"),
    "vstack_keras": ("np.vstack([x, y])", (np.float32(1.0), np.float32(2.0)), "keras"),
    "unravel_index_keras": ("np.unravel_index(x, (2, 3))", (np.array([[5, 1], [3, 4]], np.int64),), "keras"),
    "nancumsum_keras": ("np.nancumsum(x)", (np.array([1.0, np.nan, np.inf], np.float32),), "keras"),
    "rfft_keras": ("np.fft.rfft(x)", (np.array([1.0, 2.0, 0.5, -1.0], np.float32),), "keras"),
    "modf_jax": ("np.modf(x)", (np.array([np.inf, -np.inf, 2.5], np.float32),), "jax"),
    "vecdot_mlx": ("np.vecdot(x, y)", (V, np.stack([V, V])), "mlx"),
    # tf.pad takes one (before, after) pair per axis; NumPy's int pads every axis.
    "pad_int_tf": ("np.pad(x, 1)", (X,), "tensorflow"),
    "pad_int_reflect_tf": ("np.pad(x, 1, mode='reflect')", (X,), "tensorflow"),
}


def _run(code: str, tmp_path, name: str, args: tuple, to_native, from_native):
    module = import_code(code, tmp_path, name)
    out = module.f(*(to_native(a) for a in args))
    if isinstance(out, tuple | list):
        return [from_native(o) for o in out]
    return from_native(out)


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_source_converts_and_computes_the_same(name, tmp_path):
    expr, args, target = CASES[name]
    to_native, from_native = native_adapters(target)
    params = ", ".join("xy"[: len(args)])
    source = f"import numpy as np\n\n\ndef f({params}):\n    return {expr}\n"
    code, report = convert(source, "numpy", target, path=f"{name}.py")
    assert "unmapped" not in code, code
    assert not [d for d in report.diagnostics if d.severity == "warning"], [str(d) for d in report.diagnostics]
    if name.startswith("result_type"):  # a dtype: torch.float32 against NumPy's float32
        want = import_code(source, tmp_path, f"src_{name}").f(*args)
        got = import_code(code, tmp_path, f"dst_{name}_{target}").f(*(to_native(a) for a in args))
        assert str(got).rsplit(".", 1)[-1] == str(want), code
        return
    want = _run(source, tmp_path, f"src_{name}", args, np.asarray, np.asarray)
    got = _run(code, tmp_path, f"dst_{name}_{target}", args, to_native, from_native)
    wants = want if isinstance(want, list) else [want]
    gots = got if isinstance(got, list) else [got]
    assert len(gots) == len(wants), code
    for g, w in zip(gots, wants, strict=True):
        assert np.shape(g) == np.shape(w), code
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, err_msg=code)
