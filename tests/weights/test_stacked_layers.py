"""Stacked/bidirectional recurrent layers and attention extras beyond the live outputs
(tests/weights/stack_pairs.py): round trips, checkpoints, and what cannot be mapped."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nnx = pytest.importorskip("flax.nnx")

from switcheroo.backends.weights.convert import plan_from_models, run_plan
from switcheroo.backends.weights.formats import Source
from switcheroo.weights import TransferError, load_checkpoint, transfer

from tests.weights.layer_pairs import _randomise
from tests.weights.stack_pairs import _nnx_stack


def _lstm() -> object:
    return _randomise(torch.nn.LSTM(3, 6, num_layers=2, bidirectional=True, batch_first=True))


def test_stacked_bidirectional_round_trip_is_bit_identical() -> None:
    src, back = _lstm(), _lstm()
    mid, _ = _nnx_stack("LSTMCell", 2, True)()
    # nnx.LSTMCell holds b_ih + b_hh; with b_hh zero the sum is exact both ways.
    with torch.no_grad():
        for name, p in src.named_parameters():
            if name.startswith("bias_hh"):
                p.zero_()
    assert transfer(src, mid, src="torch", dst="flax_nnx").copied == 4 * 12
    assert transfer(mid, back, src="flax_nnx", dst="torch").ok
    for (k, a), (_, b) in zip(src.state_dict().items(), back.state_dict().items(), strict=True):
        assert torch.equal(a, b), k


def test_attention_with_kdim_round_trip_is_bit_identical() -> None:
    src = _randomise(torch.nn.MultiheadAttention(8, 2, kdim=5, vdim=5, batch_first=True))
    back = torch.nn.MultiheadAttention(8, 2, kdim=5, vdim=5, batch_first=True)
    mid = nnx.MultiHeadAttention(2, 8, in_kv_features=5, decode=False, rngs=nnx.Rngs(0))
    transfer(src, mid, src="torch", dst="flax_nnx")
    transfer(mid, back, src="flax_nnx", dst="torch")
    for (k, a), (_, b) in zip(src.state_dict().items(), back.state_dict().items(), strict=True):
        assert torch.equal(a, b), k


def test_packed_attention_round_trip_reads_the_source_bytes() -> None:
    """torch -> torch is the identity expression, not a split and a re-join."""
    from switcheroo.backends.weights.transfer import live_plan

    a, b = (torch.nn.MultiheadAttention(8, 2) for _ in range(2))
    plan, report, *_ = live_plan(a, b, "torch", "torch")
    assert report.ok and {m.dst_key: m.expr for m in plan.moves}["in_proj_weight"] == [
        "load",
        "in_proj_weight",
    ]


def test_checkpoint_without_target_model_names_flax_layers(tmp_path) -> None:
    src = _lstm()
    cp = plan_from_models(src, "torch", "flax_nnx")
    source = Source({k: v.numpy() for k, v in src.state_dict().items()})
    out = tmp_path / "w.npz"
    assert run_plan(cp, source, out, "npz").ok
    assert "layers.1.backward_rnn.cell.hf.kernel" in np.load(out).files
    dst, run = _nnx_stack("LSTMCell", 2, True)()
    assert load_checkpoint(dst, out, "flax_nnx").copied == 4 * 12
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    with torch.no_grad():
        want = src(torch.from_numpy(x))[0].numpy()
    np.testing.assert_allclose(run(x), want, rtol=1e-5, atol=1e-5)


def test_bidirectional_to_mlx_is_refused_with_the_reason() -> None:
    cp = plan_from_models(_lstm(), "torch", "mlx")
    assert not cp.report.ok and not cp.plan.moves
    assert any("Bidirectional" in p and "mlx" in p for p in cp.report.problems)


def test_attention_bias_kv_is_reported_not_dropped() -> None:
    src = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True, batch_first=True)
    dst = nnx.MultiHeadAttention(2, 8, decode=False, rngs=nnx.Rngs(0))
    with pytest.raises(TransferError) as err:
        transfer(src, dst, src="torch", dst="flax_nnx")
    problems = err.value.report.problems
    assert "<root>: bias_k: flax.nnx.MultiHeadAttention has no counterpart of bias_k" in problems
    assert sorted(err.value.report.unexpected) == ["bias_k", "bias_v"]
