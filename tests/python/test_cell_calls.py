"""Recurrent cells: torch's cell(x, hx) as flax's cell(carry, inputs) and Keras' cell(inputs, states)."""

from __future__ import annotations

from tests.python.helpers import convert

CELLS = """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTMCell(3, 4)
        self.gru = nn.GRUCell(3, 4)

    def forward(self, x, h, c):
        h1, c1 = self.lstm(x, (h, c))
        g = self.gru(x, h)
        return h1 + g, c1
"""


def _warnings(report) -> list[str]:
    return [d.message for d in report.diagnostics if d.severity == "warning"]


def test_flax_cells_take_the_carry_first_lstm_carry_as_c_h():
    code, report = convert(CELLS, "torch", "flax_nnx")
    assert "(c1, h1), _ = self.lstm(carry=(c, h), inputs=x)" in code
    assert "g = self.gru(carry=h, inputs=x)[0]" in code
    assert not _warnings(report)


def test_keras_cells_return_the_output_and_the_states():
    code, report = convert(CELLS, "torch", "keras")
    assert "h1, (_, c1) = self.lstm(x, states=(h, c))" in code
    assert "g = self.gru(x, states=h)[0]" in code
    assert not _warnings(report)


def test_a_cell_call_without_state_is_kept():
    # torch makes a zero state; the targets' cells need one: kept and marked, never a call
    # that binds the input to the state.
    code, report = convert(CELLS.replace("self.gru(x, h)", "self.gru(x)"), "torch", "keras")
    assert "# swc: unmapped torch.nn.GRUCell" in code
    assert any("needs hx" in w for w in _warnings(report))
