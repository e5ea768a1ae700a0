"""Module device moves and the runtime device idiom (passes/module_devices.py), run.

A torch script picks its device with ``torch.device("cuda" if torch.cuda.is_available()
else "cpu")``, moves its model (``Net().to(device)``, ``model = model.to(device)``,
``model.cuda()``) and its input, and calls the model. Each target's script runs here on
the CPU; its model, given the torch model's weights (switcheroo.weights.transfer), computes
what torch does, and every move left out is a note with its location.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

SOURCE = '''import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = Net().to(device)
model = model.to(device)
model.cuda()
x = torch.INPUT(2, 8).to(device)
out = model(x)
'''

# numpy has no random draws in the ontology yet: its script takes ones, and seeds nothing.
TARGETS = {"jax": "randn", "flax_nnx": "randn", "keras": "randn", "tensorflow": "randn", "mlx": "randn",
           "numpy": "ones"}
# Keras has no API in its snapshot that names the default device: the idiom stays marked.
DEVICE = {"jax": "jax.devices()[0]", "flax_nnx": "jax.devices()[0]", "keras": "torch.cuda.is_available()",
          "tensorflow": "tf.config.list_logical_devices", "mlx": "mx.default_device()", "numpy": "device = 'cpu'"}


def _run(model, target: str, x: np.ndarray) -> np.ndarray:
    if target in ("jax", "flax_nnx"):
        import jax.numpy as jnp

        return np.asarray(model(jnp.asarray(x)))
    if target == "mlx":
        import mlx.core as mx

        return np.array(model(mx.array(x)))
    return np.asarray(model(x))


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_script_runs_and_computes_as_torch(target, tmp_path):
    import torch
    from switcheroo.weights import transfer

    source = SOURCE.replace("INPUT", TARGETS[target])
    if TARGETS[target] == "ones":
        source = source.replace("torch.manual_seed(0)\n", "\n")
    code, report = convert(source, "torch", target, path="script.py")
    assert target == "keras" or "torch" not in code, code
    assert ".to(" not in code and ".cuda(" not in code, code
    assert DEVICE[target] in code, code
    # model = model.to(device) and model.cuda() are gone; Net().to(device) is the model
    assert "model = model" not in code and "\nmodel\n" not in code, code
    notes = {(d.line, d.message) for d in report.diagnostics if d.severity == "note"}
    warnings = [(d.line, d.message) for d in report.diagnostics if d.severity == "warning"]
    assert warnings == ([(16, "torch from torch left in the output")] if target == "keras" else []), warnings
    assert target == "keras" or any(line == 16 and "becomes" in m for line, m in notes), notes
    assert any(line == 17 and m.startswith("torch.nn.Module.to is left out") for line, m in notes), notes
    assert any(line == 18 and "the statement is removed" in m for line, m in notes), notes
    assert any(line == 19 and m.startswith("torch.nn.Module.cuda is left out") for line, m in notes), notes

    converted = import_code(code, tmp_path, f"devices_{target}")
    assert tuple(np.shape(converted.out)) == (2, 4)
    # torch's own side runs without its model.cuda() (no GPU here)
    reference = import_code(source.replace("model.cuda()\n", ""), tmp_path, f"devices_torch_{target}")
    ref = reference.model.eval()
    transfer(ref, converted.model, src="torch", dst=target)
    x = np.random.default_rng(0).standard_normal((2, 8)).astype(np.float32)
    want = ref(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(_run(converted.model, target, x), want, rtol=1e-5, atol=1e-5)


def test_notes_on_stderr(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(SOURCE.replace("INPUT", "randn"))
    done = subprocess.run([sys.executable, "-m", "switcheroo.translate_main", "--from", "torch", "--to", "jax", str(script)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "script.py:16:10: note: torch.device(" in done.stderr, done.stderr
    assert "becomes jax.devices()[0]" in done.stderr, done.stderr
    assert "script.py:18:1: note: torch.nn.Module.to is left out" in done.stderr, done.stderr
    assert "script.py:19:1: note: torch.nn.Module.cuda is left out" in done.stderr, done.stderr
    assert "device = jax.devices()[0]" in done.stdout


def test_untyped_receiver_is_marked():
    source = '''import torch


def place(m, dev):
    return m.to(dev)
'''
    code, report = convert(source, "torch", "jax", path="place.py")
    assert "# swc: unmapped torch.nn.Module.to" in code, code
    warnings = [(d.line, d.message) for d in report.diagnostics if d.severity == "warning"]
    assert any(line == 5 and "not known to be a module" in m for line, m in warnings), warnings


def test_torch_target_keeps_the_moves():
    code, _ = convert(SOURCE.replace("INPUT", "randn"), "torch", "torch", path="script.py")
    assert 'torch.device("cuda" if torch.cuda.is_available() else "cpu")' in code, code
    assert "model = Net().to(device)" in code and "model.cuda()" in code, code
