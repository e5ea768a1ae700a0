"""Hand-written equivalent layers: a PyTorch layer and the same layer in each target.

Each case builds the torch layer, an input (channels-first), and per framework a
function returning (layer, run) (hyper-parameters such as epsilon set as torch's, since
a checkpoint does not carry them) where ``run(x_channels_first) -> np.ndarray`` gives the
output back in torch's layout. Frameworks are imported inside the builders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


def _cl(x: np.ndarray) -> np.ndarray:
    """Channels-first -> channels-last."""
    return np.moveaxis(x, 1, -1)


def _cf(y: Any) -> np.ndarray:
    return np.moveaxis(np.asarray(y), -1, 1)


@dataclass
class Case:
    torch_layer: Callable[[], Any]
    torch_run: Callable[[Any, np.ndarray], np.ndarray]
    shape: tuple[int, ...]
    targets: dict[str, Callable[[], tuple[Any, Callable[[np.ndarray], np.ndarray]]]]


def _t(mod: Any, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        out = mod(torch.from_numpy(x))
    return (out[0] if isinstance(out, tuple) else out).numpy()


def _nnx(make: Callable[[Any], Any], cl: bool = False):
    def build():
        import jax.numpy as jnp
        from flax import nnx

        m = make(nnx)
        if cl:
            return m, lambda x: _cf(m(jnp.asarray(_cl(x))))
        return m, lambda x: np.asarray(m(jnp.asarray(x)))

    return build


def _keras(make: Callable[[Any], Any], cl: bool = False, sample: tuple[int, ...] = ()):
    def build():
        import keras

        m = make(keras.layers)
        if cl:
            m(np.zeros(_cl(np.zeros(sample)).shape, np.float32))
            return m, lambda x: _cf(keras.ops.convert_to_numpy(m(_cl(x), training=False)))
        m(np.zeros(sample, np.float32))
        return m, lambda x: np.asarray(keras.ops.convert_to_numpy(m(x, training=False)))

    return build


def _mlx(make: Callable[[Any], Any], cl: bool = False):
    def build():
        import mlx.core as mx
        from mlx import nn

        m = make(nn)
        m.eval()

        def run(x: np.ndarray) -> np.ndarray:
            out = m(mx.array(_cl(x) if cl else x))
            out = np.array(out[0] if isinstance(out, tuple) else out)
            return _cf(out) if cl else out

        return m, run

    return build


def _conv(dims: int) -> Case:
    import torch

    shape = (2, 4) + (6,) * dims
    k = (3,) * dims
    return Case(
        lambda: getattr(torch.nn, f"Conv{dims}d")(4, 6, 3, padding=1),
        _t,
        shape,
        {
            "flax_nnx": _nnx(lambda nnx: nnx.Conv(4, 6, k, padding=1, rngs=nnx.Rngs(0)), cl=True),
            "keras": _keras(
                lambda L: getattr(L, f"Conv{dims}D")(6, 3, padding="same"), True, shape
            ),
            "mlx": _mlx(lambda nn: getattr(nn, f"Conv{dims}d")(4, 6, 3, padding=1), cl=True),
        },
    )


def _conv_t(dims: int) -> Case:
    import torch

    shape = (2, 4) + (5,) * dims
    k = (3,) * dims
    return Case(
        lambda: getattr(torch.nn, f"ConvTranspose{dims}d")(4, 6, 3, stride=2),
        _t,
        shape,
        {
            "flax_nnx": _nnx(
                lambda nnx: nnx.ConvTranspose(
                    4, 6, k, strides=2, padding="VALID", rngs=nnx.Rngs(0)
                ),
                cl=True,
            ),
            "keras": _keras(
                lambda L: getattr(L, f"Conv{dims}DTranspose")(6, 3, strides=2), True, shape
            ),
            "mlx": _mlx(lambda nn: getattr(nn, f"ConvTranspose{dims}d")(4, 6, 3, stride=2), True),
        },
    )


def cases() -> dict[str, Case]:
    """Every layer case, by name."""
    import torch

    tn = torch.nn
    gn_shape = (3, 8, 5)
    out = {
        "linear": Case(
            lambda: tn.Linear(5, 7),
            _t,
            (3, 5),
            {
                "flax_nnx": _nnx(lambda nnx: nnx.Linear(5, 7, rngs=nnx.Rngs(0))),
                "keras": _keras(lambda L: L.Dense(7), sample=(3, 5)),
                "mlx": _mlx(lambda nn: nn.Linear(5, 7)),
            },
        ),
        "conv1d": _conv(1),
        "conv2d": _conv(2),
        "conv3d": _conv(3),
        "conv_transpose1d": _conv_t(1),
        "conv_transpose2d": _conv_t(2),
        "grouped_conv2d": Case(
            lambda: tn.Conv2d(4, 8, 3, groups=2),
            _t,
            (2, 4, 6, 6),
            {
                "flax_nnx": _nnx(
                    lambda nnx: nnx.Conv(
                        4, 8, (3, 3), feature_group_count=2, padding="VALID", rngs=nnx.Rngs(0)
                    ),
                    cl=True,
                ),
                "keras": _keras(lambda L: L.Conv2D(8, 3, groups=2), True, (2, 4, 6, 6)),
                "mlx": _mlx(lambda nn: nn.Conv2d(4, 8, 3, groups=2), cl=True),
            },
        ),
        "depthwise_conv2d": Case(
            lambda: tn.Conv2d(4, 8, 3, groups=4),
            _t,
            (2, 4, 6, 6),
            {
                "flax_nnx": _nnx(
                    lambda nnx: nnx.Conv(
                        4, 8, (3, 3), feature_group_count=4, padding="VALID", rngs=nnx.Rngs(0)
                    ),
                    cl=True,
                ),
                "keras": _keras(
                    lambda L: L.DepthwiseConv2D(3, depth_multiplier=2), True, (2, 4, 6, 6)
                ),
            },
        ),
        "batchnorm2d": Case(
            lambda: _trained_bn(tn.BatchNorm2d(6)),
            _t,
            (4, 6, 3, 3),
            {
                "flax_nnx": _nnx(
                    lambda nnx: nnx.BatchNorm(6, use_running_average=True, rngs=nnx.Rngs(0)), True
                ),
                "keras": _keras(lambda L: L.BatchNormalization(epsilon=1e-5), True, (4, 6, 3, 3)),
                "mlx": _mlx(lambda nn: nn.BatchNorm(6), cl=True),
            },
        ),
        "layernorm": Case(
            lambda: _randomise(tn.LayerNorm(6)),
            _t,
            (3, 6),
            {
                "flax_nnx": _nnx(lambda nnx: nnx.LayerNorm(6, epsilon=1e-5, rngs=nnx.Rngs(0))),
                "keras": _keras(lambda L: L.LayerNormalization(epsilon=1e-5), sample=(3, 6)),
                "mlx": _mlx(lambda nn: nn.LayerNorm(6)),
            },
        ),
        "groupnorm": Case(
            lambda: _randomise(tn.GroupNorm(2, 8)),
            _t,
            gn_shape,
            {
                "flax_nnx": _nnx(
                    lambda nnx: nnx.GroupNorm(8, num_groups=2, epsilon=1e-5, rngs=nnx.Rngs(0)), True
                ),
                "keras": _keras(lambda L: L.GroupNormalization(2, epsilon=1e-5), True, gn_shape),
                "mlx": _mlx(lambda nn: nn.GroupNorm(2, 8, pytorch_compatible=True), cl=True),
            },
        ),
    }
    out.update(sequence_cases())
    return out


def _randomise(mod: Any) -> Any:
    import torch

    with torch.no_grad():
        for p in mod.parameters():
            p.uniform_(-1, 1)
    return mod


def _trained_bn(bn: Any) -> Any:
    import torch

    _randomise(bn)
    bn.train()
    bn(torch.randn(8, bn.num_features, 3, 3) * 3 + 1)
    return bn.eval()


def sequence_cases() -> dict[str, Case]:
    """Embedding, recurrent and attention layers."""
    from tests.weights.seq_pairs import seq_cases
    from tests.weights.stack_pairs import stack_cases

    return {**seq_cases(), **stack_cases()}
