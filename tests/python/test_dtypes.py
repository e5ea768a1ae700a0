"""Data type constants and casts (issue #3), converted and run on both sides.

torch sources that name dtypes (``torch.float32``, ``torch.long``), cast (``x.to(dtype)``,
``x.half()``, ``x.type(dtype)``) and compare ``x.dtype`` are converted to every target
and run: the values must agree and so must the result dtypes. Sources of JAX, NumPy and
Keras (whose dtypes are strings) go to torch the same way. ``x.to("cpu")`` is no cast:
it is kept and marked, never read as one.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

X = np.array([[3.25, -1.5, 0.0], [-2.0, 0.5, 7.0]], dtype=np.float32)

TORCH_SOURCE = """import torch


def f(x: torch.Tensor):
    y = torch.relu(x)
    a = torch.zeros(3, 4, dtype=torch.float32)
    b = y.to(torch.float16)
    d = torch.ones(2, dtype=torch.long)
    e = y.dtype == torch.float32
    g = y.type(torch.int32)
    h = y.bool()
    k = y.half()
    n = torch.arange(4, dtype=torch.float32)
    p = y.long()
    q = y.to(y.dtype)
    return a, b, d, e, g, h, k, n, p, q
"""


def _numpy(t):
    return np.asarray(t)


def _target(name: str):
    """(to_native, from_native) for the target's arrays."""
    if name in ("jax", "flax_nnx"):
        jnp = pytest.importorskip("jax.numpy")
        return jnp.asarray, _numpy
    if name in ("keras", "tensorflow"):
        tf = pytest.importorskip("tensorflow")
        return tf.convert_to_tensor, _numpy
    if name == "mlx":
        mx = pytest.importorskip("mlx.core")
        return mx.array, _numpy
    return np.asarray, _numpy


def _assert_same(got, want, code: str, canonical=np.dtype) -> None:
    assert len(got) == len(want), code
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == canonical(w.dtype), f"result {i}: {g.dtype} != {w.dtype}\n{code}"
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=1e-5, atol=1e-5, err_msg=code)


@pytest.mark.parametrize("target", ["jax", "flax_nnx", "keras", "tensorflow", "mlx", "numpy"])
def test_torch_dtypes_convert_and_compute_the_same(target, tmp_path):
    torch = pytest.importorskip("torch")
    code, report = convert(TORCH_SOURCE, "torch", target, path="dtypes.py")
    assert not [d for d in report.diagnostics if d.severity == "warning"], [str(d) for d in report.diagnostics]
    assert "torch" not in code, code
    want = [o.numpy() if isinstance(o, torch.Tensor) else o
            for o in import_code(TORCH_SOURCE, tmp_path, "src_dtypes").f(torch.from_numpy(X))]
    to_native, from_native = _target(target)
    got = [from_native(o) for o in import_code(code, tmp_path, f"dst_dtypes_{target}").f(to_native(X))]
    canonical = np.dtype
    if target in ("jax", "flax_nnx"):
        # JAX makes 64-bit types 32-bit unless x64 is enabled (a process-wide setting).
        from jax import dtypes

        canonical = dtypes.canonicalize_dtype
    _assert_same(got, want, code, canonical)


@pytest.mark.parametrize("target", ["keras", "tensorflow", "mlx", "numpy"])
def test_torch_double_converts_to_float64(target, tmp_path):
    # JAX computes in 32 bits unless x64 is enabled, so it is left out here.
    torch = pytest.importorskip("torch")
    source = "import torch\n\n\ndef f(x: torch.Tensor):\n    return (torch.relu(x).double(),)\n"
    code, _ = convert(source, "torch", target, path="double.py")
    want = [import_code(source, tmp_path, "src_double").f(torch.from_numpy(X))[0].numpy()]
    to_native, from_native = _target(target)
    got = [from_native(o) for o in import_code(code, tmp_path, f"dst_double_{target}").f(to_native(X))]
    _assert_same(got, want, code)


SOURCES = {
    "jax": ("""import jax.numpy as jnp


def f(x):
    y = jnp.tanh(x)
    return (y.astype(jnp.float16), jnp.astype(y, jnp.int32), jnp.zeros((3,), dtype=jnp.float32),
            jnp.ones((2,), dtype="int32"), y > 0, jnp.astype(y > 0, jnp.bool_))
""", "jax.numpy"),
    "numpy": ("""import numpy as np


def f(x):
    y = np.tanh(x)
    return (y.astype(np.float16), np.astype(y, np.int64), np.zeros((3,), dtype="int64"),
            np.ones(2, dtype=np.float32), np.astype(y, np.bool_), y.astype(np.float64))
""", "numpy"),
    "keras": ("""from keras import ops


def f(x):
    y = ops.tanh(x)
    return (ops.cast(y, "float16"), ops.cast(y, dtype="int64"), ops.zeros((3,), dtype="int64"),
            ops.cast(y, "bool"), ops.ones((2,), dtype="float32"))
""", "tensorflow"),
}


@pytest.mark.parametrize("source_fw", sorted(SOURCES))
def test_dtypes_convert_to_torch(source_fw, tmp_path):
    torch = pytest.importorskip("torch")
    source, native = SOURCES[source_fw]
    mod = pytest.importorskip(native)
    code, report = convert(source, source_fw, "torch", path="dtypes.py")
    assert not [d for d in report.diagnostics if d.severity == "warning"], [str(d) for d in report.diagnostics]
    to_native = getattr(mod, "convert_to_tensor", None) or mod.asarray
    want = [np.asarray(o) for o in import_code(source, tmp_path, f"src_{source_fw}").f(to_native(X))]
    got = [o.numpy() for o in import_code(code, tmp_path, f"dst_{source_fw}").f(torch.from_numpy(X))]
    _assert_same(got, want, code)


@pytest.mark.parametrize("arg", ['"cpu"', "dev", "other"])
def test_to_without_a_dtype_is_no_cast(arg):
    # A device moves the tensor (to_device, where the target has one); another tensor's
    # dtype and device are not known here: kept and marked.
    source = f"import torch\n\n\ndef f(x: torch.Tensor, other: torch.Tensor, dev):\n    return torch.relu(x).to({arg})\n"
    code, report = convert(source, "torch", "jax", path="to.py")
    assert "astype" not in code, code
    if arg == "other":
        assert ".to(other)  # swc: unmapped torch.Tensor.to" in code, code
        assert any(d.severity == "warning" and "torch.Tensor.to" in str(d) for d in report.diagnostics)


@pytest.mark.parametrize("name", ["float32", "bfloat16", "bool", "int64", "uint8", "complex64"])
def test_dtype_constants_verify(name):
    from switcheroo.ontology.loader import load_ontology
    from switcheroo.ontology.verify.constants import verify_constant

    spec = load_ontology().specs[name]
    frameworks = [fw for fw in ("numpy", "torch", "jax", "tensorflow", "keras", "mlx") if fw in spec.variants]
    results = verify_constant(spec, frameworks, 1)
    assert results and all(r.status == "verified" for r in results.values()), results
