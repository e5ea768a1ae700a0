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


class PReLU(keras.layers.Layer):
    """PyTorch's PReLU: x where x >= 0, else weight * x, with one slope shared by every
    entry (``num_parameters=1``) or one per channel on axis 1, each starting at ``init``.
    (``keras.layers.PReLU`` learns a slope per input entry, starting at 0.)"""

    def __init__(self, num_parameters=1, init=0.25, **kwargs):
        super().__init__(**kwargs)
        self.num_parameters, self.init = num_parameters, init

    def build(self, input_shape):
        self.weight = self.add_weight(shape=(self.num_parameters,), name="weight",
                                      initializer=keras.initializers.Constant(self.init))

    def call(self, inputs):
        slope = ops.reshape(self.weight, (-1,) + (1,) * (len(inputs.shape) - 2))  # [C, 1, ...]
        return ops.where(inputs >= 0, inputs, slope * inputs)
