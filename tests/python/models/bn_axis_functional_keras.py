"""A BatchNormalization axis picked by backend.image_data_format()."""

from keras import backend
from keras import layers
import keras


def bn_axis_net(input_shape=(6, 6, 4)):
    inputs = layers.Input(shape=input_shape)
    if backend.image_data_format() == "channels_last":
        bn_axis = 3
    else:
        bn_axis = 1
    x = layers.Conv2D(4, 3, name="conv")(inputs)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name="bn")(x)
    return keras.Model(inputs, x)
