"""--from stablehlo: gather, scatter, sort, case/if, argmax/argmin reductions and top_k,
from small JAX functions, translated to numpy, torch and jax and run against JAX.

Indices are drawn partly out of range (negative and past the end) so clamping and
dropped updates are exercised, not only the in-range fast path."""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.diagnostics import Report
from switcheroo.translate_main import Translator

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

RTOL, ATOL = 1e-5, 1e-5
rng = np.random.default_rng(0)
X = rng.standard_normal((5, 4)).astype(np.float32)
X3 = rng.standard_normal((3, 5, 4)).astype(np.float32)
IDX = np.array([1, -1, 4, 7, -7], np.int32)  # in range, negative, past the end
PERM = np.array([3, 0, 2], np.int32)  # distinct rows for `set`
V = rng.standard_normal((3, 4)).astype(np.float32)
I2 = rng.integers(-2, 6, (5, 3)).astype(np.int32)
I34 = rng.integers(-1, 6, (3, 4)).astype(np.int32)
V5x3 = rng.standard_normal((5, 3)).astype(np.float32)
XI = rng.integers(-3, 3, (5, 6)).astype(np.int32)  # ties for the sorts

# name -> (function, inputs)
CASES = {
    "take_rows": (lambda x, i: x[i], (X, IDX)),
    "take_columns": (lambda x, i: x[:, i], (X, IDX)),
    "take_2d_index": (lambda x, i: x[i], (X, I2)),
    "take_two_indices": (lambda x, i, j: x[i, j], (X, IDX, IDX[::-1].copy())),
    "take_along_axis_1": (lambda x, i: jnp.take_along_axis(x, i, axis=1), (X, I2)),
    "take_along_axis_0": (lambda x, i: jnp.take_along_axis(x, i, axis=0), (X, I34)),
    "vmap_take": (jax.vmap(lambda x, i: x[i]), (X3, np.array([[0, 4], [2, 2], [-1, 1]], np.int32))),
    "scatter_set": (lambda x, i, v: x.at[i].set(v), (X, PERM, V)),
    "scatter_add": (lambda x, i, v: x.at[i].add(v), (X, np.array([1, 1, 9], np.int32), V)),
    "scatter_max": (lambda x, i, v: x.at[i].max(v), (X, np.array([0, 2, 0], np.int32), V)),
    "scatter_columns": (lambda x, i, v: x.at[:, i].add(v), (X, np.array([3, 0, 3], np.int32), V5x3)),
    "scatter_points": (lambda x, i, j, v: x.at[i, j].add(v), (X, IDX, IDX[::-1].copy(), np.arange(5, dtype=np.float32))),
    "sort": (lambda x: jnp.sort(x, axis=1), (X,)),
    "sort_descending": (lambda x: jnp.sort(x, axis=0, descending=True), (X,)),
    "argsort_ints": (lambda x: jnp.argsort(x, axis=1), (XI,)),
    "argsort_ints_descending": (lambda x: jnp.argsort(x, axis=0, descending=True), (XI,)),
    "argmax": (lambda x: jnp.argmax(x, axis=1), (X,)),
    "argmin_ints": (lambda x: jnp.argmin(x, axis=0), (XI,)),
    "max_and_argmax": (lambda x: (jnp.max(x, axis=0), jnp.argmax(x, axis=0)), (X,)),
    "top_k": (lambda x: jax.lax.top_k(x, 2), (X,)),
    "switch": (lambda k, x: jax.lax.switch(k, [jnp.sin, jnp.cos, lambda y: y * 2], x), (np.int32(5), X)),
    "cond": (lambda p, x: jax.lax.cond(p, jnp.sin, lambda y: jnp.cos(y) + 1, x), (np.bool_(False), X)),
}


def translate(name: str, framework: str) -> tuple[str, Report]:
    f, args = CASES[name]
    text = jax.jit(f).lower(*args).as_text()
    report = Report()
    return Translator("stablehlo", framework).run(text, f"{name}.mlir", report), report


def run_generated(source: str, framework: str, inputs) -> list[np.ndarray]:
    ns: dict = {}
    exec(compile(source, "<generated>", "exec"), ns)  # noqa: S102 (our own output, under test)
    if framework == "torch":
        torch = pytest.importorskip("torch")
        args = [torch.from_numpy(np.asarray(x)) for x in inputs]
    elif framework == "jax":
        args = [jnp.asarray(x) for x in inputs]
    else:
        args = [np.asarray(x) for x in inputs]
    out = ns["main"](*args)
    outs = out if isinstance(out, tuple) else (out,)
    return [o.numpy() if framework == "torch" else np.asarray(o) for o in outs]


@pytest.mark.frameworks
@pytest.mark.parametrize("framework", ["numpy", "torch", "jax"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_indexing_matches_jax(name: str, framework: str) -> None:
    if framework != "numpy":
        pytest.importorskip(framework)
    f, args = CASES[name]
    source, report = translate(name, framework)
    assert not report.diagnostics, [str(d) for d in report.diagnostics]
    want = f(*(jnp.asarray(a) for a in args))
    want = [np.asarray(w) for w in (want if isinstance(want, tuple | list) else (want,))]
    got = run_generated(source, framework, args)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    ("name", "idiom"),
    [
        ("take_rows", "np.take(arg0, "),
        ("take_along_axis_1", "np.take_along_axis(arg0, "),
        ("sort", "np.sort(arg0, axis=1"),
        ("argmax", "np.argmax(arg0, axis=1)"),
        ("switch", "elif int("),
    ],
)
def test_common_patterns_read_as_numpy_idioms(name: str, idiom: str) -> None:
    source, _ = translate(name, "numpy")
    assert idiom in source
    assert "_gather(" not in source


def test_unsupported_op_is_kept_marked_and_reported() -> None:
    text = jax.jit(lambda x: jnp.sort(x, axis=1)).lower(X).as_text()
    start = text.index("^bb0")
    comparator = text[start : text.index("})", start)]
    # The final `a < b` becomes `a >= b`: not a strict order, so not a sort the backend knows.
    text = text.replace(comparator, comparator.replace("compare LT,", "compare GE,"))
    assert "compare GE," in text
    report = Report()
    source = Translator("stablehlo", "numpy").run(text, "weird.mlir", report)
    assert report.count("warning") == 1
    assert "unmapped stablehlo.sort" in report.diagnostics[0].message
    assert "_unmapped('stablehlo.sort'" in source
    ns: dict = {}
    exec(compile(source, "<generated>", "exec"), ns)  # noqa: S102
    with pytest.raises(NotImplementedError):
        ns["main"](X)
