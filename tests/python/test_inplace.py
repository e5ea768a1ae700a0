"""In-place tensor updates unrolled for functional targets (unroll-inplace): the text
reads as an expert writes JAX, and the converted model computes what torch computes."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

pytest.importorskip("torch")

SOURCE = '''\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d: int = 8):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        h = self.fc(x)
        h += x
        h.add_(x, alpha=0.5)
        F.relu(h, inplace=True)
        h[h > 0.5] = 0.0  # cap
        h.clamp_(min=-1.0)
        return self.act(h)
'''


def test_inplace_text_for_jax():
    code, report = convert(SOURCE, "torch", "flax_nnx")
    assert report.count("warning") == 0, [str(d) for d in report.diagnostics]
    body = code.split("def __call__")[1]
    for line in ("h = h + x", "h = jax.nn.relu(h)", "h = h.at[h > 0.5].set(0.0)  # cap", "h = jnp.clip(h, min=-1.0)"):
        assert line in body, body
    assert "inplace" not in code and "add_" not in code and "clamp_" not in code


def test_torch_target_keeps_inplace():
    code, _ = convert(SOURCE, "torch", "torch")
    assert "h += x" in code and "h.add_(x, alpha=0.5)" in code and "h[h > 0.5] = 0.0" in code


def test_inplace_numerics_jax(tmp_path):
    pytest.importorskip("flax.nnx")
    import jax.numpy as jnp
    import torch
    from flax import nnx
    from switcheroo.weights import transfer

    code, _ = convert(SOURCE, "torch", "flax_nnx")
    src = import_code(SOURCE, tmp_path, "inplace_src")
    dst = import_code(code, tmp_path, "inplace_dst")
    torch.manual_seed(0)
    ref = src.Block()
    model = dst.Block(rngs=nnx.Rngs(0))
    transfer(ref, model, src="torch", dst="flax_nnx")
    x = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
    want = ref(torch.from_numpy(x)).detach().numpy()
    got = np.asarray(model(jnp.asarray(x)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert (want == 0).any() and (want > 0).any()  # the mask and the relu both did something


def test_slice_assignment_over_several_axes_becomes_an_index_update():
    """``m[h[0] : h[1], w[0] : w[1]] = c`` (torchvision's swin attention mask) prints as a
    valid ``.at[...]`` update, slices and all."""
    from tests.python.helpers import convert

    src = ("import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    def forward(self, x, h, w):\n"
           "        m = torch.zeros_like(x)\n        m[h[0] : h[1], w[0] : w[1]] = 1.0\n        return m + x\n")
    code, _ = convert(src, "torch", "jax", path="net.py")
    assert "m = m.at[h[0] : h[1], w[0] : w[1]].set(1.0)" in code
