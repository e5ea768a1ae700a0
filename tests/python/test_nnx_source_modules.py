"""A Flax NNX model written as NNX users write it, converted to torch, Keras and MLX.

An NNX module need not call ``super().__init__()``; torch, Keras and MLX modules fail
without it, so the conversion adds it (trait ``init_calls_super``). ``nnx.relu(x)`` is
the ReLU layer's reference in flax and ``jax.nn.relu`` called: it raises through the
function's mapping (trait ``reexports``). Both sides run, weights transferred.
"""

from __future__ import annotations

import numpy as np
import pytest

from switcheroo.diagnostics import Report
from switcheroo.translate_main import Translator
from tests.python.helpers import import_code

SOURCE = '''import jax
from flax import nnx


class MLP(nnx.Module):
    """Two layers (no super().__init__(): NNX needs none)."""

    def __init__(self, din: int, dout: int, *, rngs: nnx.Rngs):
        self.fc1 = nnx.Linear(din, 16, rngs=rngs)
        self.fc2 = nnx.Linear(16, dout, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        h = nnx.gelu(self.fc1(x), approximate=False)
        return nnx.softmax(self.fc2(nnx.relu(h)), axis=-1)
'''

X = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
_IMPORT = {"torch": "torch", "keras": "keras", "mlx": "mlx.core"}


def _run(framework: str, model, x: np.ndarray) -> np.ndarray:
    if framework == "torch":
        import torch

        with torch.no_grad():
            return model(torch.from_numpy(x.copy())).numpy()
    if framework == "mlx":
        import mlx.core as mx

        return np.asarray(model(mx.array(x)))
    return np.asarray(model(x))


@pytest.mark.parametrize("target", sorted(_IMPORT))
def test_nnx_module_without_super_init_runs_alike(tmp_path, target):
    pytest.importorskip("flax")
    pytest.importorskip(_IMPORT[target])
    from flax import nnx

    from switcheroo.weights import transfer

    report = Report()
    code = Translator("flax_nnx", target).run(SOURCE, "mlp_nnx.py", report)
    assert "super().__init__()" in code, code
    assert "unmapped" not in code, code
    assert not [d for d in report.diagnostics if d.severity == "warning"], [str(d) for d in report.diagnostics]
    src = import_code(SOURCE, tmp_path, f"src_mlp_{target}")
    dst = import_code(code, tmp_path, f"dst_mlp_{target}")
    model = src.MLP(5, 4, rngs=nnx.Rngs(0))
    ported = dst.MLP(5, 4)
    _run(target, ported, X)  # Keras builds the layers after the first on their first call
    transfer(model, ported, src="flax_nnx", dst=target)
    want = np.asarray(model(X))
    np.testing.assert_allclose(_run(target, ported, X), want, rtol=1e-5, atol=1e-5)


def test_super_init_follows_the_docstring():
    source = SOURCE.replace('        self.fc1 = nnx.Linear(din, 16, rngs=rngs)',
                            '        """Layers."""\n        self.fc1 = nnx.Linear(din, 16, rngs=rngs)')
    code = Translator("flax_nnx", "torch").run(source, "mlp_nnx.py", Report())
    assert '        """Layers."""\n        super().__init__()\n' in code, code
