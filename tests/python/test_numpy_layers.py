"""The classes NumPy output defines (``passes/scaffolds/numpy_layers.py``) compute what
PyTorch's layers compute in eval mode, on the same weights."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from switcheroo.passes.scaffolds import numpy_layers as L  # noqa: E402

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
}


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
            setattr(layer, name, value.numpy().copy())
    x = rng.integers(0, opts["vocab"], shape) if "vocab" in opts else rng.standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    got = layer(x)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
