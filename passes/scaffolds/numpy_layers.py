"""Layers of NumPy output: the classes a converted model builds, in PyTorch's layouts.

A model converted to NumPy defines the classes it uses (``passes/layer_scaffold.py``
copies each, with the base it derives from, before the model's first class). The
parameters are float32 arrays in PyTorch's layouts (Linear weight (out, in), convolution
weight (out, in / groups, *kernel)), so weights load by name. The layers compute what
PyTorch's compute in eval mode: Dropout is the identity, BatchNorm uses its running
statistics. Containers are plain lists (``Sequential`` is a callable one).
"""

import math

import numpy as np


class _ConvNd:
    """Cross-correlation over (N, C, *spatial), weight (out, in / groups, *kernel)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, rank):
        def per_dim(v):
            return tuple(v) if isinstance(v, (tuple, list)) else (v,) * rank

        kernel = per_dim(kernel_size)
        self.stride, self.dilation, self.groups = per_dim(stride), per_dim(dilation), groups
        if padding == "valid":
            self.padding = ((0, 0),) * rank
        elif padding == "same":
            # PyTorch puts the odd element of the padding after the input.
            total = [d * (k - 1) for d, k in zip(self.dilation, kernel)]
            self.padding = tuple((t // 2, t - t // 2) for t in total)
        else:
            self.padding = tuple((p, p) for p in per_dim(padding))
        self.weight = np.zeros((out_channels, in_channels // groups, *kernel), np.float32)
        self.bias = np.zeros(out_channels, np.float32) if bias else None

    def __call__(self, x):
        n, c = x.shape[:2]
        rank = x.ndim - 2
        kernel = self.weight.shape[2:]
        x = np.pad(x, ((0, 0), (0, 0), *self.padding))
        span = tuple(d * (k - 1) + 1 for d, k in zip(self.dilation, kernel))
        windows = np.lib.stride_tricks.sliding_window_view(x, span, axis=tuple(range(2, 2 + rank)))
        # (n, c, *out, *kernel): every stride-th window, every dilation-th tap of it.
        windows = windows[(slice(None), slice(None), *(slice(None, None, s) for s in self.stride),
                           *(slice(None, None, d) for d in self.dilation))]
        out = windows.shape[2:2 + rank]
        g = self.groups
        windows = windows.reshape(n, g, c // g, math.prod(out), math.prod(kernel))
        weight = self.weight.reshape(g, -1, c // g, math.prod(kernel))
        y = np.einsum("ngcpk,gock->ngop", windows, weight).reshape(n, -1, *out)
        if self.bias is not None:
            y = y + self.bias.reshape(-1, *(1,) * rank)
        return y


class Conv1d(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, 1)


class Conv2d(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, 2)


class _ConvTransposeNd:
    """The gradient of a convolution: weight (in, out / groups, *kernel) as PyTorch keeps it."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                 dilation, rank):
        def per_dim(v):
            return tuple(v) if isinstance(v, (tuple, list)) else (v,) * rank

        kernel = per_dim(kernel_size)
        self.stride, self.padding, self.dilation = per_dim(stride), per_dim(padding), per_dim(dilation)
        self.output_padding, self.groups = per_dim(output_padding), groups
        self.weight = np.zeros((in_channels, out_channels // groups, *kernel), np.float32)
        self.bias = np.zeros(out_channels, np.float32) if bias else None

    def __call__(self, x):
        n, c, *size = x.shape
        rank = len(size)
        kernel = self.weight.shape[2:]
        # Spread the input by the stride, pad by the kernel's reach less the padding, and
        # correlate with the flipped kernel, its in and out axes swapped.
        spread = np.zeros((n, c, *((s - 1) * st + 1 for s, st in zip(size, self.stride))), x.dtype)
        spread[(slice(None), slice(None), *(slice(None, None, st) for st in self.stride))] = x
        reach = [d * (k - 1) - p for d, k, p in zip(self.dilation, kernel, self.padding)]
        sides = [(r, r + op) for r, op in zip(reach, self.output_padding)]
        spread = np.pad(spread, ((0, 0), (0, 0), *((max(lo, 0), max(hi, 0)) for lo, hi in sides)))
        # A padding beyond the kernel's reach crops instead (torch's output is shorter).
        spread = spread[(slice(None), slice(None), *(slice(max(-lo, 0), spread.shape[2 + i] - max(-hi, 0))
                                                    for i, (lo, hi) in enumerate(sides)))]
        g = self.groups
        weight = self.weight.reshape(g, c // g, -1, *kernel)
        weight = np.flip(weight, axis=tuple(range(3, 3 + rank))).swapaxes(1, 2).reshape(-1, c // g, *kernel)
        span = tuple(d * (k - 1) + 1 for d, k in zip(self.dilation, kernel))
        windows = np.lib.stride_tricks.sliding_window_view(spread, span, axis=tuple(range(2, 2 + rank)))
        windows = windows[(slice(None),) * (2 + rank) + tuple(slice(None, None, d) for d in self.dilation)]
        out = windows.shape[2:2 + rank]
        windows = windows.reshape(n, g, c // g, math.prod(out), math.prod(kernel))
        weight = weight.reshape(g, -1, c // g, math.prod(kernel))
        y = np.einsum("ngcpk,gock->ngop", windows, weight).reshape(n, -1, *out)
        if self.bias is not None:
            y = y + self.bias.reshape(-1, *(1,) * rank)
        return y


class ConvTranspose1d(_ConvTransposeNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                         dilation, 1)


class ConvTranspose2d(_ConvTransposeNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                         dilation, 2)


class Linear:
    """y = x @ weight.T + bias, weight (out_features, in_features)."""

    def __init__(self, in_features, out_features, bias=True):
        self.weight = np.zeros((out_features, in_features), np.float32)
        self.bias = np.zeros(out_features, np.float32) if bias else None

    def __call__(self, x):
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias


class _BatchNorm:
    """Normalises each channel (axis 1) by its running statistics (eval mode)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True):
        self.eps, self.momentum = eps, momentum  # momentum only updates statistics in training
        self.weight = np.ones(num_features, np.float32) if affine else None
        self.bias = np.zeros(num_features, np.float32) if affine else None
        self.running_mean = np.zeros(num_features, np.float32)
        self.running_var = np.ones(num_features, np.float32)

    def __call__(self, x):
        shape = (-1, *(1,) * (x.ndim - 2))
        y = (x - self.running_mean.reshape(shape)) / np.sqrt(self.running_var.reshape(shape) + self.eps)
        if self.weight is not None:
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        return y


class BatchNorm1d(_BatchNorm):
    pass


class BatchNorm2d(_BatchNorm):
    pass


class LayerNorm:
    """Normalises over the trailing ``normalized_shape`` axes."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        shape = tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
        self.axes = tuple(range(-len(shape), 0))
        self.eps = eps
        self.weight = np.ones(shape, np.float32) if elementwise_affine else None
        self.bias = np.zeros(shape, np.float32) if elementwise_affine and bias else None

    def __call__(self, x):
        mean = x.mean(axis=self.axes, keepdims=True)
        var = x.var(axis=self.axes, keepdims=True)
        y = (x - mean) / np.sqrt(var + self.eps)
        if self.weight is not None:
            y = y * self.weight
        return y if self.bias is None else y + self.bias


class GroupNorm:
    """Normalises groups of channels (axis 1) over the group and the spatial axes."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True):
        self.num_groups, self.eps = num_groups, eps
        self.weight = np.ones(num_channels, np.float32) if affine else None
        self.bias = np.zeros(num_channels, np.float32) if affine else None

    def __call__(self, x):
        groups = x.reshape(x.shape[0], self.num_groups, -1)
        mean = groups.mean(axis=-1, keepdims=True)
        var = groups.var(axis=-1, keepdims=True)
        y = ((groups - mean) / np.sqrt(var + self.eps)).reshape(x.shape)
        if self.weight is not None:
            shape = (-1, *(1,) * (x.ndim - 2))
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        return y


class Embedding:
    """Rows of ``weight`` (num_embeddings, embedding_dim) looked up by index."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None):
        self.weight = np.zeros((num_embeddings, embedding_dim), np.float32)

    def __call__(self, ids):
        return self.weight[ids]


class Dropout:
    """The identity: dropout is only active in training."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, x):
        return x


class _PoolNd:
    """A reduction over each window of the spatial axes (N, C, *spatial)."""

    def __init__(self, kernel_size, stride, padding, rank, fill):
        def per_dim(v):
            return tuple(v) if isinstance(v, (tuple, list)) else (v,) * rank

        self.kernel = per_dim(kernel_size)
        self.stride = per_dim(stride if stride is not None else kernel_size)
        self.padding = per_dim(padding)
        self.fill = fill

    def windows(self, x):
        rank = len(self.kernel)
        pads = ((0, 0), (0, 0), *((p, p) for p in self.padding))
        x = np.pad(x, pads, constant_values=self.fill)
        windows = np.lib.stride_tricks.sliding_window_view(x, self.kernel, axis=tuple(range(2, 2 + rank)))
        windows = windows[(slice(None), slice(None), *(slice(None, None, s) for s in self.stride))]
        return windows, tuple(range(-rank, 0))


class MaxPool1d(_PoolNd):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__(kernel_size, stride, padding, 1, -np.inf)

    def __call__(self, x):
        windows, axes = self.windows(x)
        return windows.max(axis=axes)


class MaxPool2d(_PoolNd):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__(kernel_size, stride, padding, 2, -np.inf)

    def __call__(self, x):
        windows, axes = self.windows(x)
        return windows.max(axis=axes)


class AvgPool1d(_PoolNd):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__(kernel_size, stride, padding, 1, 0.0)

    def __call__(self, x):
        windows, axes = self.windows(x)
        return windows.mean(axis=axes)


class AvgPool2d(_PoolNd):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__(kernel_size, stride, padding, 2, 0.0)

    def __call__(self, x):
        windows, axes = self.windows(x)
        return windows.mean(axis=axes)


class AdaptiveAvgPool2d:
    """The mean over bins [floor(i * size / out), ceil((i + 1) * size / out)) of H and W."""

    def __init__(self, output_size):
        self.output_size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2

    def __call__(self, x):
        (h, w), (oh, ow) = x.shape[-2:], self.output_size
        oh, ow = oh or h, ow or w  # None keeps the input's size
        rows = [x[..., i * h // oh:-(-(i + 1) * h // oh), :].mean(axis=-2, keepdims=True) for i in range(oh)]
        x = np.concatenate(rows, axis=-2)
        cols = [x[..., j * w // ow:-(-(j + 1) * w // ow)].mean(axis=-1, keepdims=True) for j in range(ow)]
        return np.concatenate(cols, axis=-1)


class Flatten:
    """Merges the axes ``start_dim`` to ``end_dim`` into one."""

    def __init__(self, start_dim=1, end_dim=-1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def __call__(self, x):
        start, end = self.start_dim % x.ndim, self.end_dim % x.ndim
        return x.reshape(*x.shape[:start], -1, *x.shape[end + 1:])


class Sequential(list):
    """Layers applied in turn."""

    def __init__(self, *layers):
        super().__init__(layers)

    def __call__(self, x):
        for layer in self:
            x = layer(x)
        return x


class Identity:
    def __call__(self, x):
        return x


class ReLU:
    def __call__(self, x):
        return np.maximum(x, 0)


class ReLU6:
    def __call__(self, x):
        return np.clip(x, 0, 6)


class Sigmoid:
    def __call__(self, x):
        return 1 / (1 + np.exp(-x))


class Tanh:
    def __call__(self, x):
        return np.tanh(x)


class SiLU:
    def __call__(self, x):
        return x / (1 + np.exp(-x))


class GELU:
    """x * Phi(x); ``approximate='tanh'`` uses the tanh approximation."""

    def __init__(self, approximate="none"):
        self.approximate = approximate

    def __call__(self, x):
        if self.approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
            return 0.5 * x * (1 + np.tanh(inner))
        erf = np.vectorize(math.erf, otypes=[np.float64])
        return (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(x.dtype)


class Softmax:
    def __init__(self, dim=None):
        self.dim = dim

    def __call__(self, x):
        e = np.exp(x - x.max(axis=self.dim, keepdims=True))
        return e / e.sum(axis=self.dim, keepdims=True)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def silu(x):
    return x / (1 + np.exp(-x))


def gelu(x, approximate="none"):
    """x * Phi(x); ``approximate='tanh'`` uses the tanh approximation."""
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(x.dtype)


def _check_pool_padding(kernel_size, padding):
    """torch refuses a pooling pad over half the window; so do these."""
    if np.any(2 * np.asarray(padding) > np.asarray(kernel_size)):
        raise ValueError("padding should be at most half of kernel size")


def max_pool1d(input, kernel_size, stride=None, padding=0):
    _check_pool_padding(kernel_size, padding)
    return MaxPool1d(kernel_size, stride, padding)(input)


def max_pool2d(input, kernel_size, stride=None, padding=0):
    _check_pool_padding(kernel_size, padding)
    return MaxPool2d(kernel_size, stride, padding)(input)


def avg_pool1d(input, kernel_size, stride=None, padding=0):
    _check_pool_padding(kernel_size, padding)
    return AvgPool1d(kernel_size, stride, padding)(input)


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    _check_pool_padding(kernel_size, padding)
    return AvgPool2d(kernel_size, stride, padding)(input)
