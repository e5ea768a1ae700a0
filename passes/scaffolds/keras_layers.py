"""Layers of Keras output that Keras has no class for, in Keras's layouts.

A model converted to Keras (or TensorFlow) defines the classes it uses
(``passes/layer_scaffold.py`` copies each into the output module, plugin
``keras_scaffold``).
"""

import keras
from keras import ops


class WeightNorm(keras.layers.Layer):
    """Calls ``layer`` with its kernel reparametrized as g * v / ||v||, the norm over every
    axis but the last (the output axis of a Dense or convolution kernel), as PyTorch's
    ``weight_norm``: v is the wrapped layer's own kernel, g a weight of this layer."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape):
        self.layer.build(input_shape)
        kernel = self.layer.kernel
        self.g = self.add_weight(shape=(kernel.shape[-1],), initializer="ones", name="g")
        self.g.assign(self._norm(kernel))  # w = v until g is trained

    def _norm(self, v):
        return ops.sqrt(ops.sum(ops.square(v), axis=tuple(range(len(v.shape) - 1))))

    def call(self, inputs):
        v = self.layer.kernel
        kernel = v * (self.g / self._norm(v))
        weights = [kernel if w is v else w for w in self.layer.trainable_variables]
        outputs, _ = self.layer.stateless_call(weights, self.layer.non_trainable_variables, inputs)
        return outputs
