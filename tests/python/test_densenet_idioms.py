"""Idioms of torchvision's densenet, each converted on its own and run against torch.

- The array class as a value: ``isinstance(x, torch.Tensor)`` (``_DenseLayer`` takes a
  tensor or a list of them) becomes a type test on the target's array class.
- ``torch.utils.checkpoint.checkpoint(closure, *xs, use_reentrant=False)`` becomes the plain
  call ``closure(*xs)`` for Flax NNX and JAX: the same values (checkpointing only trades memory
  for recomputation in the backward pass; the ontology entry's note says why not
  ``nnx.remat``), and the wrapped function called for MLX and TensorFlow.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

JOIN = '''
import torch
from torch import Tensor, nn


class Join(nn.Module):
    def forward(self, x):
        if isinstance(x, Tensor):
            x = [x]
        return torch.cat(x, 1) * 2.0
'''

RECOMPUTE = '''
import torch
import torch.utils.checkpoint as cp
from torch import nn


class Recompute(nn.Module):
    def forward(self, a, b):
        def closure(*inputs):
            return torch.relu(torch.cat(inputs, 1))

        return cp.checkpoint(closure, *[a, b], use_reentrant=False)
'''


@pytest.mark.parametrize(("target", "spelled"), [("flax_nnx", "isinstance(x, jax.Array)"),
                                                 ("numpy", "isinstance(x, np.ndarray)")])
def test_isinstance_tensor_converts(tmp_path, target, spelled):
    torch = pytest.importorskip("torch")
    code, report = convert(JOIN, "torch", target)
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert spelled in code
    mod = import_code(code, tmp_path, f"models_{target}")
    a = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    b = -a
    model, ref = mod.Join(), _torch_model(JOIN, "Join")  # no layers: no rngs either
    for given in (a, [a, b]):
        want = ref([torch.from_numpy(t) for t in given] if isinstance(given, list) else torch.from_numpy(given))
        want = want.numpy()
        got = model([_array(target, t) for t in given] if isinstance(given, list) else _array(target, given))
        np.testing.assert_array_equal(np.asarray(got), want)


@pytest.mark.parametrize(("target", "spelled"), [("flax_nnx", "return closure(*[a, b])"),
                                                 ("jax", "return closure(*[a, b])"),
                                                 ("mlx", "return mx.checkpoint(closure)(*[a, b])"),
                                                 ("tensorflow", "return tf.recompute_grad(closure)(*[a, b])")])
def test_checkpoint_calls_the_function(tmp_path, target, spelled):
    """The target's checkpoint wraps the function and the wrapper is called (jax.checkpoint(f)
    alone would be a function, not its result)."""
    torch = pytest.importorskip("torch")
    code, report = convert(RECOMPUTE, "torch", target)
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert spelled in code
    mod = import_code(code, tmp_path, f"recompute_{target}")
    a = np.arange(6, dtype=np.float32).reshape(1, 2, 3) - 2.0
    want = _torch_model(RECOMPUTE, "Recompute")(torch.from_numpy(a), torch.from_numpy(-a)).numpy()
    model = mod.Recompute()
    forward = model.call if target == "tensorflow" else model
    np.testing.assert_array_equal(np.asarray(forward(_array(target, a), _array(target, -a))), want)


def _array(target: str, x: np.ndarray):
    if target in ("flax_nnx", "jax"):
        import jax.numpy as jnp

        return jnp.asarray(x)
    if target == "mlx":
        import mlx.core as mx

        return mx.array(x)
    if target == "tensorflow":
        import tensorflow as tf

        return tf.constant(x)
    return x


def _torch_model(source: str, cls: str):
    namespace: dict = {}
    exec(compile(source, "models.py", "exec"), namespace)  # noqa: S102 -- the source model itself
    return namespace[cls]()
