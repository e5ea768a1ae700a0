"""torch tensor methods that read another tensor's shape or dtype (``expand``, ``expand_as``,
``new_zeros``/``new_ones``/``new_full``/``new_empty``/``new_tensor``, ``type_as``),
converted to every target and run on both sides: values, shapes and dtypes must match.
A size that may be ``-1`` at run time is kept and marked, never guessed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from tests.python.harness import compare_with_torch
from tests.python.helpers import convert, import_code, native_adapters

pytest.importorskip("torch")

SOURCE = '''\
import torch


def expand_cls(cls: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    b = x.shape[0]
    return cls.expand(b, -1, -1)


def expand_lead(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.expand(x.shape[0], 3, -1)


def expand_tuple(v: torch.Tensor) -> torch.Tensor:
    return v.expand((2, -1, 4))


def expand_unpacked(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    b, n = x.shape
    return v.expand(b * 2, n, -1)


def broadcast_keep(v: torch.Tensor) -> torch.Tensor:
    return torch.broadcast_to(v, (3, -1))


def expand_like(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.expand_as(x)


def new_zeros(x: torch.Tensor) -> torch.Tensor:
    b, n = x.shape
    return x.new_zeros(b, 8)


def new_ones(x: torch.Tensor) -> torch.Tensor:
    return x.new_ones((x.shape[1], 2))


def new_full(x: torch.Tensor) -> torch.Tensor:
    return x.new_full((x.shape[0], 3), 2.5)


def new_empty(x: torch.Tensor) -> torch.Tensor:
    return x.new_empty(x.shape[0], 5)


def new_tensor(x: torch.Tensor) -> torch.Tensor:
    return x.new_tensor([[1.5, -2.0], [3.0, 4.25]])


def cast_as(e: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return e.type_as(x)
'''

TARGETS = ["jax", "flax_nnx", "numpy", "mlx", "keras", "tensorflow"]
RNG = np.random.default_rng(0)
F32 = RNG.standard_normal((3, 4)).astype(np.float32)
I32 = RNG.integers(-5, 5, (3, 4)).astype(np.int32)
# (function, inputs, whether only the shape and dtype are defined)
CASES = [
    ("expand_cls", [RNG.standard_normal((1, 1, 5)).astype(np.float32), F32], False),
    ("expand_lead", [RNG.standard_normal((1, 5)).astype(np.float32), F32], False),
    ("expand_lead", [RNG.standard_normal((3, 5)).astype(np.float32), F32], False),
    ("expand_tuple", [RNG.standard_normal((1, 3, 1)).astype(np.float32)], False),
    ("expand_unpacked", [RNG.standard_normal((4, 1)).astype(np.float32), F32], False),
    ("broadcast_keep", [RNG.standard_normal((1, 4)).astype(np.float32)], False),
    ("expand_like", [RNG.standard_normal((1, 4)).astype(np.float32), F32], False),
    ("new_zeros", [F32], False),
    ("new_zeros", [I32], False),
    ("new_ones", [I32], False),
    ("new_full", [F32], False),
    ("new_full", [I32], False),
    ("new_empty", [F32], True),
    ("new_tensor", [F32], False),
    ("new_tensor", [I32], False),
    ("cast_as", [I32, F32], False),
    ("cast_as", [(F32 * 3).astype(np.float32), I32], False),
]


@cache
def _converted(target: str, tmp: str) -> tuple[object, str]:
    code, report = convert(SOURCE, "torch", target, path="methods.py")
    assert not [str(d) for d in report.diagnostics if d.severity == "warning"]
    return import_code(code, Path(tmp), f"tensor_methods_{target}"), code


@pytest.fixture(scope="module")
def torch_module(tmp_path_factory):
    return import_code(SOURCE, tmp_path_factory.mktemp("src"), "tensor_methods_src")


def _numpy(value) -> np.ndarray:
    return np.array(value)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("name", "inputs", "shape_only"), CASES,
                         ids=[f"{c[0]}-{c[1][0].dtype}" for c in CASES])
def test_method_matches_torch(target, name, inputs, shape_only, torch_module, tmp_path_factory):
    import torch

    to_native, _ = native_adapters("jax" if target == "flax_nnx" else target)
    module, code = _converted(target, str(tmp_path_factory.getbasetemp()))
    assert "swc: unmapped" not in code, code
    want = getattr(torch_module, name)(*[torch.from_numpy(a.copy()) for a in inputs]).numpy()
    got = _numpy(getattr(module, name)(*[to_native(a) for a in inputs]))
    assert got.shape == want.shape
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if not shape_only:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_literal_minus_one_reads_the_kept_size():
    code, _ = convert(SOURCE, "torch", "jax", path="methods.py")
    assert "jnp.broadcast_to(cls, (b, cls.shape[-2], cls.shape[-1]))" in code
    assert "jnp.broadcast_to(v, (x.shape[0], 3, v.shape[-1]))" in code
    assert "jnp.zeros((b, 8), dtype=x.dtype)" in code
    assert "e.astype(x.dtype)" in code


REFUSED = '''\
import torch


def by_param(v: torch.Tensor, n: int) -> torch.Tensor:
    return v.expand(n, -1)


def by_name(v: torch.Tensor, sizes) -> torch.Tensor:
    return v.expand(sizes)


def broadcast_by_name(v: torch.Tensor, sizes) -> torch.Tensor:
    return torch.broadcast_to(v, sizes)


def by_call(v: torch.Tensor) -> torch.Tensor:
    return make(v).expand(3, -1)
'''


@pytest.mark.parametrize("target", ["jax", "mlx", "keras"])
def test_size_that_may_be_minus_one_is_kept_marked(target):
    code, report = convert(REFUSED, "torch", target, path="refused.py")
    warnings = {d.line: str(d) for d in report.diagnostics if d.severity == "warning"}
    assert "v.expand(n, -1)  # swc: unmapped torch.Tensor.expand" in code
    assert "may be -1" in warnings[5]
    assert "v.expand(sizes)  # swc: unmapped torch.Tensor.expand" in code
    assert "torch.broadcast_to(v, sizes)  # swc: unmapped torch.broadcast_to" in code
    assert "only a literal shows" in warnings[13]
    assert "make(v).expand(3, -1)  # swc: unmapped torch.Tensor.expand" in code
    assert "evaluated once per -1" in warnings[17]


def test_jax_broadcast_to_raises_to_torch_and_runs(tmp_path):
    import jax.numpy as jnp
    import torch

    src = "import jax\nimport jax.numpy as jnp\n\n\ndef f(x: jax.Array):\n    return jnp.broadcast_to(x, (2, 3, 4))\n"
    code, report = convert(src, "jax", "torch", path="bt.py")
    assert "torch.broadcast_to(x, (2, 3, 4))" in code, code
    assert not [d for d in report.diagnostics if d.severity == "warning"]
    x = RNG.standard_normal((3, 1)).astype(np.float32)
    got = import_code(code, tmp_path, "bt_torch").f(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(got, np.asarray(jnp.broadcast_to(jnp.asarray(x), (2, 3, 4))))


VIT = Path(__file__).parent / "models" / "vit_tiny_torch.py"


def _random_tokens(model) -> None:
    """Draw the class token and position embeddings (zeros would hide a wrong broadcast)."""
    import torch

    with torch.no_grad():
        model.cls_token.normal_()
        model.pos_embed.normal_()


@pytest.mark.parametrize("target", ["flax_nnx", "jax", "keras", "mlx"])
def test_vit_class_token_with_transferred_weights(target, tmp_path):
    got, want, code = compare_with_torch(VIT.read_text(), "ViTTiny", (), (3, 6, 12), target, tmp_path,
                                         "vit_tiny", prepare=_random_tokens)
    assert "swc: unmapped" not in code, code
    assert got.shape == want.shape == (3, 5)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
