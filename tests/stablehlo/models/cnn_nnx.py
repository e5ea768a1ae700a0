import jax
import jax.numpy as jnp
from flax import nnx


class CNN(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.conv = nnx.Conv(3, 8, kernel_size=(3, 3), padding="SAME", rngs=rngs)
        self.fc = nnx.Linear(16 * 16 * 8, 10, rngs=rngs)

    def __call__(self, x):
        h = jax.nn.relu(self.conv(x))
        return self.fc(jnp.reshape(h, (h.shape[0], -1)))
