"""The first vertical slice: a torch MLP and a functional snippet -> JAX / Flax NNX, run
on both sides with the same weights and inputs."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import EXAMPLES, convert, import_code

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
nnx = pytest.importorskip("flax.nnx")

SOURCE = (EXAMPLES / "mlp_torch.py").read_text()


@pytest.mark.parametrize("target", ["flax_nnx", "jax"])
def test_mlp_matches_torch(tmp_path, target):
    code, report = convert(SOURCE, "torch", target)
    assert report.count("warning") == 0, [str(d) for d in report.diagnostics]
    src_mod = import_code(SOURCE, tmp_path, f"src_mlp_{target}")
    dst_mod = import_code(code, tmp_path, f"dst_mlp_{target}")
    torch.manual_seed(0)
    ref = src_mod.MLP(6, 16, 3).eval()
    out = dst_mod.MLP(6, 16, 3, rngs=nnx.Rngs(0))
    out.eval()
    check_mlp = import_code((EXAMPLES / "check_mlp.py").read_text(), tmp_path, f"check_mlp_{target}")
    check_mlp.copy_weights(ref, out)
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    want = ref(torch.from_numpy(x)).detach().numpy()
    got = np.asarray(out(jax.numpy.asarray(x)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("target", ["flax_nnx", "jax"])
def test_functional_head_matches_torch(tmp_path, target):
    code, _ = convert(SOURCE, "torch", target)
    src_mod = import_code(SOURCE, tmp_path, f"src_head_{target}")
    dst_mod = import_code(code, tmp_path, f"dst_head_{target}")
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((4, 3), dtype=np.float32), rng.standard_normal((3, 2), dtype=np.float32)
    b = rng.standard_normal((2,), dtype=np.float32)
    want = src_mod.head(*(torch.from_numpy(a) for a in (x, w, b))).numpy()
    got = np.asarray(dst_mod.head(*(jax.numpy.asarray(a) for a in (x, w, b))))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_comments_and_docstrings_kept():
    code, _ = convert(SOURCE, "torch", "flax_nnx")
    for line in ("# Project the input features.", "# only active in training", "# Back to logits.",
                 '"""Two hidden layers with LayerNorm and dropout."""',
                 '"""A small MLP classifier, the bundled demo of switcheroo."""'):
        assert line in code
    assert "torch" not in code
