"""A Keras functional model built by helpers, as Keras applications are written: blocks
named by f-strings and called in a loop, a block reading its input's channel count, a
depthwise convolution, input-dependent padding and a strided "same" convolution."""

import keras
from keras import backend, layers
from keras.src.applications import imagenet_utils


def conv_block(x, filters, stride=1, name=None):
    """Convolution, batch norm, ReLU."""
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def depthwise_block(inputs, expansion, stride, name):
    channel_axis = 1 if backend.image_data_format() == "channels_first" else -1
    in_channels = inputs.shape[channel_axis]
    x = layers.Conv2D(expansion * in_channels, 1, use_bias=False, name=f"{name}_expand")(inputs)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{name}_pad")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same" if stride == 1 else "valid",
                               use_bias=False, name=f"{name}_depthwise")(x)
    x = layers.ReLU(6.0, name=f"{name}_relu")(x)
    x = layers.Conv2D(in_channels, 1, use_bias=False, name=f"{name}_project")(x)
    if stride == 1:
        return layers.Add(name=f"{name}_add")([inputs, x])
    return x


def blocks_net(input_shape=(9, 9, 3), repeats=2):
    inputs = layers.Input(shape=input_shape)
    x = conv_block(inputs, 8, stride=2, name="stem")
    for i in range(1, repeats + 1):
        x = conv_block(x, 8, name=f"stage_block{i}")
    x = layers.Conv2D(6, 1, name="mix")(x)
    x = depthwise_block(x, 2, 1, name="dw1")
    x = depthwise_block(x, 2, 2, name="dw2")
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, x)
