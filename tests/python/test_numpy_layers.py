"""The classes NumPy output defines (``passes/scaffolds/numpy_layers.py``) compute what
PyTorch's layers compute in eval mode, on the same weights."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from switcheroo.passes.scaffolds import numpy_layers, numpy_sequence


class L:
    """The classes of both NumPy scaffold files, as one namespace like ``torch.nn``."""


for _m in (numpy_layers, numpy_sequence):
    for _k, _v in vars(_m).items():
        if not _k.startswith("__"):
            setattr(L, _k, _v)

CASES = {
    "linear": (lambda m: m.Linear(6, 4), {}, (5, 6)),
    "conv2d": (lambda m: m.Conv2d(4, 6, 3), {}, (2, 4, 9, 8)),
    "conv2d_strided": (lambda m: m.Conv2d(4, 6, 3, stride=2, padding=1), {}, (2, 4, 9, 8)),
    "conv2d_same_dilated": (lambda m: m.Conv2d(4, 6, 3, padding="same", dilation=2), {}, (2, 4, 9, 8)),
    "conv2d_groups": (lambda m: m.Conv2d(4, 6, 3, stride=(2, 1), padding=(1, 2), groups=2), {}, (2, 4, 9, 8)),
    "conv1d": (lambda m: m.Conv1d(3, 5, 3, stride=2, padding=1), {}, (2, 3, 11)),
    "conv_transpose2d": (lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1), {},
                         (2, 4, 5, 5)),
    "conv_transpose2d_groups": (lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, groups=2, dilation=2), {},
                                (2, 4, 5, 5)),
    "batchnorm2d": (lambda m: m.BatchNorm2d(4), {"stats": True}, (2, 4, 5, 5)),
    "layernorm": (lambda m: m.LayerNorm(6), {}, (5, 3, 6)),
    "groupnorm": (lambda m: m.GroupNorm(2, 6), {}, (2, 6, 4, 4)),
    "embedding": (lambda m: m.Embedding(20, 4), {"vocab": 20}, (3, 9)),
    "maxpool2d": (lambda m: m.MaxPool2d(3, 2, 1), {}, (2, 3, 12, 12)),
    "avgpool2d": (lambda m: m.AvgPool2d(3, 2, 1), {}, (2, 3, 10, 10)),
    "adaptive_avgpool2d": (lambda m: m.AdaptiveAvgPool2d((4, 3)), {}, (2, 3, 9, 9)),
    "flatten": (lambda m: m.Flatten(), {}, (2, 3, 4, 4)),
    "gelu": (lambda m: m.GELU(), {}, (5, 6)),
    "gelu_tanh": (lambda m: m.GELU("tanh"), {}, (5, 6)),
    "silu": (lambda m: m.SiLU(), {}, (5, 6)),
    "sigmoid": (lambda m: m.Sigmoid(), {}, (5, 6)),
    "softmax": (lambda m: m.Softmax(dim=1), {}, (5, 6)),
    "relu6": (lambda m: m.ReLU6(), {}, (5, 6)),
    "lstm": (lambda m: m.LSTM(5, 8), {}, (7, 3, 5)),
    "lstm_batch_first": (lambda m: m.LSTM(5, 8, batch_first=True), {}, (3, 7, 5)),
    "lstm_stacked_bidirectional": (lambda m: m.LSTM(5, 8, num_layers=2, batch_first=True, bidirectional=True),
                                   {}, (3, 7, 5)),
    "lstm_unbatched": (lambda m: m.LSTM(5, 8, num_layers=2, bias=False), {}, (7, 5)),
    "gru": (lambda m: m.GRU(5, 8, batch_first=True), {}, (3, 7, 5)),
    "gru_stacked_bidirectional": (lambda m: m.GRU(5, 8, num_layers=3, bidirectional=True), {}, (7, 3, 5)),
    "mha": (lambda m: m.MultiheadAttention(16, 4), {}, (5, 2, 16)),
    "mha_batch_first": (lambda m: m.MultiheadAttention(16, 4, batch_first=True), {}, (2, 5, 16)),
    "mha_no_bias": (lambda m: m.MultiheadAttention(16, 2, bias=False, batch_first=True), {}, (2, 5, 16)),
    "weight_norm_linear": (lambda m: _weight_norm(m)(m.Linear(6, 4)), {}, (5, 6)),
    "weight_norm_conv_dim1": (lambda m: _weight_norm(m)(m.Conv1d(3, 5, 3), dim=1), {}, (2, 3, 11)),
}


def _weight_norm(m):
    """torch's weight_norm for torch.nn, the NumPy class for the scaffolds."""
    return torch.nn.utils.parametrizations.weight_norm if m is torch.nn else m.WeightNorm


def _call(layer, x):
    """Self-attention for attention layers (all the outputs, as a tuple), else ``layer(x)``."""
    if isinstance(layer, (torch.nn.MultiheadAttention, L.MultiheadAttention)):
        return layer(x, x, x)
    return layer(x)


def _flat(out):
    """Every array of a (nested) tuple of outputs, torch tensors as NumPy arrays."""
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in _flat(o)]
    return [out.detach().numpy() if isinstance(out, torch.Tensor) else out]


_WEIGHT_NORM_NAMES = {"parametrizations.weight.original0": "weight_g",
                      "parametrizations.weight.original1": "weight_v"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_numpy_layer_matches_torch(case):
    make, opts, shape = CASES[case]
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    ref = make(torch.nn).eval()
    if opts.get("stats"):
        ref.running_mean.uniform_()
        ref.running_var.uniform_(0.5, 2.0)
    layer = make(L)
    for name, value in ref.state_dict().items():
        if name != "num_batches_tracked":
            owner, leaf = layer, _WEIGHT_NORM_NAMES.get(name, name)
            if isinstance(layer, L.WeightNorm) and name not in _WEIGHT_NORM_NAMES:
                owner = layer.module  # the wrapped layer's other parameters
            while "." in leaf:  # out_proj.weight
                head, leaf = leaf.split(".", 1)
                owner = getattr(owner, head)
            setattr(owner, leaf, value.numpy().copy())
    x = rng.integers(0, opts["vocab"], shape) if "vocab" in opts else rng.standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        want = _flat(_call(ref, torch.from_numpy(x)))
    got = _flat(_call(layer, x))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
