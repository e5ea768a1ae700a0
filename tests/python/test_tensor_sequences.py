"""The frontend's type inference: the items of a tuple or list of tensors (the result of
``chunk``/``split``/``unbind``) are tensors, whether unpacked, subscripted, sliced, looped
over or taken in a comprehension, so their tensor methods convert instead of being marked
as methods on a value of unknown type. Both sides run on the same input."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

pytest.importorskip("torch")

SOURCE = """\
import torch


def pieces(x):
    parts = torch.chunk(x, 2, dim=0)
    first = parts[0].view(-1)
    last = parts[1:][0].view(-1)
    for p in parts:
        first = first + p.view(-1)
    means = [p.mean() for p in torch.unbind(x, dim=1)]
    a, b = torch.split(x, 2, dim=0)
    return first, last, means[0] + means[2], a.view(-1) - b.view(-1)
"""


@pytest.mark.parametrize("target,module", [("numpy", "numpy"), ("jax", "jax.numpy")])
def test_items_of_tensor_sequences_are_tensors(tmp_path, target, module):
    pytest.importorskip(module)
    import torch

    code, report = convert(SOURCE, "torch", target, path="pieces.py")
    assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
    assert "swc: unmapped" not in code
    x = np.arange(12, dtype=np.float32).reshape(4, 3) / 8
    want = import_code(SOURCE, tmp_path, "src").pieces(torch.from_numpy(x))
    got = import_code(code, tmp_path, "dst").pieces(x)
    for w, g in zip(want, got, strict=True):
        np.testing.assert_allclose(np.asarray(g), w.numpy(), rtol=1e-5, atol=1e-5)


def test_a_rebound_name_is_no_longer_a_sequence():
    # ``parts`` rebound to a plain value: its items are of unknown type again.
    source = SOURCE.replace("    first = parts[0]", "    parts = x.shape\n    first = parts[0]")
    _, report = convert(source, "torch", "numpy", path="pieces.py")
    assert any("not known to be a tensor" in d.message for d in report.diagnostics)
