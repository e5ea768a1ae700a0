"""--from stablehlo --to numpy|torch|jax: the generated Python computes what JAX computes
for the same StableHLO module (all nine JAX functions plus the Flax, Keras and TF files)."""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.backends.stablehlo.to_python import emit_python
from switcheroo.frontends.mlir_text import parse_mlir
from switcheroo.passes.convert_stablehlo_to_hub import ConvertStablehloToHub
from xdsl.context import Context

from tests.stablehlo.oracle import (
    CORPUS,
    FRAMEWORK_FILES,
    JAX_FUNCTIONS,
    corpus_files,
    random_inputs,
    run_with_jax,
)

FILES = [f"{name}.jit.mlir" for name in JAX_FUNCTIONS] + list(FRAMEWORK_FILES)
# float32 throughout; only summation order differs between XLA and the target library.
RTOL, ATOL = 1e-5, 1e-5


def translate(path, framework: str) -> str:
    module = parse_mlir(path.read_text(), str(path))
    ConvertStablehloToHub().apply(Context(), module)
    module.verify()
    return emit_python(module, framework)


def _to_numpy(x, framework: str) -> np.ndarray:
    if framework == "torch":
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _run_generated(source: str, framework: str, inputs: list[np.ndarray]) -> list[np.ndarray]:
    ns: dict = {}
    exec(compile(source, "<generated>", "exec"), ns)  # noqa: S102 (our own output, under test)
    if framework == "torch":
        torch = pytest.importorskip("torch")
        args = [torch.from_numpy(x) for x in inputs]
    elif framework == "jax":
        jnp = pytest.importorskip("jax.numpy")
        args = [jnp.asarray(x) for x in inputs]
    else:
        args = inputs
    out = ns["main"](*args)
    outs = out if isinstance(out, tuple) else (out,)
    return [_to_numpy(o, framework) for o in outs]


CASES = [
    pytest.param(
        name, fw,
        marks=[pytest.mark.slow] if name.startswith("transformer_stack") and fw != "numpy" else [],
        id=f"{name}-{fw}",
    )
    for name in FILES
    for fw in ("numpy", "torch", "jax")
]


@pytest.mark.frameworks
@pytest.mark.parametrize(("name", "framework"), CASES)
def test_translation_matches_jax(name: str, framework: str) -> None:
    corpus_files()
    path = CORPUS / name
    if framework != "numpy":
        pytest.importorskip(framework)
    source = translate(path, framework)
    module = parse_mlir(path.read_text(), str(path))
    inputs = random_inputs(module)
    want = run_with_jax(path.read_text(), inputs)
    got = _run_generated(source, framework, inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


def test_one_function_per_public_func() -> None:
    corpus_files()
    src = translate(CORPUS / "mlp.jit.mlir", "numpy")
    assert "\ndef main(" in src
    assert "\ndef _relu(" in src  # private MLIR functions become private helpers
    compile(src, "<generated>", "exec")


@pytest.mark.parametrize("name", ["rnn_scan", "while_loop"])
@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_counted_while_becomes_a_python_for(name: str, framework: str) -> None:
    corpus_files()
    src = translate(CORPUS / f"{name}.jit.mlir", framework)
    assert "for i in range(" in src
    assert "while " not in src
