"""Idioms of torchvision's densenet, each converted on its own and run against torch.

- The array class as a value: ``isinstance(x, torch.Tensor)`` (``_DenseLayer`` takes a
  tensor or a list of them) becomes a type test on the target's array class.
- ``torch.utils.checkpoint.checkpoint(closure, *xs, use_reentrant=False)`` becomes the plain
  call ``closure(*xs)`` for Flax NNX and JAX: the same values (checkpointing only trades memory
  for recomputation in the backward pass; the ontology entry's note says why not
  ``nnx.remat``), and the wrapped function called for MLX and TensorFlow.
- ``F.dropout(x, p=self.drop_rate, training=self.training)`` becomes an ``nnx.Dropout``
  member built in ``__init__`` (passes/mode_layers.py): it drops while the model trains and
  is the identity after ``model.eval()``, as the functional call was.
- The TorchScript decorators are typing aids: ``@torch.jit.unused`` is dropped and
  ``@torch.jit._overload_method`` becomes ``@typing.overload`` (the last definition runs).
- Containers filled the torch way (passes/container_forms.py): ``nn.Sequential(OrderedDict(...))``
  extended by ``add_module`` becomes a list of members and ``nnx.Sequential(*members)``; a
  ``nn.ModuleDict`` subclass an ``nnx.Dict`` one (``self[key] = layer``, ``self.items()``); a
  ``nn.Sequential`` subclass whose members are attributes passes them to ``super().__init__``.
  The weights migrate by torch's names (a Sequential's members by position).
- ``if self.memory_efficient and self.any_requires_grad(xs):`` takes its plain branch: JAX
  arrays carry no gradient flag (passes/grad_queries.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

JOIN = '''
import torch
from torch import Tensor, nn


class Join(nn.Module):
    def forward(self, x):
        if isinstance(x, Tensor):
            x = [x]
        return torch.cat(x, 1) * 2.0
'''

RECOMPUTE = '''
import torch
import torch.utils.checkpoint as cp
from torch import nn


class Recompute(nn.Module):
    def forward(self, a, b):
        def closure(*inputs):
            return torch.relu(torch.cat(inputs, 1))

        return cp.checkpoint(closure, *[a, b], use_reentrant=False)
'''

DROPOUT = '''
import torch.nn as nn
import torch.nn.functional as F


class Head(nn.Module):
    def __init__(self, drop_rate: float) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 6)
        self.drop_rate = float(drop_rate)

    def forward(self, x):
        y = self.fc(x)
        if self.drop_rate > 0:
            y = F.dropout(y, p=self.drop_rate, training=self.training)
        return y
'''

SCRIPTED = '''
import torch
from torch import Tensor, nn


class Scripted(nn.Module):
    @torch.jit.unused  # noqa: T484
    def double(self, x: Tensor) -> Tensor:
        return x * 2.0

    @torch.jit._overload_method  # noqa: F811
    def forward(self, x: list[Tensor]) -> Tensor:  # noqa: F811
        pass

    # the definition that runs
    def forward(self, x: Tensor) -> Tensor:  # noqa: F811
        return self.double(x) + 1.0
'''

CONTAINERS = '''
from collections import OrderedDict

import torch
import torch.nn as nn
from torch import Tensor


class Layer(nn.Module):
    def __init__(self, channels: int, growth: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(channels, growth, kernel_size=3, padding=1, bias=False)

    def forward(self, features: list[Tensor]) -> Tensor:
        return self.conv(self.relu(self.norm(torch.cat(features, 1))))


class Block(nn.ModuleDict):
    def __init__(self, layers: int, channels: int, growth: int) -> None:
        super().__init__()
        for i in range(layers):
            self.add_module("layer%d" % (i + 1), Layer(channels + i * growth, growth))

    def forward(self, x: Tensor) -> Tensor:
        features = [x]
        for name, layer in self.items():
            features.append(layer(features))
        return torch.cat(features, 1)


class Transition(nn.Sequential):
    def __init__(self, channels: int, out: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(channels, out, kernel_size=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class Net(nn.Module):
    def __init__(self, growth: int = 4) -> None:
        super().__init__()
        # stem
        self.features = nn.Sequential(
            OrderedDict([("conv0", nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False)),
                         ("norm0", nn.BatchNorm2d(8)), ("relu0", nn.ReLU(inplace=True))])
        )
        channels = 8
        for i in range(2):
            self.features.add_module("block%d" % (i + 1), Block(2, channels, growth))
            channels = channels + 2 * growth
            self.features.add_module("transition%d" % (i + 1), Transition(channels, channels // 2))
            channels = channels // 2
        self.features.add_module("norm5", nn.BatchNorm2d(channels))
        self.classifier = nn.Linear(channels, 3)

    def forward(self, x: Tensor) -> Tensor:
        out = torch.relu(self.features(x))
        return self.classifier(torch.flatten(torch.mean(out, dim=(2, 3)), 1))
'''

MEMORY_EFFICIENT = '''
import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from torch import Tensor


class Bottleneck(nn.Module):
    def __init__(self, memory_efficient: bool = True) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 4)
        self.memory_efficient = memory_efficient

    def any_requires_grad(self, input: list[Tensor]) -> bool:
        for tensor in input:
            if tensor.requires_grad:
                return True
        return False

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        xs = [a, b]
        if self.memory_efficient and self.any_requires_grad(xs):
            out = cp.checkpoint(lambda *t: self.fc(torch.cat(t, 1)), *xs, use_reentrant=False)
        else:
            # the plain computation
            out = self.fc(torch.cat(xs, 1))
        return out
'''


@pytest.mark.parametrize(("target", "spelled"), [("flax_nnx", "isinstance(x, jax.Array)"),
                                                 ("numpy", "isinstance(x, np.ndarray)")])
def test_isinstance_tensor_converts(tmp_path, target, spelled):
    torch = pytest.importorskip("torch")
    code, report = convert(JOIN, "torch", target)
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert spelled in code
    mod = import_code(code, tmp_path, f"models_{target}")
    a = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    b = -a
    model, ref = mod.Join(), _torch_model(JOIN, "Join")  # no layers: no rngs either
    for given in (a, [a, b]):
        want = ref([torch.from_numpy(t) for t in given] if isinstance(given, list) else torch.from_numpy(given))
        want = want.numpy()
        got = model([_array(target, t) for t in given] if isinstance(given, list) else _array(target, given))
        np.testing.assert_array_equal(np.asarray(got), want)


@pytest.mark.parametrize(("target", "spelled"), [("flax_nnx", "return closure(*[a, b])"),
                                                 ("jax", "return closure(*[a, b])"),
                                                 ("mlx", "return mx.checkpoint(closure)(*[a, b])"),
                                                 ("tensorflow", "return tf.recompute_grad(closure)(*[a, b])")])
def test_checkpoint_calls_the_function(tmp_path, target, spelled):
    """The target's checkpoint wraps the function and the wrapper is called (jax.checkpoint(f)
    alone would be a function, not its result)."""
    torch = pytest.importorskip("torch")
    code, report = convert(RECOMPUTE, "torch", target)
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert spelled in code
    mod = import_code(code, tmp_path, f"recompute_{target}")
    a = np.arange(6, dtype=np.float32).reshape(1, 2, 3) - 2.0
    want = _torch_model(RECOMPUTE, "Recompute")(torch.from_numpy(a), torch.from_numpy(-a)).numpy()
    model = mod.Recompute()
    forward = model.call if target == "tensorflow" else model
    np.testing.assert_array_equal(np.asarray(forward(_array(target, a), _array(target, -a))), want)


def _array(target: str, x: np.ndarray):
    if target in ("flax_nnx", "jax"):
        import jax.numpy as jnp

        return jnp.asarray(x)
    if target == "mlx":
        import mlx.core as mx

        return mx.array(x)
    if target == "tensorflow":
        import tensorflow as tf

        return tf.constant(x)
    return x


def _torch_model(source: str, cls: str, *args):
    namespace: dict = {}
    exec(compile(source, "models.py", "exec"), namespace)  # noqa: S102 -- the source model itself
    return namespace[cls](*args)


def test_functional_dropout_becomes_a_member(tmp_path):
    """Eval mode: the identity, torch's outputs with the weights migrated; training mode:
    every value is dropped or scaled by 1 / (1 - p), as torch's F.dropout does."""
    torch = pytest.importorskip("torch")
    nnx = pytest.importorskip("flax.nnx")
    from switcheroo.weights import transfer

    code, report = convert(DROPOUT, "torch", "flax_nnx")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert "self.dropout = nnx.Dropout(rate=self.drop_rate, rngs=rngs)" in code
    assert "y = self.dropout(y)" in code
    mod = import_code(code, tmp_path, "dropout_flax_nnx")
    torch.manual_seed(0)
    ref = _torch_model(DROPOUT, "Head", 0.25).eval()
    model = mod.Head(0.25, rngs=nnx.Rngs(0))
    assert transfer(ref, model, src="torch", dst="flax_nnx").ok
    model.eval()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    want = ref(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(np.asarray(model(x)), want, rtol=1e-5, atol=1e-5)
    model.train()
    got = np.asarray(model(x))
    kept = got != 0
    assert kept.any() and not kept.all()
    np.testing.assert_allclose(got[kept], want[kept] / 0.75, rtol=1e-5, atol=1e-5)


def test_dropout_without_the_mode_flag_is_not_hoisted():
    """``F.dropout(y, p=0.5)`` drops in eval mode too: a layer would not; it stays marked."""
    pytest.importorskip("torch")
    code, report = convert(DROPOUT.replace(", training=self.training", ""), "torch", "flax_nnx")
    assert "nnx.Dropout" not in code
    assert any("torch.nn.functional.dropout" in str(d) for d in report.diagnostics)


def test_torchscript_decorators_are_typing_aids(tmp_path):
    torch = pytest.importorskip("torch")
    code, report = convert(SCRIPTED, "torch", "flax_nnx")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert "@typing.overload" in code and "torch" not in code
    assert "    def double(self, x: jax.Array) -> jax.Array:" in code
    assert "# the definition that runs" in code
    mod = import_code(code, tmp_path, "scripted_flax_nnx")
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    # TorchScript's overload registry wants the class in a real module: imported, not exec'd.
    want = import_code(SCRIPTED, tmp_path, "scripted_torch").Scripted()(torch.from_numpy(a)).numpy()
    np.testing.assert_array_equal(np.asarray(mod.Scripted()(_array("flax_nnx", a))), want)


def _state_dicts_equal(a, b) -> None:
    for (k, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        if not k.endswith("num_batches_tracked"):
            assert x.dtype == y.dtype and bool((x == y).all()), k


def test_containers_filled_the_torch_way(tmp_path):
    """The members keep their places and torch's weight paths: transfer in, torch's outputs
    (eval), and flax_nnx -> torch gives the weights back bit for bit."""
    torch = pytest.importorskip("torch")
    nnx = pytest.importorskip("flax.nnx")
    from switcheroo.weights import transfer

    code, report = convert(CONTAINERS, "torch", "flax_nnx")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    for spelled in ("class Block(nnx.Dict):", 'self["layer%d" % (i + 1)] = Layer(', "class Transition(nnx.Sequential):",
                    "features.append(Block(2, channels, growth, rngs=rngs))", "self.features = nnx.Sequential(*features)",
                    "# stem"):
        assert spelled in code, spelled
    assert "OrderedDict" not in code and "add_module" not in code
    mod = import_code(code, tmp_path, "containers_flax_nnx")
    torch.manual_seed(0)
    ref = import_code(CONTAINERS, tmp_path, "containers_torch").Net().eval()
    with torch.no_grad():  # non-trivial statistics, so a misplaced BatchNorm shows
        for m in ref.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
    model = mod.Net(rngs=nnx.Rngs(0))
    assert transfer(ref, model, src="torch", dst="flax_nnx").ok
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.asarray(model(x)), want, rtol=1e-5, atol=1e-5)
    back = import_code(CONTAINERS, tmp_path, "containers_back").Net()
    assert transfer(model, back, src="flax_nnx", dst="torch").ok
    _state_dicts_equal(ref, back)


def test_gradient_query_takes_the_plain_branch(tmp_path):
    torch = pytest.importorskip("torch")
    nnx = pytest.importorskip("flax.nnx")
    from switcheroo.weights import transfer

    code, report = convert(MEMORY_EFFICIENT, "torch", "flax_nnx")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert "requires_grad" not in code and "any_requires_grad" not in code
    assert "        # the plain computation\n        out = self.fc(jnp.concat(xs, axis=1))" in code
    mod = import_code(code, tmp_path, "bottleneck_flax_nnx")
    torch.manual_seed(0)
    ref = _torch_model(MEMORY_EFFICIENT, "Bottleneck").eval()
    model = mod.Bottleneck(rngs=nnx.Rngs(0))
    assert transfer(ref, model, src="torch", dst="flax_nnx").ok
    a = np.random.default_rng(0).standard_normal((2, 2)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    want = ref(torch.from_numpy(a).requires_grad_(), torch.from_numpy(b)).detach().numpy()  # the checkpoint path
    np.testing.assert_allclose(np.asarray(model(a, b)), want, rtol=1e-5, atol=1e-5)
