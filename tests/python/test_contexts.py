"""Contexts (``with torch.no_grad()``), decorators (``@torch.compile``) and module mode
switches (``model.eval()``) in converted code: valid, lint-clean, marked where kept, and
numerically what torch computes."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.python.harness import make_input
from tests.python.helpers import convert, import_code

TARGETS = ["flax_nnx", "keras", "tensorflow", "mlx", "numpy"]

NG = """\
import torch
import torch.nn as nn


def evaluate(model, x):
    model.eval()
    with torch.no_grad():
        y = model(x)
    model.train()
    return y


@torch.compile
def f(x):
    return torch.relu(x)
"""

DROPOUT = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.fc(x))


def evaluate(model: nn.Module, x):
    model.eval()
    # no gradients here
    with torch.no_grad():  # inference
        y = model(x)
    model.train(False)
    return y


@torch.no_grad()
def predict(model, x):
    return model(x)
"""

# The decorator each target writes for @torch.compile (None: compiling is only an
# optimisation there, so the function is left undecorated).
JIT = {"flax_nnx": "@nnx.jit", "keras": None, "tensorflow": "@tf.function", "mlx": "@mx.compile", "numpy": None}
# Targets whose modules switch modes by method, as torch's do.
MODE_METHODS = ("flax_nnx", "mlx")


def _ruff_clean(code: str, tmp_path) -> None:
    exe = shutil.which("ruff")
    cmd = [exe] if exe else [sys.executable, "-m", "ruff"]
    path = tmp_path / "lint_me.py"
    path.write_text(code)
    run = subprocess.run([*cmd, "check", "--isolated", "--select", "F401,F821", "--output-format", "concise",
                          str(path)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def _decorators(code: str) -> list[str]:
    return [ln.strip() for ln in code.splitlines() if ln.lstrip().startswith("@")]


def _unmarked_torch(code: str) -> list[str]:
    return [ln for ln in code.splitlines() if "torch" in ln and "# swc: unmapped" not in ln]


def _native(target: str, x: np.ndarray):
    if target == "flax_nnx":
        import jax.numpy as jnp

        return jnp.asarray(x)
    if target == "mlx":
        import mlx.core as mx

        return mx.array(x)
    return x


@pytest.mark.parametrize("target", TARGETS)
def test_no_grad_and_compile(target, tmp_path):
    code, report = convert(NG, "torch", target, path="ng.py")
    ast.parse(code)
    _ruff_clean(code, tmp_path)
    assert not _unmarked_torch(code), code
    assert "with " not in code and "no_grad" not in code, code  # no context needed: body unwrapped
    assert "    y = model(x)\n" in code
    jit = JIT[target]
    assert _decorators(code) == ([jit] if jit else []), code
    assert not [d for d in report.diagnostics if "torch" in d.message], [str(d) for d in report.diagnostics]
    mod = import_code(code, tmp_path, f"ng_{target}")
    x = make_input((2, 5))
    np.testing.assert_allclose(np.asarray(mod.f(_native(target, x))), np.maximum(x, 0), rtol=1e-5, atol=1e-5)
    # evaluate(model, x) on an unknown receiver: silent where the target has the same methods.
    mode_warnings = [d for d in report.diagnostics if "not known to be a module" in d.message]
    assert bool(mode_warnings) == (target not in MODE_METHODS), [str(d) for d in report.diagnostics]


@pytest.mark.parametrize("target", TARGETS)
def test_dropout_model_evaluated_under_no_grad(target, tmp_path):
    import torch
    from switcheroo.weights import transfer

    code, report = convert(DROPOUT, "torch", target, path="drop.py")
    ast.parse(code)
    _ruff_clean(code, tmp_path)
    assert not _unmarked_torch(code), code
    assert "with " not in code and not _decorators(code), code
    # The with statement's comments stay, above its body.
    assert "    # no gradients here\n    # inference\n    y = model(x)\n" in code, code
    src = import_code(DROPOUT, tmp_path, f"drop_src_{target}")
    torch.manual_seed(0)
    ref = src.Net()  # left in training mode: evaluate must switch it
    x = make_input((3, 4))
    want = src.evaluate(ref, torch.from_numpy(x)).numpy()
    assert not ref.training
    if target not in MODE_METHODS:
        # Keras passes training= per call and NumPy modules only infer: the switches stay,
        # marked and reported, for the reader to remove.
        assert "model.eval()  # swc: unmapped torch.nn.Module.eval" in code, code
        assert [d for d in report.diagnostics if "no train/eval mode" in d.message]
        return
    assert "model.eval()\n" in code and "train(False)" not in code, code  # train(False) is eval()
    dst = import_code(code, tmp_path, f"drop_dst_{target}")
    if target == "flax_nnx":
        from flax import nnx

        model = dst.Net(rngs=nnx.Rngs(0))
    else:
        model = dst.Net()
    transfer(ref, model, src="torch", dst=target)
    got = np.asarray(dst.evaluate(model, _native(target, x)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(dst.predict(model, _native(target, x))), want, rtol=1e-5, atol=1e-5)


def test_unmapped_context_keeps_its_call_and_is_marked():
    src = "import torch\n\n\ndef f(x):\n    with torch.enable_grad():\n        return x\n"
    code, report = convert(src, "torch", "jax")
    assert "with torch.enable_grad():  # swc: unmapped torch.enable_grad" in code, code
    assert any(d.line == 5 for d in report.diagnostics if d.severity == "warning")


def test_unmapped_decorator_is_marked_and_reported():
    src = "import torch\n\n\n@torch.jit.script\ndef f(x):\n    return torch.relu(x)\n"
    code, report = convert(src, "torch", "jax")
    assert "# swc: unmapped torch" in code, code
    assert [d for d in report.diagnostics if "left in the output" in d.message]


def test_unknown_receiver_is_left_with_a_warning_for_keras():
    src = DROPOUT.replace("model: nn.Module", "model")
    code, report = convert(src, "torch", "keras", path="drop.py")
    assert "model.eval()\n" in code  # unknown receiver: left as it is, with a warning
    assert [d for d in report.diagnostics if "not known to be a module" in d.message and d.line == 16]
