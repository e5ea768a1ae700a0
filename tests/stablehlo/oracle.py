"""Test helpers: the corpus location, random inputs for a module's ``main``, and JAX
(XLA CPU) running the StableHLO text itself as the reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "stablehlo"
JAX_FUNCTIONS = (
    "attention", "conv2d", "layernorm", "mlp", "rnn_scan", "small_cnn", "softmax",
    "transformer_stack", "while_loop",
)
FRAMEWORK_FILES = ("flax_cnn.jit.mlir", "keras_cnn.jit.mlir", "tf_mlp.stablehlo.mlir")


def corpus_files(pattern: str = "*.mlir") -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip("shared StableHLO corpus not found")
    return sorted(CORPUS.glob(pattern))


def random_inputs(module, seed: int = 0) -> list[np.ndarray]:
    """Random arrays matching the public ``main``'s argument types. Floats are N(0, 0.1^2),
    the scale of initialised weights, so deep models stay well conditioned and float32
    rounding-order differences stay at rounding level instead of being amplified."""
    from xdsl.dialects.func import FuncOp

    rng = np.random.default_rng(seed)
    main = next(op for op in module.ops if isinstance(op, FuncOp) and op.sym_name.data == "main")
    out = []
    for t in main.function_type.inputs:
        shape = tuple(t.get_shape())
        el = str(t.get_element_type())
        if el.startswith("f"):
            x = 0.1 * rng.standard_normal(shape)
            # Rank-1 parameters include batch-norm variances, which must be positive.
            x = np.abs(x) if len(shape) == 1 else x
            out.append(x.astype(np.float32 if el == "f32" else np.float64))
        else:
            out.append(rng.integers(0, 4, shape).astype(np.int32))
    return out


def run_with_jax(text: str, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Compile the StableHLO text with XLA's CPU client and run it."""
    jax = pytest.importorskip("jax")
    from jax._src import xla_bridge
    from jax._src.lib import xla_client

    backend = xla_bridge.get_backend("cpu")
    devices = xla_client.DeviceList(tuple(backend.devices()[:1]))
    exe = backend.compile_and_load(text, devices, xla_client.CompileOptions())
    res = exe.execute_sharded([jax.device_put(x) for x in inputs])
    return [np.asarray(r[0]) for r in res.disassemble_into_single_device_arrays()]


def jaxlib_verifies(text: str) -> None:
    """Parse and verify with jaxlib's MLIR parser (the real StableHLO dialect)."""
    pytest.importorskip("jax")
    from jax._src.interpreters import mlir
    from jax._src.lib.mlir import ir

    with mlir.make_ir_context():
        assert ir.Module.parse(text).operation.verify()
