"""``thread-rng``: torch's global generator -> explicit JAX keys; direct for MLX and TF."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.python.helpers import convert, import_code

DRAWS = """\
import torch
import torch.nn as nn


def noise(shape):
    return torch.randn(shape) * 0.1


def sample(n):
    torch.manual_seed(0)
    a = torch.rand(n, 3)
    b = noise((n, 3))
    return a + b


def draws(n):
    return torch.randn((n,)), torch.rand((n,))


def loop(n, scale=1.0):
    out = []
    for i in range(n):
        out.append(torch.randn(2) * scale + torch.rand(2))
    return out
"""

NOISY = """\
import torch
import torch.nn as nn


class Noisy(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.w = nn.Parameter(torch.randn(dim, dim))

    def forward(self, x):
        return self.fc(x) @ self.w + torch.randn(x.shape) * 0.5
"""


@pytest.fixture(scope="module")
def jax_draws(tmp_path_factory):
    code, report = convert(DRAWS, "torch", "jax")
    assert not [d for d in report.diagnostics if d.severity == "warning"], code
    return code, import_code(code, tmp_path_factory.mktemp("rng"), "rng_draws_jax")


def test_keys_are_threaded_as_an_expert_writes_them(jax_draws):
    code, _ = jax_draws
    assert "torch" not in code
    assert "def noise(shape, rng):\n    return jax.random.normal(rng, shape) * 0.1" in code
    assert "    rng = jax.random.key(0)\n    rng, key = jax.random.split(rng)\n" in code
    assert "b = noise((n, 3), rng=key)" in code
    assert "def loop(n, scale=1.0, *, rng):" in code
    assert "rng, key1, key2 = jax.random.split(rng, 3)" in code  # a fresh pair each iteration


def test_same_key_same_draws_other_key_other_draws(jax_draws):
    import jax

    _, mod = jax_draws
    a1, b1 = mod.draws(5, jax.random.key(1))
    a2, b2 = mod.draws(5, jax.random.key(1))
    a3, _ = mod.draws(5, jax.random.key(2))
    assert a1.shape == b1.shape == (5,) and a1.dtype == b1.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(a1), np.asarray(a2))
    np.testing.assert_array_equal(np.asarray(b1), np.asarray(b2))
    assert not np.array_equal(np.asarray(a1), np.asarray(a3))
    assert not np.array_equal(np.asarray(a1), np.asarray(b1))  # two draws, two keys
    steps = mod.loop(3, rng=jax.random.key(0))
    assert len({tuple(np.asarray(s).tolist()) for s in steps}) == 3  # every iteration draws anew


def test_manual_seed_makes_the_key(jax_draws):
    _, mod = jax_draws
    first, again = np.asarray(mod.sample(4)), np.asarray(mod.sample(4))
    assert first.shape == (4, 3) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)


def test_distributions_match_torch(jax_draws, tmp_path):
    import jax

    _, mod = jax_draws
    ref = import_code(DRAWS, tmp_path, "rng_draws_torch")
    n = 200_000
    torch.manual_seed(0)
    tn, tu = (t.numpy() for t in ref.draws(n))
    jn, ju = (np.asarray(a) for a in mod.draws(n, jax.random.key(0)))
    # Means within 6 standard errors of each other; spreads within 1%.
    for got, want, sd in ((jn, tn, 1.0), (ju, tu, 12 ** -0.5)):
        assert abs(got.mean() - want.mean()) < 6 * sd * (2 / n) ** 0.5
        assert abs(got.std() / want.std() - 1) < 0.01
    assert ju.min() >= 0.0 and ju.max() < 1.0


def test_flax_module_draws_from_its_rngs_streams(tmp_path):
    from flax import nnx

    code, report = convert(NOISY, "torch", "flax_nnx")
    assert not report.diagnostics, code
    assert "self.w = nnx.Param(jax.random.normal(rngs.params(), (dim, dim)))" in code
    assert "self.rngs = rngs" in code
    assert "jax.random.normal(self.rngs.default(), x.shape) * 0.5" in code
    mod = import_code(code, tmp_path, "rng_noisy_nnx")
    x = np.ones((2, 4), np.float32)
    y1 = np.asarray(mod.Noisy(4, rngs=nnx.Rngs(0))(x))
    y2 = np.asarray(mod.Noisy(4, rngs=nnx.Rngs(0))(x))
    y3 = np.asarray(mod.Noisy(4, rngs=nnx.Rngs(1))(x))
    assert y1.shape == (2, 4) and y1.dtype == np.float32
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(y1, y3)
    model = mod.Noisy(4, rngs=nnx.Rngs(0))
    assert not np.array_equal(np.asarray(model(x)), np.asarray(model(x)))  # a fresh key per call


@pytest.mark.parametrize("target, seed", [("mlx", "mx.random.seed(0)"), ("tensorflow", "tf.random.set_seed(0)")])
def test_global_generator_targets_map_directly(target, seed, tmp_path):
    code, report = convert(DRAWS, "torch", target)
    assert not report.diagnostics and seed in code and "rng" not in code, code
    mod = import_code(code, tmp_path, f"rng_draws_{target}")
    first, again = np.asarray(mod.sample(4)), np.asarray(mod.sample(4))
    assert first.shape == (4, 3) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    a, b = (np.asarray(t) for t in mod.draws(50_000))
    assert abs(a.mean()) < 0.03 and abs(a.std() - 1) < 0.02 and 0 <= b.min() and b.max() < 1
