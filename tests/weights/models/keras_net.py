"""torch_net.Net in Keras 3 (same attribute paths); built by the factory."""

import keras
import numpy as np
from keras import layers as L


class Net(keras.Model):
    def __init__(self) -> None:
        super().__init__()
        self.features = keras.Sequential(
            [L.Conv2D(8, 3, padding="same"), L.BatchNormalization(epsilon=1e-5), L.ReLU()]
        )
        self.proj = L.Dense(8)
        self.norm = L.LayerNormalization(epsilon=1e-5)
        self.attn = L.MultiHeadAttention(num_heads=2, key_dim=4)
        self.lstm = L.LSTM(8, return_sequences=True)
        self.head = L.Dense(4)

    def call(self, x, training=False):
        h = self.features(keras.ops.transpose(x, (0, 2, 3, 1)), training=training)
        h = keras.ops.reshape(h, (keras.ops.shape(h)[0], -1, 8))
        h = self.norm(self.proj(h))
        h = self.lstm(self.attn(h, h, h))
        return self.head(keras.ops.mean(h, axis=1))


def build() -> Net:
    net = Net()
    net(np.zeros((1, 3, 4, 4), np.float32))
    return net
