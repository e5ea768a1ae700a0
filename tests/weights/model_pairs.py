"""Whole models written twice, torch and each target, with the same attribute paths.

The torch model: an Embedding, a Conv1d + BatchNorm1d stack in nn.Sequential, a
ModuleList of Linear + LayerNorm blocks, a raw nn.Parameter and a head. The targets use
their standard layers, as the converter writes them (Sequential children keep indices).
"""

from __future__ import annotations

from typing import Any

import numpy as np

VOCAB, DIM, SEQ = 11, 8, 6


def torch_model() -> Any:
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(VOCAB, DIM)
            self.conv = nn.Sequential(
                nn.Conv1d(DIM, DIM, 3, padding=1), nn.BatchNorm1d(DIM), nn.ReLU()
            )
            self.blocks = nn.ModuleList([nn.Linear(DIM, DIM), nn.LayerNorm(DIM)])
            self.scale = nn.Parameter(torch.linspace(0.5, 1.5, DIM))
            self.head = nn.Linear(DIM, 3)

        def forward(self, ids: Any) -> Any:
            x = self.embed(ids)  # [B, T, C]
            x = self.conv(x.transpose(1, 2)).transpose(1, 2)
            x = self.blocks[1](torch.relu(self.blocks[0](x)))
            return self.head(x * self.scale).mean(1)

    net = Net()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    net.train()
    net(torch.randint(0, VOCAB, (4, SEQ)))  # non-trivial running statistics
    return net.eval()


def flax_model() -> Any:
    import jax.numpy as jnp
    from flax import nnx

    class Net(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.embed = nnx.Embed(VOCAB, DIM, rngs=rngs)
            self.conv = nnx.Sequential(
                nnx.Conv(DIM, DIM, (3,), padding=1, rngs=rngs),
                nnx.BatchNorm(DIM, use_running_average=True, rngs=rngs),
                nnx.relu,
            )
            self.blocks = nnx.List([nnx.Linear(DIM, DIM, rngs=rngs), nnx.LayerNorm(DIM, rngs=rngs)])
            self.scale = nnx.Param(jnp.ones((DIM,)))
            self.head = nnx.Linear(DIM, 3, rngs=rngs)

        def __call__(self, ids: Any) -> Any:
            x = self.conv(self.embed(ids))
            x = self.blocks[1](nnx.relu(self.blocks[0](x)))
            return self.head(x * self.scale[...]).mean(1)

    return Net(nnx.Rngs(0))


def keras_model() -> Any:
    import keras

    class Net(keras.Model):
        def __init__(self) -> None:
            super().__init__()
            L = keras.layers
            self.embed = L.Embedding(VOCAB, DIM)
            self.conv = keras.Sequential(
                [L.Conv1D(DIM, 3, padding="same"), L.BatchNormalization(), L.ReLU()]
            )
            self.blocks = [L.Dense(DIM), L.LayerNormalization()]
            self.scale = self.add_weight(shape=(DIM,), initializer="ones", name="scale")
            self.head = L.Dense(3)

        def call(self, ids: Any, training: bool = False) -> Any:
            x = self.conv(self.embed(ids), training=training)
            x = self.blocks[1](keras.ops.relu(self.blocks[0](x)))
            return keras.ops.mean(self.head(x * self.scale), axis=1)

    net = Net()
    net(np.zeros((1, SEQ), np.int32))
    return net


def mlx_model() -> Any:
    import mlx.core as mx
    from mlx import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(VOCAB, DIM)
            self.conv = nn.Sequential(
                nn.Conv1d(DIM, DIM, 3, padding=1), nn.BatchNorm(DIM), nn.ReLU()
            )
            self.blocks = [nn.Linear(DIM, DIM), nn.LayerNorm(DIM)]
            self.scale = mx.ones((DIM,))
            self.head = nn.Linear(DIM, 3)

        def __call__(self, ids: Any) -> Any:
            x = self.conv(self.embed(ids))
            x = self.blocks[1](nn.relu(self.blocks[0](x)))
            return self.head(x * self.scale).mean(1)

    net = Net()
    net.eval()
    return net


def run(fw: str, model: Any, ids: np.ndarray) -> np.ndarray:
    """The model's output on integer ids, as NumPy."""
    if fw == "torch":
        import torch

        with torch.no_grad():
            return model(torch.from_numpy(ids).long()).numpy()
    if fw == "flax_nnx":
        import jax.numpy as jnp

        return np.asarray(model(jnp.asarray(ids)))
    if fw == "keras":
        import keras

        return keras.ops.convert_to_numpy(model(ids, training=False))
    import mlx.core as mx

    return np.array(model(mx.array(ids)))


BUILDERS = {"flax_nnx": flax_model, "keras": keras_model, "mlx": mlx_model}
