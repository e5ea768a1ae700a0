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


def test_lstm_state_from_flax_carry_gets_the_layer_axis():
    # nnx.RNN's carry is (c, h) without h_n's leading layer axis: reordered, then h[None].
    code, report = convert(LSTM.format(extra="", body="out, (h, c) = self.lstm(x)\n        return h + c"),
                           "torch", "flax_nnx")
    assert "(c, h), out = self.lstm(x, return_carry=True)\n        h = h[None]\n        c = c[None]\n" in code
    assert not _warnings(report)
    back, report = convert(code, "flax_nnx", "torch")
    assert "out, (h, c) = self.lstm(x)\n" in back
    assert not _warnings(report)


def test_gru_state_subscript_gets_the_layer_axis():
    code, report = convert(LSTM.format(extra="", body="return self.lstm(x)[1]").replace("LSTM", "GRU"),
                           "torch", "flax_nnx")
    assert "return self.lstm(x, return_carry=True)[0][None]" in code
    assert not _warnings(report)


def test_lstm_state_used_builds_keras_lstm_with_return_state():
    # keras.layers.LSTM returns its state only when built with return_state=True (build_with).
    code, report = convert(LSTM.format(extra="", body="out, (h, c) = self.lstm(x)\n        return h"),
                           "torch", "keras")
    assert "layers.LSTM(8, return_sequences=True, return_state=True)" in code
    assert "out, h, c = self.lstm(x)\n        h = h[None]\n" in code
    assert not _warnings(report)


def test_lstm_state_of_a_layer_called_twice_is_kept_and_reported():
    # return_state=True would change what the other call returns.
    body = "out, (h, c) = self.lstm(x)\n        again, _ = self.lstm(out)\n        return h + again"
    code, report = convert(LSTM.format(extra="", body=body), "torch", "keras")
    assert "# swc: unmapped torch.nn.LSTM" in code
    assert any("more than once" in w for w in _warnings(report))


def test_mlx_lstm_final_state_is_the_last_step():
    code, report = convert(LSTM.format(extra="", body="_, (h, _) = self.lstm(x)\n        return h[-1]"),
                           "torch", "mlx")
    assert "h, _ = self.lstm(x)\n        h = h[:, -1]\n        h = h[None]\n" in code
    assert not _warnings(report)


def test_mlx_gru_final_state_is_the_last_step():
    gru = LSTM.format(extra="", body="return self.lstm(x)[1][0]").replace("nn.LSTM", "nn.GRU")
    code, report = convert(gru, "torch", "mlx")
    assert "return self.lstm(x)[:, -1][None][0]\n" in code
    assert not _warnings(report)


def test_lstm_state_used_whole_is_kept_and_reported():
    code, report = convert(LSTM.format(extra="", body="out, state = self.lstm(x)\n        return state"),
                           "torch", "flax_nnx")
    assert "# swc: unmapped torch.nn.LSTM" in code
    assert _warnings(report)


def test_gru_cell_class_is_written_once_and_raises_back():
    # nnx.GRUCell has no b_hn: the output defines GRUCell(nnx.GRUCell) with bias_hn, once.
    two = LSTM.format(extra="", body="out, _ = self.lstm(self.gru2(x)[0])\n        return out").replace(
        "nn.LSTM(5, 8, batch_first=True)", "nn.GRU(8, 8, batch_first=True)\n        self.gru2 = nn.GRU(5, 8, batch_first=True)")
    code, report = convert(two, "torch", "flax_nnx")
    assert code.count("class GRUCell(nnx.GRUCell):") == 1
    assert "self.bias_hn = nnx.Param(jnp.zeros((hidden_features,)))" in code
    assert "nnx.RNN(GRUCell(5, 8, rngs=rngs))" in code
    assert code.index("class GRUCell") < code.index("class M")
    assert not _warnings(report)
    back, report = convert(code, "flax_nnx", "torch")
    assert "GRUCell" not in back and "self.gru2 = nn.GRU(5, 8, batch_first=True)" in back
    assert not _warnings(report)


def test_gru_cell_name_taken_is_reported():
    taken = "class GRUCell:\n    pass\n\n\n" + LSTM.format(extra="", body="out, _ = self.lstm(x)\n        return out")
    code, report = convert(taken.replace("nn.LSTM", "nn.GRU"), "torch", "flax_nnx")
    assert "# swc: unmapped torch.nn.GRU" in code
    assert any("GRUCell" in w for w in _warnings(report))


@pytest.mark.parametrize("extra, built", [
    (", num_layers=2", "keras.Sequential(\n            [layers.LSTM(8, return_sequences=True), "
                      "layers.LSTM(8, return_sequences=True)]\n        )"),
    (", bidirectional=True", "self.lstm = layers.Bidirectional(layers.LSTM(8, return_sequences=True))"),
])
def test_stacked_or_bidirectional_lstm_is_a_stack(extra, built):
    code, report = convert(LSTM.format(extra=extra, body="out, _ = self.lstm(x)\n        return out"),
                           "torch", "keras")
    assert built in code and "out = self.lstm(x)\n" in code
    assert not _warnings(report)


def test_flax_stack_takes_the_second_layer_input_from_both_directions():
    code, _ = convert(LSTM.format(extra=", num_layers=2, bidirectional=True",
                                  body="out, _ = self.lstm(x)\n        return out"), "torch", "flax_nnx")
    assert ("nnx.Bidirectional(\n                nnx.RNN(nnx.LSTMCell(16, 8, rngs=rngs)), "
            "nnx.RNN(nnx.LSTMCell(16, 8, rngs=rngs))\n            )") in code


def test_mlx_bidirectional_lstm_is_a_class_of_the_output():
    code, report = convert(LSTM.format(extra=", num_layers=2, bidirectional=True",
                                       body="out, _ = self.lstm(x)\n        return out"), "torch", "mlx")
    assert "class Bidirectional(nn.Module):" in code
    assert ("nn.Sequential(\n            Bidirectional(nn.LSTM(5, 8), nn.LSTM(5, 8)),\n"
            "            Bidirectional(nn.LSTM(16, 8), nn.LSTM(16, 8)),\n        )") in code
    assert "out = self.lstm(x)\n" in code
    assert not _warnings(report)


@pytest.mark.parametrize("target, extra, body", [
    ("flax_nnx", ", num_layers=2", "out, (h, c) = self.lstm(x)\n        return h"),  # a chain has no final state
    # mlx.nn.LSTM returns (hidden, cell): single layers do not chain in nn.Sequential.
    ("mlx", ", num_layers=2", "out, _ = self.lstm(x)\n        return out"),
])
def test_stack_a_target_cannot_build_is_refused(target, extra, body):
    code, report = convert(LSTM.format(extra=extra, body=body), "torch", target)
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
