"""A small image classifier in the Keras functional API, as a user writes one."""

import keras
from keras import layers


def small_cnn(input_shape=(16, 16, 3), classes=10):
    """Two conv blocks, global pooling and a classifier head."""
    img_input = layers.Input(shape=input_shape)
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same", name="block1_conv1")(img_input)
    x = layers.BatchNormalization(name="block1_bn")(x)
    x = layers.MaxPooling2D((2, 2), strides=(2, 2), name="block1_pool")(x)
    x = layers.Conv2D(16, (3, 3), padding="valid", name="block2_conv1")(x)
    x = layers.Activation("relu")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(img_input, x, name="small_cnn")
