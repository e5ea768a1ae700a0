"""Parameters and buffers of converted modules: each target's idiom for trainable and
non-trainable state, buffers migrated by ``switcheroo.weights.transfer`` (non-persistent
ones never required), varargs sizes, and tensor methods on untyped receivers marked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.python.harness import build, make_input, run
from tests.python.helpers import convert, import_code
from tests.python.test_models import _IMPORT, TARGETS

pytest.importorskip("torch")

MODELS = Path(__file__).parent / "models"

SCALE = '''import torch
from torch import nn


class Scale(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.w = nn.Parameter(torch.ones(d))
        self.register_buffer("pe", torch.zeros(1, d), persistent=False)
        self.register_buffer("scale", torch.ones(8))

    def forward(self, x):
        return x * self.w + self.pe * self.scale.view(1, -1)
'''

# What each target writes for the three attributes of Scale.
EXPECTED = {
    "flax_nnx": ["self.w = nnx.Param(jnp.ones(d))", "self.pe = jnp.zeros((1, d))",
                 "self.scale = nnx.BatchStat(jnp.ones((8,)))", "jnp.reshape(self.scale, (1, -1))"],
    "keras": ["self.w = keras.Variable(ops.ones(d))", "self.pe = ops.zeros((1, d))",
              "self.scale = keras.Variable(ops.ones((8,)), trainable=False)"],
    "tensorflow": ["self.pe = tf.zeros((1, d))", "self.scale = keras.Variable(tf.ones((8,)), trainable=False)"],
    "mlx": ["self.w = mx.ones(d)", "self.pe = mx.zeros((1, d))", "self.scale = mx.ones((8,))",
            'self.freeze(keys=["pe", "scale"], recurse=False)'],
    # torch makes float32 where NumPy makes float64: the dtype is written (explicit-dtypes).
    "numpy": ["self.w = np.ones(d, dtype=np.float32)", "self.pe = np.zeros((1, d), dtype=np.float32)",
              "self.scale = np.ones((8,), dtype=np.float32)"],
}


@pytest.mark.parametrize("target", sorted(EXPECTED))
def test_state_idioms(target):
    code, report = convert(SCALE, "torch", target, path="scale.py")
    assert not [d for d in report.diagnostics if d.severity == "warning"]
    for line in EXPECTED[target]:
        assert line in code
    assert "register_buffer" not in code and "nn.Parameter" not in code


@pytest.mark.parametrize("target", ["flax_nnx", "keras", "mlx"])
def test_only_parameters_train(tmp_path, target):
    """The buffers are state the target does not train."""
    pytest.importorskip(_IMPORT[target])
    code, _ = convert(SCALE, "torch", target, path="scale.py")
    mod = import_code(code, tmp_path, f"scale_state_{target}")
    model = build(mod, "Scale", (8,), target, make_input((5, 8)))
    if target == "flax_nnx":
        from flax import nnx

        assert set(nnx.state(model, nnx.Param).keys()) == {"w"}
        assert set(nnx.state(model, nnx.BatchStat).keys()) == {"scale"}
    elif target == "keras":
        assert len(model.trainable_variables) == 1
        assert len(model.non_trainable_variables) == 1
    else:
        from mlx.utils import tree_flatten

        assert [k for k, _ in tree_flatten(model.trainable_parameters())] == ["w"]
        assert sorted(k for k, _ in tree_flatten(model.parameters())) == ["pe", "scale", "w"]


@pytest.mark.parametrize("target", TARGETS)
def test_buffers_transferred(tmp_path, target):
    """Persistent buffers set to random values in torch reach the target; the
    non-persistent position table is computed by both constructors and never required."""
    pytest.importorskip(_IMPORT[target])
    import torch
    from switcheroo.weights import transfer

    source = (MODELS / "buffers_torch.py").read_text()
    code, _ = convert(source, "torch", target, path="buffers.py")
    src = import_code(source, tmp_path, f"buf_src_{target}")
    dst = import_code(code, tmp_path, f"buf_dst_{target}")
    torch.manual_seed(0)
    ref = src.FrozenBNConv().eval()
    with torch.no_grad():
        for name in ("weight", "bias", "running_mean"):
            getattr(ref.bn, name).copy_(torch.randn(4))
        ref.bn.running_var.copy_(torch.rand(4) + 0.5)
    x = make_input((2, 3, 6, 6))
    out = build(dst, "FrozenBNConv", (), target, x)
    report = transfer(ref, out, src="torch", dst=target)
    assert report.copied == 6  # conv weight, gain and the four buffers
    want = ref(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(run(out, target, x), want, rtol=1e-5, atol=1e-5)
    assert "pe" not in src.SinusoidalEncoding().state_dict()


def test_non_persistent_buffer_optional():
    """A torch model's non-persistent buffer is neither missing nor unexpected when the
    other model has no such tensor (a constant the Keras model holds untracked)."""
    pytest.importorskip("keras")
    import torch
    from switcheroo.backends.weights.transfer import live_plan

    class Src(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("table", torch.ones(3), persistent=False)
            self.w = torch.nn.Parameter(torch.ones(3))

    import keras

    class Dst(keras.Model):
        def __init__(self):
            super().__init__()
            self.w = keras.Variable(np.zeros(3, np.float32))
            self.table = keras.ops.ones(3)

    plan, report, *_ = live_plan(Src(), Dst(), "torch", "keras")
    assert report.ok and [m.dst_key for m in plan.moves] == ["w"]
    _, back, *_ = live_plan(Dst(), Src(), "keras", "torch")
    assert back.ok


@pytest.mark.parametrize("target", TARGETS)
def test_varargs_sizes(target):
    """``torch.zeros(2, n)`` is a shape of two sizes, never (shape=2, dtype=n)."""
    code, _ = convert(
        "import torch\n\n\ndef f(n, x):\n    return torch.zeros(2, n) + torch.ones(2, n) + torch.empty(2, n) + x.view(2, -1)\n",
        "torch", target, path="sizes.py")
    assert "dtype=n)" not in code and "dtype=n," not in code and "(2, n)" in code


@pytest.mark.parametrize("target", ["jax", "numpy"])
def test_untyped_tensor_method_marked(target):
    code, report = convert(
        "import torch\n\n\ndef flat(t):\n    return t.view(t.shape[0], -1)\n", "torch", target, path="flat.py")
    assert "# swc: unmapped torch.Tensor.view" in code
    assert any("torch.Tensor.view" in str(d) and d.line == 5 for d in report.diagnostics)


def test_mlx_source_state():
    """From MLX: arrays a constructor sets are parameters, frozen ones buffers."""
    src = ("import mlx.core as mx\nfrom mlx import nn\n\n\nclass M(nn.Module):\n    def __init__(self, d):\n"
           "        super().__init__()\n        self.w = mx.ones(d)\n        self.s = mx.zeros(d)\n"
           "        self.freeze(keys=[\"s\"], recurse=False)\n\n    def __call__(self, x):\n"
           "        return x * self.w + self.s\n")
    code, _ = convert(src, "mlx", "torch", path="m.py")
    assert "self.w = nn.Parameter(torch.ones(d))" in code
    assert "self.s = nn.Buffer(torch.zeros(d))" in code
    assert "freeze" not in code


def test_register_forms():
    """register_parameter, a positional persistent flag, a None buffer; a name that is
    not a literal stays as written, reported and marked."""
    src = ("import torch\nfrom torch import nn\n\n\nclass P(nn.Module):\n    def __init__(self, d, name):\n"
           "        super().__init__()\n        self.register_parameter(\"g\", nn.Parameter(torch.ones(d)))\n"
           "        self.register_buffer(\"t\", torch.arange(d), False)\n        self.register_buffer(\"none\", None)\n"
           "        self.register_buffer(name, torch.ones(d))\n\n    def forward(self, x):\n        return x * self.g + self.t\n")
    code, report = convert(src, "torch", "flax_nnx", path="p.py")
    for line in ("self.g = nnx.Param(jnp.ones(d))", "self.t = jnp.arange(d)", "self.none = None",
                 "self.register_buffer(name, jnp.ones(d))  # swc: unmapped torch.nn.Module.register_buffer"):
        assert line in code
    assert [d.line for d in report.diagnostics if d.severity == "warning"] == [11]
