"""Whole-model transfer: outputs match, round trips are bit-identical, errors are reported."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from switcheroo.weights import TransferError, transfer

from tests.weights.model_pairs import BUILDERS, SEQ, VOCAB, run, torch_model

MODULES = {"flax_nnx": "flax.nnx", "keras": "keras", "mlx": "mlx.nn"}
IDS = np.random.default_rng(1).integers(0, VOCAB, (3, SEQ)).astype(np.int32)


@pytest.mark.parametrize("fw", sorted(BUILDERS))
def test_model_outputs_match(fw: str) -> None:
    pytest.importorskip(MODULES[fw])
    src, dst = torch_model(), BUILDERS[fw]()
    report = transfer(src, dst, src="torch", dst=fw)
    assert report.ok, report.lines()
    assert report.copied == 14  # 15 torch tensors less num_batches_tracked
    np.testing.assert_allclose(run(fw, dst, IDS), run("torch", src, IDS), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fw", sorted(BUILDERS))
def test_round_trip_is_bit_identical(fw: str) -> None:
    pytest.importorskip(MODULES[fw])
    src, mid, back = torch_model(), BUILDERS[fw](), torch_model()
    transfer(src, mid, src="torch", dst=fw)
    transfer(mid, back, src=fw, dst="torch")
    for (k, a), (_, b) in zip(src.state_dict().items(), back.state_dict().items(), strict=True):
        if not k.endswith("num_batches_tracked"):
            assert a.dtype == b.dtype and torch.equal(a, b), k
    assert back.conv[1].momentum == src.conv[1].momentum  # 0.1 -> 0.9 -> 0.1


def test_momentum_convention_converted() -> None:
    pytest.importorskip("flax.nnx")
    dst = BUILDERS["flax_nnx"]()
    transfer(torch_model(), dst, src="torch", dst="flax_nnx")
    assert dst.conv.layers[1].momentum == pytest.approx(0.9)
    assert dst.conv.layers[1].epsilon == pytest.approx(1e-5)


def test_bf16_and_fp16_kept() -> None:
    pytest.importorskip("flax.nnx")
    src = torch_model()
    src.head.to(torch.bfloat16)
    src.blocks[0].to(torch.float16)
    mid, back = BUILDERS["flax_nnx"](), torch_model()
    transfer(src, mid, src="torch", dst="flax_nnx")
    assert str(mid.head.kernel.get_value().dtype) == "bfloat16"
    assert str(mid.blocks[0].kernel.get_value().dtype) == "float16"
    transfer(mid, back, src="flax_nnx", dst="torch")
    assert back.head.weight.dtype == torch.bfloat16
    assert torch.equal(back.head.weight, src.head.weight)
    assert torch.equal(back.blocks[0].weight, src.blocks[0].weight)


def test_shape_mismatch_writes_nothing() -> None:
    nnx = pytest.importorskip("flax.nnx")
    dst = BUILDERS["flax_nnx"]()
    dst.head = nnx.Linear(8, 5, rngs=nnx.Rngs(0))
    before = np.asarray(dst.embed.embedding.get_value()).copy()
    with pytest.raises(TransferError) as err:
        transfer(torch_model(), dst, src="torch", dst="flax_nnx")
    assert err.value.report.mismatched[0][0] == "head.kernel"
    np.testing.assert_array_equal(np.asarray(dst.embed.embedding.get_value()), before)


def test_missing_and_unexpected_named_and_partial_allowed() -> None:
    pytest.importorskip("flax.nnx")
    src = torch_model()
    src.extra = torch.nn.Linear(2, 2)
    dst = BUILDERS["flax_nnx"]()
    del dst.head
    with pytest.raises(TransferError) as err:
        transfer(src, dst, src="torch", dst="flax_nnx")
    rep = err.value.report
    assert sorted(rep.unexpected) == ["extra.bias", "extra.weight", "head.bias", "head.weight"]
    rep = transfer(src, dst, src="torch", dst="flax_nnx", allow_partial=True)
    assert rep.copied == 12 and not rep.ok


def test_gru_hidden_candidate_bias_refused_for_flax() -> None:
    nnx = pytest.importorskip("flax.nnx")
    src = torch.nn.GRU(3, 4, batch_first=True)  # random b_hn, which nnx.GRUCell lacks
    dst = nnx.RNN(nnx.GRUCell(3, 4, rngs=nnx.Rngs(0)))
    with pytest.raises(TransferError, match="b_hn"):
        transfer(src, dst, src="torch", dst="flax_nnx")


def test_layer_type_mismatch_is_a_problem() -> None:
    nnx = pytest.importorskip("flax.nnx")
    with pytest.raises(TransferError, match="source is Linear, destination is LayerNorm"):
        transfer(torch.nn.Linear(4, 4), nnx.LayerNorm(4, rngs=nnx.Rngs(0)), "torch", "flax_nnx")


@pytest.mark.parametrize("new_style", [False, True])
def test_weight_norm_folded(new_style: bool) -> None:
    nnx = pytest.importorskip("flax.nnx")
    from torch.nn.utils import parametrizations, weight_norm

    lin = torch.nn.Linear(5, 3)
    src = parametrizations.weight_norm(lin) if new_style else weight_norm(lin)
    with torch.no_grad():
        x = torch.randn(2, 5)
        want = src(x).numpy()
    dst = nnx.Linear(5, 3, rngs=nnx.Rngs(0))
    assert transfer(src, dst, src="torch", dst="flax_nnx").ok
    np.testing.assert_allclose(np.asarray(dst(x.numpy())), want, rtol=1e-5, atol=1e-5)


def test_jax_is_flax_nnx() -> None:
    nnx = pytest.importorskip("flax.nnx")
    dst = nnx.Linear(4, 2, rngs=nnx.Rngs(0))
    assert transfer(torch.nn.Linear(4, 2), dst, src="torch", dst="jax").copied == 2


def _heads_torch() -> object:
    class Heads(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.trunk = torch.nn.Linear(6, 8)
            self.heads = torch.nn.ModuleDict(
                {"cls": torch.nn.Linear(8, 3), "reg": torch.nn.Linear(8, 1)}
            )

    return Heads()


@pytest.mark.parametrize("fw", ["keras", "mlx"])
def test_layers_in_a_plain_dict_attribute(fw: str) -> None:
    """``self.heads = {"cls": ..., "reg": ...}`` in the target pairs with nn.ModuleDict."""
    pytest.importorskip(MODULES[fw])
    src = _heads_torch()
    x = np.random.default_rng(2).standard_normal((4, 8)).astype(np.float32)
    if fw == "keras":
        import keras

        class KHeads(keras.Model):
            def __init__(self) -> None:
                super().__init__()
                self.trunk = keras.layers.Dense(8)
                self.heads = {"cls": keras.layers.Dense(3), "reg": keras.layers.Dense(1)}

        dst = KHeads()
        dst.trunk(np.zeros((1, 6), np.float32))
        for layer in dst.heads.values():
            layer(np.zeros((1, 8), np.float32))
        got = lambda: keras.ops.convert_to_numpy(dst.heads["reg"](x))
    else:
        import mlx.core as mx
        from mlx import nn

        class MHeads(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.trunk = nn.Linear(6, 8)
                self.heads = {"cls": nn.Linear(8, 3), "reg": nn.Linear(8, 1)}

        dst = MHeads()
        got = lambda: np.array(dst.heads["reg"](mx.array(x)))
    report = transfer(src, dst, src="torch", dst=fw)
    assert report.ok and report.copied == 6, report.lines()
    with torch.no_grad():
        want = src.heads["reg"](torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got(), want, rtol=1e-5, atol=1e-5)
