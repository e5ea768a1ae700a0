"""Layers of MLX output that MLX has no class for, in MLX's layouts.

A model converted to MLX defines the classes it uses (``passes/layer_scaffold.py``
copies each into the output module, plugin ``mlx_scaffold``).
"""

import mlx.core as mx
from mlx import nn


class WeightNorm(nn.Module):
    """Calls ``module`` with its weight rebuilt as g * v / ||v||, the norm over every axis
    but the first (the output axis of an MLX Linear or convolution weight), as PyTorch's
    ``weight_norm``: g is ``weight_g``, v ``weight_v``; the wrapped weight is derived."""

    def __init__(self, module):
        super().__init__()
        self.module = module
        self.weight_v = module.weight
        self.weight_g = self._norm(module.weight)  # w = v until g is trained

    def _norm(self, v):
        return mx.sqrt(mx.sum(v * v, axis=tuple(range(1, v.ndim)), keepdims=True))

    def __call__(self, *args, **kwargs):
        self.module.weight = self.weight_g * self.weight_v / self._norm(self.weight_v)
        return self.module(*args, **kwargs)


class Bidirectional(nn.Module):
    """Runs ``forward`` over the sequence and ``backward`` over it reversed (time is the
    second-last axis, batch-first) and joins their outputs, the backward one back in time
    order, as a PyTorch bidirectional layer does; an LSTM's cell states are left out."""

    def __init__(self, forward, backward):
        super().__init__()
        self.forward = forward
        self.backward = backward

    def __call__(self, x):
        ahead = self.forward(x)
        behind = self.backward(x[..., ::-1, :])
        if isinstance(ahead, tuple):  # nn.LSTM: (hidden, cell) of every step
            ahead, behind = ahead[0], behind[0]
        return mx.concatenate([ahead, behind[..., ::-1, :]], axis=-1)
