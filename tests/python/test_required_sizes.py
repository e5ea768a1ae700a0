"""A layer the target cannot build without a size the source leaves out is kept and marked,
even where the target's signature is ``(*args, **kwargs)`` (torch's recurrent layers): the
spec says which arguments are required."""

from __future__ import annotations

import pytest

from tests.python.helpers import convert

KERAS_LSTM = """\
import keras
from keras import layers


class Net(keras.Model):
    def __init__(self, hidden=16):
        super().__init__()
        self.rnn = layers.{layer}(hidden, return_sequences=True)

    def call(self, x):
        return self.rnn(x)
"""


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "SimpleRNN"])
def test_keras_recurrent_layer_without_input_size_is_marked_for_torch(layer):
    code, report = convert(KERAS_LSTM.format(layer=layer), "keras", "torch", path="net.py")
    line = next(ln for ln in code.splitlines() if "self.rnn =" in ln)
    assert "# swc: unmapped keras.layers." in line
    assert any("input_size" in d.message and d.severity == "warning" for d in report.diagnostics)
