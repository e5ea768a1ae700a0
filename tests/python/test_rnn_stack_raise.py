"""Stacks of single recurrent layers folded back into one layer (passes/raise_rnn_stack.py)
and the Keras call form a constructor selects (passes/raise_call_forms.py): the text read
back, the refusals, and torch -> X -> torch numerically for the stacks the corpus lacks
(one bidirectional layer, a one-direction chain, a GRU)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.harness import round_trip
from tests.python.helpers import convert
from tests.python.test_models import _IMPORT

pytest.importorskip("torch")

RNN = '''import torch.nn as nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.{layer}(5, 8, batch_first=True{extra})
        self.fc = nn.Linear({width}, 3)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])
'''

FLAX_PAIR = '''from flax import nnx


class M(nnx.Module):
    def __init__(self, *, rngs: nnx.Rngs):
        self.rnn = nnx.Bidirectional(
            nnx.RNN(nnx.LSTMCell(5, 8, rngs=rngs)), nnx.RNN(nnx.LSTMCell(5, {hidden}, rngs=rngs))
        )

    def __call__(self, x):
        return self.rnn(x)
'''

# Keras builds its layers on the first call: nothing names the first LSTM's input size.
KERAS_STACK = '''import keras
from keras import layers


class M(keras.Model):
    def __init__(self):
        super().__init__()
        self.rnn = keras.Sequential([layers.Bidirectional(layers.LSTM(8, return_sequences=True)),
                                     layers.Bidirectional(layers.LSTM(8, return_sequences=True))])

    def call(self, x):
        return self.rnn(x)
'''


def _warnings(report) -> list[str]:
    return [str(d) for d in report.diagnostics if d.severity == "warning"]


@pytest.mark.parametrize("via", ["flax_nnx", "jax", "keras", "mlx"])
def test_stack_raises_to_one_torch_lstm(via):
    pytest.importorskip(_IMPORT[via])
    code, _ = convert(RNN.format(layer="LSTM", extra=", num_layers=2, bidirectional=True", width=16), "torch", via)
    back, report = convert(code, via, "torch")
    assert "num_layers=2" in back and "bidirectional=True" in back
    assert "out = self.rnn(x)[0]" in back
    assert "Bidirectional" not in back and "Sequential" not in back  # MLX's scaffold class is dropped too
    assert "nn.LSTM(5, 8, num_layers=2, batch_first=True, bidirectional=True)" in back
    assert not _warnings(report)


def test_pair_of_different_layers_stays_marked():
    back, report = convert(FLAX_PAIR.format(hidden=4), "flax_nnx", "torch")
    assert "# swc: unmapped flax.nnx.Bidirectional" in back
    assert any("different arguments" in w for w in _warnings(report))


@pytest.mark.parametrize("wrapped", [False, True])
def test_single_pair_is_one_bidirectional_layer(wrapped):
    source = FLAX_PAIR.format(hidden=8)
    if wrapped:  # a Sequential of one layer is that layer
        source = source.replace("nnx.Bidirectional(\n", "nnx.Sequential(nnx.Bidirectional(\n").replace(
            "rngs=rngs))\n        )", "rngs=rngs))\n        ))")
        assert "nnx.Sequential(" in source
    back, report = convert(source, "flax_nnx", "torch")
    assert "self.rnn = nn.LSTM(5, 8, batch_first=True, bidirectional=True)" in back
    assert "return self.rnn(x)[0]" in back
    assert not _warnings(report)


def test_kept_stack_is_the_source_chain():
    """A folded stack the target cannot build is kept as the source wrote it, not as one call."""
    out, report = convert(KERAS_STACK, "keras", "flax_nnx")
    assert "keras.Sequential([layers.Bidirectional(layers.LSTM(8, return_sequences=True))" in out
    assert "# swc: unmapped keras.Sequential" in out and "num_layers" not in out
    assert any("input_size" in w for w in _warnings(report))


def test_keras_return_state_raises_to_the_torch_tuple():
    pytest.importorskip("keras")
    src = RNN.format(layer="LSTM", extra="", width=8).replace(
        "out, _ = self.rnn(x)\n        return self.fc(out[:, -1])", "_, (h, _) = self.rnn(x)\n        return self.fc(h[-1])")
    code, _ = convert(src, "torch", "keras")
    assert "return_state=True" in code
    back, report = convert(code, "keras", "torch")
    assert "_, (h, _) = self.rnn(x)" in back and "return_state" not in back
    assert not any("return_state" in w for w in _warnings(report))


@pytest.mark.parametrize(("layer", "extra", "width", "via"), [
    ("LSTM", ", bidirectional=True", 16, "flax_nnx"),
    ("LSTM", ", bidirectional=True", 16, "mlx"),
    ("LSTM", ", num_layers=2", 8, "flax_nnx"),
    ("GRU", ", num_layers=2, bidirectional=True", 16, "flax_nnx"),
    ("GRU", ", num_layers=2, bidirectional=True", 16, "mlx"),
    ("LSTM", ", num_layers=2, bidirectional=True", 16, "keras"),  # sizes the model states: no lazy-layer gap
    ("GRU", ", num_layers=2, bidirectional=True", 16, "tensorflow"),
    ("LSTM", "", 8, "keras"),  # the final state: LSTM(..., return_state=True) read back
    ("LSTM", "", 8, "tensorflow"),
])
def test_round_trip_matches(tmp_path, layer, extra, width, via):
    pytest.importorskip(_IMPORT[via])
    source = RNN.format(layer=layer, extra=extra, width=width)
    if not extra:
        source = source.replace("out, _ = self.rnn(x)\n        return self.fc(out[:, -1])",
                                "_, (h, _) = self.rnn(x)\n        return self.fc(h[-1])")
    want, middle, back, code = round_trip(source, "M", (), (3, 7, 5), via, tmp_path, f"{layer}{width}{via}")
    assert "nn.Sequential" not in code and "Bidirectional" not in code and "return_state" not in code
    np.testing.assert_allclose(middle, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(back, want, rtol=1e-5, atol=1e-5)
