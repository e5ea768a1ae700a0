"""torch_net.Net in Flax NNX, as the converter writes it (same attribute paths)."""

import jax.numpy as jnp
from flax import nnx


class Net(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.features = nnx.Sequential(
            nnx.Conv(3, 8, (3, 3), padding=1, rngs=rngs),
            nnx.BatchNorm(8, use_running_average=True, rngs=rngs),
            nnx.relu,
        )
        self.proj = nnx.Linear(8, 8, rngs=rngs)
        self.norm = nnx.LayerNorm(8, epsilon=1e-5, rngs=rngs)
        self.attn = nnx.MultiHeadAttention(num_heads=2, in_features=8, decode=False, rngs=rngs)
        self.lstm = nnx.RNN(nnx.LSTMCell(8, 8, rngs=rngs))
        self.head = nnx.Linear(8, 4, rngs=rngs)

    def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
        h = self.features(jnp.transpose(x, (0, 2, 3, 1)))  # NCHW in, like the torch model
        h = h.reshape(h.shape[0], -1, h.shape[-1])
        h = self.norm(self.proj(h))
        h = self.lstm(self.attn(h))
        return self.head(h.mean(1))
