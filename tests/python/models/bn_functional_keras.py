"""Keras batch normalization in both spellings: on the model input (whose rank the
converter cannot see) and with the channel axis spelled as keras.applications does."""

import keras
from keras import layers


def bn_net(input_shape=(6, 6, 4)):
    inputs = layers.Input(shape=input_shape)
    x = layers.BatchNormalization(name="bn0")(inputs)
    x = layers.Conv2D(5, 3, padding="same", name="conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=1.001e-5, name="bn1")(x)
    return keras.Model(inputs, x)
