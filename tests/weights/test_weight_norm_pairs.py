"""Weight normalisation between frameworks: a weight-normalised layer on both sides moves
its own g and v (bit for bit there and back), any other pairing folds or splits the weight."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from switcheroo.backends.weights.ops import evaluate
from switcheroo.weights import transfer
from torch.nn.utils import parametrizations, weight_norm


def _torch_weight_norm(new_style: bool, dim: int = 0) -> torch.nn.Module:
    torch.manual_seed(3)
    lin = torch.nn.Linear(5, 4)
    layer = parametrizations.weight_norm(lin, dim=dim) if new_style else weight_norm(lin, dim=dim)
    with torch.no_grad():
        for p in layer.parameters():  # g no longer ||v||: w = g * v / ||v|| differs from v
            p.mul_(torch.rand_like(p) + 0.5)
    return layer


def _keras_weight_norm() -> object:
    keras = pytest.importorskip("keras")
    from switcheroo.passes.scaffolds.keras_layers import WeightNorm

    layer = WeightNorm(keras.layers.Dense(4))
    layer.build((None, 5))
    return layer


def _mlx_weight_norm() -> object:
    nn = pytest.importorskip("mlx.nn")
    from switcheroo.passes.scaffolds.mlx_layers import WeightNorm

    return WeightNorm(nn.Linear(5, 4))


def _flax_weight_norm() -> object:
    nnx = pytest.importorskip("flax.nnx")
    return nnx.WeightNorm(nnx.Linear(5, 4, rngs=nnx.Rngs(0)), rngs=nnx.Rngs(0))


WRAPPED = {"keras": _keras_weight_norm, "mlx": _mlx_weight_norm, "flax_nnx": _flax_weight_norm}
X = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)


def _run(fw: str, layer: object) -> np.ndarray:
    if fw == "mlx":
        import mlx.core as mx

        return np.array(layer(mx.array(X)))
    return np.asarray(layer(X))


@pytest.mark.parametrize("fw", sorted(WRAPPED))
@pytest.mark.parametrize("new_style", [False, True])
def test_round_trip_keeps_g_and_v(fw: str, new_style: bool) -> None:
    src = _torch_weight_norm(new_style)
    mid = WRAPPED[fw]()
    assert transfer(src, mid, src="torch", dst=fw).ok
    back = _torch_weight_norm(new_style)
    with torch.no_grad():
        for p in back.parameters():
            p.zero_()
    # Before mid runs: a call of flax's WeightNorm writes g * v / ||v|| over its v.
    assert transfer(mid, back, src=fw, dst="torch").ok
    for (name, a), (_, b) in zip(src.state_dict().items(), back.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    with torch.no_grad():
        want = src(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(_run(fw, mid), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("new_style", [False, True])
def test_g_over_inputs_is_folded(new_style: bool) -> None:
    """weight_norm(dim=1) keeps one g per input: Keras' g is per output, so the weight is
    folded and split again instead of g being copied."""
    src = _torch_weight_norm(new_style, dim=1)
    dst = _keras_weight_norm()
    assert transfer(src, dst, src="torch", dst="keras").ok
    with torch.no_grad():
        want = src(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(_run("keras", dst), want, rtol=1e-5, atol=1e-5)


def test_weight_norm_node_counts_dim_from_the_end() -> None:
    rng = np.random.default_rng(4)
    v, g = rng.standard_normal((5, 4)).astype(np.float32), rng.random(4).astype(np.float32) + 0.5
    got = evaluate(["weight_norm", -1, ["load", "g"], ["load", "v"]], {"g": g, "v": v}.__getitem__)
    want = v * (g / np.linalg.norm(v, axis=0))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
