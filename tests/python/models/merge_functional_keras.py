"""Keras weightless layers that are one function of their inputs: ReLU(6.0), Add, Multiply
and global pooling without kept axes."""

import keras
from keras import layers


def residual_net(input_shape=(6, 6, 4), pooling="avg"):
    inputs = layers.Input(shape=input_shape)
    x = layers.Conv2D(4, 3, padding="same", name="conv0")(inputs)
    x = layers.ReLU(6.0, name="conv0_relu")(x)
    y = layers.Conv2D(4, 1, name="conv1")(x)
    z = layers.Conv2D(4, 1, name="conv2")(x)
    x = layers.Add(name="add")([x, y, z])
    x = layers.Multiply()([x, y])
    if pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    return keras.Model(inputs, x)
