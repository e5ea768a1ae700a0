"""Keras code as a user writes it names no input size (Keras builds a layer on its first
call); with the model's input shape (``swc-translate --input-shape``, or
``model.build(shape)`` in the file) the sizes follow the forward method into a target
without lazy layers, and the converted model computes what the Keras model computes
(weights moved with switcheroo.weights.transfer)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from switcheroo.diagnostics import Report
from switcheroo.translate_main import Translator

from tests.python.harness import build, run
from tests.python.helpers import import_code

pytest.importorskip("keras")
pytest.importorskip("flax")

MLP = '''import keras
from keras import layers


class MLP(keras.Model):
    def __init__(self, classes=3):
        super().__init__()
        self.fc1 = layers.Dense(16)
        self.norm = layers.LayerNormalization()
        self.fc2 = layers.Dense(classes)

    def call(self, x):
        return self.fc2(keras.ops.relu(self.norm(self.fc1(x))))
'''

CNN = '''import keras
from keras import layers


class SmallCNN(keras.Model):
    """Channels-last, as Keras writes it: Conv2D, pooling, Flatten, Dense."""

    def __init__(self, classes=5):
        super().__init__()
        self.conv = layers.Conv2D(8, 3, padding="same")
        self.pool = layers.MaxPooling2D(2)
        self.conv2 = layers.Conv2D(4, 3)
        self.flat = layers.Flatten()
        self.head = layers.Dense(classes)

    def call(self, x):
        return self.head(self.flat(self.conv2(self.pool(keras.ops.relu(self.conv(x))))))
'''

RNN = '''import keras
from keras import layers


class Tagger(keras.Model):
    def __init__(self, hidden=8, classes=3):
        super().__init__()
        self.lstm = layers.LSTM(hidden, return_sequences=True)
        self.out = layers.Dense(classes)

    def call(self, x):
        h = self.lstm(x)
        return self.out(keras.ops.mean(h, axis=1))


model = Tagger()
model.build((None, None, 5))
'''


def _convert(code: str, dst: str, shapes: str = "") -> tuple[str, Report]:
    report = Report()
    return Translator("keras", dst, input_shapes=shapes).run(code, "model.py", report), report


def _same_outputs(code: str, out: str, cls: str, dst: str, x: np.ndarray, tmp_path: Path) -> None:
    from switcheroo.weights import transfer

    src = import_code(code, tmp_path, f"src_{cls}_{dst}")
    dst_mod = import_code(out, tmp_path, f"dst_{cls}_{dst}")
    keras_model = getattr(src, cls)()
    want = np.asarray(keras_model(x))
    model = build(dst_mod, cls, (), dst, x)
    transfer(keras_model, model, src="keras", dst=dst)
    np.testing.assert_allclose(run(model, dst, x), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dst", ["flax_nnx", "numpy"])
def test_mlp_with_input_shape(tmp_path, dst):
    out, report = _convert(MLP, dst, "?x6")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert "unmapped" not in out
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    _same_outputs(MLP, out, "MLP", dst, x, tmp_path)


def test_cnn_channels_last(tmp_path):
    out, report = _convert(CNN, "flax_nnx", "SmallCNN:2x12x12x3")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert "nnx.Conv(3, 8" in out and "nnx.Linear(64, classes" in out  # 4 x 4 x 4 after the pool
    x = np.random.default_rng(0).standard_normal((2, 12, 12, 3)).astype(np.float32)
    _same_outputs(CNN, out, "SmallCNN", "flax_nnx", x, tmp_path)


def test_module_level_build(tmp_path):
    """``model.build((None, None, 5))`` after ``model = Tagger()`` states the input shape."""
    out, report = _convert(RNN, "flax_nnx")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    x = np.random.default_rng(0).standard_normal((3, 7, 5)).astype(np.float32)
    _same_outputs(RNN.split("\n\nmodel = ")[0] + "\n", out.split("\n\nmodel = ")[0] + "\n", "Tagger", "flax_nnx",
                  x, tmp_path)


def test_without_input_shape_the_layer_stays_marked():
    out, report = _convert(MLP, "flax_nnx")
    assert "# swc: unmapped keras.layers.Dense" in out
    assert any(d.severity == "warning" and "in_features" in d.message for d in report.diagnostics)


def test_torch_to_keras_keeps_sizes():
    """A size only the PyTorch constructor states stays in the Keras code as a build call,
    and one the layer before carries is left to Keras."""
    from tests.python.helpers import convert

    src = ("import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n"
           "    def __init__(self, d_in: int = 5, hidden: int = 8):\n        super().__init__()\n"
           "        self.lstm = nn.LSTM(d_in, hidden, batch_first=True)\n        self.norm = nn.LayerNorm(hidden)\n\n"
           "    def forward(self, x):\n        out, _ = self.lstm(x)\n        return self.norm(out)\n")
    out, _ = convert(src, "torch", "keras")
    assert "self.lstm.build((None, None, d_in))" in out
    assert "self.norm.build" not in out


def test_bad_input_shape_is_one_line():
    exe = Path(sys.executable).parent / "swc-translate"
    p = subprocess.run([str(exe), "-", "--from", "keras", "--to", "jax", "--input-shape", "8xfoo"], input=MLP,
                       capture_output=True, text=True, timeout=120, check=False)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert len(lines) == 1 and "8xfoo" in lines[0], p.stderr


def test_unnamed_shape_with_several_models_is_refused():
    """An input shape naming no class, for a file of several models, sizes none of them."""
    two = MLP + "\n\n" + CNN.split("\n\n\n", 1)[1]
    out, report = _convert(two, "flax_nnx", "?x6")
    assert any(d.severity == "warning" and "CLASS:SHAPE" in d.message for d in report.diagnostics)
    assert "# swc: unmapped keras.layers.Dense" in out
    named, report = _convert(two, "flax_nnx", "MLP:?x6")
    assert "nnx.Linear(6, 16" in named
