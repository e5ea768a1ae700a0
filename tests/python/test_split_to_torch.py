"""The hub's split means numpy's (a count of equal sections, or the split indices); torch's
``split`` takes piece sizes, so converting a jax/numpy split to torch must not spell it
``torch.split``. Both sides run on the same input."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

pytest.importorskip("torch")

SOURCE = """\
import {module} as {alias}


def pieces(x):
    a, b = {alias}.split(x, 2, axis=1)
    c, d, e = {alias}.split(x, [1, 3], axis=0)
    f, g = {alias}.split(x, [2])
    return a * 2.0 + b, c.sum(axis=0) + e.sum(axis=0), d * 3.0, f.sum() - g.sum()
"""


@pytest.mark.parametrize("src,module,alias", [("jax", "jax.numpy", "jnp"), ("numpy", "numpy", "np")])
def test_split_sections_and_indices_to_torch(tmp_path, src, module, alias):
    pytest.importorskip(module)
    import torch

    source = SOURCE.format(module=module, alias=alias)
    code, report = convert(source, src, "torch", path=f"split_{src}.py")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert "torch.split(" not in code
    want_mod = import_code(source, tmp_path, f"split_src_{src}")
    got_mod = import_code(code, tmp_path, f"split_dst_{src}")
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    want = want_mod.pieces(x)
    got = got_mod.pieces(torch.from_numpy(x))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), rtol=1e-5, atol=1e-5)
