"""Keras ZeroPadding2D in its three spellings of padding, before a convolution."""

import keras
from keras import layers


def pad_net(input_shape=(5, 6, 3)):
    inputs = layers.Input(shape=input_shape)
    x = layers.ZeroPadding2D(padding=((3, 1), (0, 2)), name="pad0")(inputs)
    x = layers.ZeroPadding2D(1, name="pad1")(x)
    x = layers.Conv2D(4, 3, name="conv")(x)
    return keras.Model(inputs, x)
