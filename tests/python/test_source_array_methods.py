"""Array methods of JAX, Flax NNX, NumPy and MLX sources raise to hub ops, run on both sides.

``y.reshape(2, -1)``, ``y.mean(axis=0)``, ``y.transpose(1, 0)``, ``y.transpose()`` (axes
reversed), ``y.flatten()``, ``y.swapaxes(0, 1)``, ``y.item()`` and the rest are declared on
the mapping of the function they equal (``method:``, with ``pack_varargs`` where the method
takes sizes as separate arguments); each source converts without a mark, and the result
computes what the source computes. Methods whose semantics differ from the mapped function
(NumPy's in-place ``x.sort()``, ``x.diagonal()`` over axes 0 and 1) stay marked.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code, native_adapters

X = np.array([[0.3, -1.2, 2.0, 0.5], [-0.7, 0.25, 1.5, -2.0], [1.1, -0.4, 0.9, 0.05]], dtype=np.float32)
X3 = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7.0 - 1.0

JAX_SOURCE = '''import jax.numpy as jnp


def f(x):
    y = jnp.tanh(x)
    z = y.reshape(2, -1)
    return (z.mean(axis=0), y.transpose(1, 0), y.max(axis=1, keepdims=True), y.squeeze(), y.flatten(),
            y.clip(0, 1), y.T, y.swapaxes(0, 1), y.reshape((4, 3)).sum(0), y.reshape(12), y.mean(),
            y.cumsum(axis=1), y.min(0), y.ravel(), y.std(axis=1), y.var())


def g(x):
    y = jnp.tanh(x)
    return y.transpose(), y.transpose(2, 0, 1), y.transpose((1, 2, 0)), y.reshape(4, 3, 2), y.sum().item()
'''

NUMPY_SOURCE = JAX_SOURCE.replace("import jax.numpy as jnp", "import numpy as np").replace("jnp.", "np.")

MLX_SOURCE = '''import mlx.core as mx


def f(x):
    y = mx.tanh(x)
    z = y.reshape(2, -1)
    return (z.mean(axis=0), y.transpose(1, 0), y.max(axis=1, keepdims=True), y.squeeze(), y.flatten(),
            y.T, y.swapaxes(0, 1), y.reshape((4, 3)).sum(0), y.reshape(12), y.mean(), y.cumsum(axis=1),
            y.min(0), (y * y + 1.0).rsqrt(), y.std(axis=1), y.var())


def g(x):
    y = mx.tanh(x)
    return y.transpose(), y.transpose(2, 0, 1), y.transpose((1, 2, 0)), y.reshape(4, 3, 2), y.sum().item()
'''

NNX_SOURCE = '''import jax.numpy as jnp
from flax import nnx


class Head(nnx.Module):
    def __init__(self, *, rngs: nnx.Rngs):
        super().__init__()
        self.fc = nnx.Linear(4, 6, rngs=rngs)

    def __call__(self, x):
        h = self.fc(x)
        z = h.reshape(h.shape[0], 2, 3).transpose(0, 2, 1)
        return z.mean(axis=-1) + h.max(axis=1, keepdims=True), h.swapaxes(0, 1).flatten()
'''

FRAMEWORKS = {"jax": "jax.numpy", "numpy": "numpy", "mlx": "mlx.core", "torch": "torch"}


def _native(framework: str, a: np.ndarray):
    return native_adapters("jax" if framework == "flax_nnx" else framework)[0](a)


def _np(v):
    if type(v).__module__.startswith("torch"):
        return v.detach().numpy()
    return np.asarray(v)


def _same(got, want) -> None:
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        g, w = _np(g), _np(w)
        assert g.shape == w.shape, (i, g.shape, w.shape)
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=1e-5, atol=1e-5,
                                   err_msg=f"result {i}")


def _convert(source: str, src: str, dst: str) -> str:
    code, report = convert(source, src, dst, path="methods.py")
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning"]
    assert not warnings, (warnings, code)
    assert "swc: unmapped" not in code, code
    return code


@pytest.mark.parametrize(("src", "dst"), [("jax", "torch"), ("jax", "numpy"), ("jax", "mlx"), ("numpy", "torch"),
                                          ("numpy", "jax"), ("mlx", "torch"), ("mlx", "numpy")])
def test_array_methods_run_alike(src, dst, tmp_path):
    pytest.importorskip(FRAMEWORKS[src])
    pytest.importorskip(FRAMEWORKS[dst])
    source = {"jax": JAX_SOURCE, "numpy": NUMPY_SOURCE, "mlx": MLX_SOURCE}[src]
    code = _convert(source, src, dst)
    if src != "numpy":
        assert FRAMEWORKS[src] not in code and f"{src}." not in code, code
    want = import_code(source, tmp_path, f"src_{src}_{dst}")
    got = import_code(code, tmp_path, f"dst_{src}_{dst}")
    _same(got.f(_native(dst, X)), want.f(_native(src, X)))
    _same(got.g(_native(dst, X3)), want.g(_native(src, X3)))


def test_jax_methods_print_as_functions_in_torch():
    code = _convert(JAX_SOURCE, "jax", "torch")
    assert "torch.reshape(y, (2, -1))" in code, code
    assert "torch.mean(z, dim=0)" in code, code
    assert "torch.permute(y, (1, 0))" in code, code
    assert "torch.ravel(y)" in code, code


def test_flax_nnx_methods_run_alike(tmp_path):
    pytest.importorskip("flax")
    torch = pytest.importorskip("torch")
    code = _convert(NNX_SOURCE, "flax_nnx", "torch")
    from flax import nnx

    src = import_code(NNX_SOURCE, tmp_path, "src_nnx_methods")
    dst = import_code(code, tmp_path, "dst_nnx_methods")
    model = src.Head(rngs=nnx.Rngs(0))
    ported = dst.Head()
    with torch.no_grad():  # nnx's kernel is [in, out], torch's weight [out, in]
        ported.fc.weight.copy_(torch.from_numpy(np.asarray(model.fc.kernel[...]).T.copy()))
        ported.fc.bias.copy_(torch.from_numpy(np.asarray(model.fc.bias[...]).copy()))
        got = ported(torch.from_numpy(X.copy()))
    _same(got, model(_native("jax", X)))


@pytest.mark.parametrize(("src", "line", "api"), [
    ("numpy", "    x.sort()\n", "sort"),
    ("numpy", "    d = x.diagonal()\n", "diagonal"),
    ("jax", "    d = x.trace()\n", "trace"),
    ("mlx", "    d = x.diagonal()\n", "diagonal"),
    ("numpy", "    r = x.reshape(4, 6, order='F')\n", "reshape"),
])
def test_differing_methods_stay_marked(src, line, api):
    module = FRAMEWORKS[src]
    source = f"import {module} as xp\n\n\ndef f(a):\n    x = xp.tanh(a)\n{line}    return x\n"
    code, report = convert(source, src, "torch", path="methods.py")
    assert f"# swc: unmapped {src}.Tensor.{api}" in code, code
    assert any(f"unmapped {src}.Tensor.{api}" in str(d) for d in report.diagnostics), code


def test_function_reshape_with_order_is_not_packed():
    source = "import numpy as np\n\n\ndef f(x):\n    y = np.tanh(x)\n    return np.reshape(y, (4, 6), 'F')\n"
    code, _ = convert(source, "numpy", "torch", path="methods.py")
    assert "# swc: unmapped numpy.reshape" in code, code
