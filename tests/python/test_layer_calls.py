"""adapt-layer-calls: layer calls rewritten to the target's call protocol (ontology data:
the spec's ``call`` and each variant's ``call`` forms), and refused loudly where the
target's call cannot give what the source uses. Numeric checks: test_models.py."""

from __future__ import annotations

import pytest

from tests.python.helpers import convert

pytest.importorskip("torch")

LSTM = '''import torch.nn as nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 8, batch_first=True{extra})

    def forward(self, x):
        {body}
'''

MHA = '''import torch.nn as nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)

    def forward(self, x):
        {body}
'''


def _warnings(report) -> list[str]:
    return [d.message for d in report.diagnostics if d.severity == "warning"]


def test_lstm_output_only_becomes_flax_rnn_call():
    code, report = convert(LSTM.format(extra="", body="out, _ = self.lstm(x)\n        return out"), "torch", "flax_nnx")
    assert "self.lstm = nnx.RNN(nnx.LSTMCell(5, 8, rngs=rngs))" in code
    assert "out = self.lstm(x)\n" in code
    assert not _warnings(report)


def test_lstm_subscript_of_the_result_is_reindexed():
    code, _ = convert(LSTM.format(extra="", body="return self.lstm(x)[0]"), "torch", "keras")
    assert "return self.lstm(x)\n" in code
    assert "layers.LSTM(8, return_sequences=True)" in code


def test_time_major_lstm_tells_flax():
    code, _ = convert(LSTM.format(extra="", body="out, _ = self.lstm(x)\n        return out").replace(
        ", batch_first=True", ""), "torch", "flax_nnx")
    assert "nnx.RNN(nnx.LSTMCell(5, 8, rngs=rngs), time_major=True)" in code


def test_lstm_state_used_is_kept_and_reported():
    # nnx.RNN's carry has no leading layer axis (h_n is [layers, B, H]): no silent reorder.
    code, report = convert(LSTM.format(extra="", body="out, (h, c) = self.lstm(x)\n        return h"),
                           "torch", "flax_nnx")
    assert "# swc: unmapped torch.nn.LSTM" in code
    assert any("h_n" in w for w in _warnings(report))


@pytest.mark.parametrize("extra", [", num_layers=2", ", bidirectional=True"])
def test_stacked_or_bidirectional_lstm_is_refused(extra):
    code, report = convert(LSTM.format(extra=extra, body="out, _ = self.lstm(x)\n        return out"),
                           "torch", "keras")
    assert "# swc: unmapped torch.nn.LSTM" in code
    assert _warnings(report)


def test_attention_call_drops_need_weights_and_derives_key_dim():
    code, report = convert(MHA.format(body="out, _ = self.attn(x, x, x, need_weights=False)\n        return out"),
                           "torch", "keras")
    assert "layers.MultiHeadAttention(4, key_dim=16 // 4)" in code
    assert "out = self.attn(x, x, x)\n" in code
    assert not _warnings(report)


def test_attention_weights_used_are_reported():
    code, report = convert(MHA.format(body="out, w = self.attn(x, x, x)\n        return w"), "torch", "flax_nnx")
    assert "# swc: unmapped torch.nn.MultiheadAttention" in code
    assert any("attn_weights" in w for w in _warnings(report))


def test_flax_rnn_raises_back_to_torch_lstm():
    flax, _ = convert(LSTM.format(extra="", body="out, _ = self.lstm(x)\n        return out"), "torch", "flax_nnx")
    back, report = convert(flax, "flax_nnx", "torch")
    assert "self.lstm = nn.LSTM(5, 8, batch_first=True)" in back
    assert "out = self.lstm(x)[0]" in back
    assert not _warnings(report)
