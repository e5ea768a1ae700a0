"""Conversions that layer verification found silently wrong, each checked numerically.

- A layer the target has only as a function (``nnx.leaky_relu``) keeps its constructor's
  arguments: ``functools.partial(nnx.leaky_relu, negative_slope=0.2)``; an argument the
  function does not take keeps the layer, marked.
- torch's softmax family without ``dim`` picks the axis from the input's rank: kept, marked.
- Keras loss classes take ``(y_true, y_pred)``: the call is reordered; reductions Keras
  computes differently (it averages the last axis first) are kept, marked.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

ACTIVATIONS = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.leaky = nn.LeakyReLU(0.2)
        self.gelu = nn.GELU()
        self.gelu_tanh = nn.GELU(approximate="tanh")
        self.elu = nn.ELU(alpha=0.5)
        self.celu = nn.CELU(0.5)
        self.soft = nn.Softmax(dim=1)

    def forward(self, x):
        y = self.leaky(x) + self.gelu(x) + self.gelu_tanh(x) + self.elu(x) + self.celu(x)
        return self.soft(y)
'''


def _torch_run(source: str, *arrays: np.ndarray) -> np.ndarray:
    torch = pytest.importorskip("torch")
    ns: dict = {}
    exec(compile(source, "layer_fixes_torch.py", "exec"), ns)  # noqa: S102 -- the test's own source
    with torch.no_grad():
        return ns["Net"]()(*(torch.from_numpy(a) for a in arrays)).numpy()


def test_function_layers_keep_arguments_text():
    code, report = convert(ACTIVATIONS, "torch", "flax_nnx")
    assert not [d for d in report.diagnostics if d.severity == "warning"]
    assert "functools.partial(nnx.leaky_relu, negative_slope=0.2)" in code
    assert "functools.partial(nnx.gelu, approximate=False)" in code
    assert "self.gelu_tanh = nnx.gelu\n" in code
    assert "functools.partial(nnx.elu, alpha=0.5)" in code
    assert "functools.partial(nnx.celu, alpha=0.5)" in code
    assert "functools.partial(nnx.softmax, axis=1)" in code


def test_function_layers_match_torch(tmp_path):
    pytest.importorskip("flax.nnx")
    code, _ = convert(ACTIVATIONS, "torch", "flax_nnx")
    x = np.random.default_rng(0).standard_normal((2, 3, 5)).astype(np.float32) * 2
    want = _torch_run(ACTIVATIONS, x)
    got = np.asarray(import_code(code, tmp_path, "layer_fixes_act").Net()(x))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_function_layer_argument_it_lacks_stays_marked():
    source = ACTIVATIONS.replace("nn.ELU(alpha=0.5)", "nn.Softplus(beta=2.0)")
    code, report = convert(source, "torch", "flax_nnx")
    assert any("torch.nn.Softplus" in str(d) for d in report.diagnostics if d.severity == "warning")
    assert "# swc: unmapped torch.nn.Softplus" in code


@pytest.mark.parametrize("dst", ["flax_nnx", "keras", "mlx", "numpy"])
def test_softmax_without_dim_stays_marked(dst):
    source = ACTIVATIONS.replace("nn.Softmax(dim=1)", "nn.Softmax()").replace(
        "return self.soft(y)", "return self.soft(y) + torch.nn.functional.log_softmax(y)")
    code, report = convert(source, "torch", dst)
    warned = [str(d) for d in report.diagnostics if d.severity == "warning"]
    assert any("torch.nn.Softmax: dim=None" in w and "input rank" in w for w in warned)
    assert any("torch.nn.functional.log_softmax: dim=None" in w for w in warned)
    assert "# swc: unmapped torch.nn.Softmax" in code


LOSS = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bce = nn.BCELoss()
        self.ce = nn.CrossEntropyLoss(reduction="none")

    def forward(self, p, t, logits, labels):
        return self.bce(p, t) + self.ce(logits, labels)
'''


def test_keras_loss_call_order_matches_torch(tmp_path):
    pytest.importorskip("keras")
    code, report = convert(LOSS, "torch", "keras")
    assert not [d for d in report.diagnostics if d.severity == "warning"]
    assert "self.bce(t, p)" in code and "self.ce(labels, logits)" in code
    rng = np.random.default_rng(1)
    p = rng.uniform(0.1, 0.9, (4, 3)).astype(np.float32)
    t = rng.uniform(0.0, 1.0, (4, 3)).astype(np.float32)
    logits = rng.standard_normal((4, 5)).astype(np.float32)
    labels = np.array([0, 4, 2, 1], dtype=np.int64)
    want = _torch_run(LOSS, p, t, logits, labels)
    got = np.asarray(import_code(code, tmp_path, "layer_fixes_loss").Net()(p, t, logits, labels))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_keras_loss_reduction_it_computes_differently_stays_marked():
    code, report = convert(LOSS.replace("nn.BCELoss()", "nn.BCELoss(reduction='sum')"), "torch", "keras")
    assert any("reduction='sum' has no keras equivalent" in str(d) for d in report.diagnostics)
    assert "# swc: unmapped torch.nn.BCELoss" in code


NORMS = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.plain = nn.LayerNorm(4, elementwise_affine=False)
        self.rms = nn.RMSNorm(4)

    def forward(self, x):
        return self.rms(self.plain(x))
'''


@pytest.mark.parametrize("dst", ["flax_nnx", "keras"])
def test_norm_without_affine_and_rms_epsilon(tmp_path, dst):
    pytest.importorskip("flax.nnx" if dst == "flax_nnx" else "keras")
    code, report = convert(NORMS, "torch", dst)
    assert not [d for d in report.diagnostics if d.severity == "warning"]
    assert "1.1920928955078125e-7" in code  # torch's eps=None: the float32 machine epsilon
    x = (np.random.default_rng(2).standard_normal((2, 3, 4)) * 1e-3).astype(np.float32)
    want = _torch_run(NORMS, x)
    module = import_code(code, tmp_path, f"layer_fixes_norm_{dst}")
    net = module.Net(rngs=module.nnx.Rngs(0)) if dst == "flax_nnx" else module.Net()
    np.testing.assert_allclose(np.asarray(net(x)), want, rtol=1e-5, atol=1e-5)


CONVS = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(3, 4, 1, stride=2)

    def forward(self, x):
        return self.up(x)
'''


def test_keras_conv_transpose_kernel_below_stride_matches_torch(tmp_path):
    pytest.importorskip("keras")
    code, _ = convert(CONVS, "torch", "keras")
    assert "output_padding=0" in code
    x = np.random.default_rng(3).standard_normal((1, 3, 4, 5)).astype(np.float32)
    net = import_code(code, tmp_path, "layer_fixes_convt").Net()
    got = np.asarray(net(x))
    assert got.shape == _torch_run(CONVS, x).shape  # weights differ; the shape is the contract


@pytest.mark.parametrize(("dst", "layer", "why"), [
    ("flax_nnx", "nn.ConvTranspose2d(3, 4, 1, stride=2)", "stride=2 above the dilated kernel"),
    ("keras", "nn.ConvTranspose2d(3, 4, 2, output_padding=1, dilation=2)", "has no keras equivalent"),
    ("keras", "nn.Conv2d(3, 4, 3, stride=2, dilation=2)", "a stride or a dilation, not both"),
])
def test_conv_the_target_cannot_express_stays_marked(dst, layer, why):
    code, report = convert(CONVS.replace("nn.ConvTranspose2d(3, 4, 1, stride=2)", layer), "torch", dst)
    assert any(why in str(d) for d in report.diagnostics if d.severity == "warning")
    assert "# swc: unmapped torch.nn.Conv" in code
