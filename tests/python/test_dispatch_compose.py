"""Dispatch rules that pick a composed spelling (ODL ``use_compose``), run on both sides.

NumPy's defaults that the target's plain API lacks: ``cumprod``/``flip`` without an axis
(torch needs one), ``arange`` with a step and no stop (no torch overload), ``flip`` over a
tuple of axes (tensorflow.experimental.numpy.flip takes one), ``clip`` with one bound (keras
needs both). A reference to such an op is kept, marked: a rewrite is no value.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

X = np.array([[3.0, -1.0, 2.0], [-1.0, 0.5, 3.0]], dtype=np.float32)


def _torch():
    torch = pytest.importorskip("torch")
    return (lambda a: torch.from_numpy(np.array(a))), (lambda t: t.numpy())


def _tf():
    tf = pytest.importorskip("tensorflow")
    return tf.convert_to_tensor, lambda t: np.asarray(t)


def _keras():
    keras = pytest.importorskip("keras")
    return keras.ops.convert_to_tensor, lambda t: np.asarray(t)


CASES = {
    "cumprod_flat": ("np.cumprod(x)", "torch", _torch, "torch.flatten"),
    "cumprod_none": ("np.cumprod(x, axis=None)", "torch", _torch, "torch.flatten"),
    "cumprod_axis": ("np.cumprod(x, axis=1)", "torch", _torch, "dim=1"),
    "flip_all": ("np.flip(x)", "torch", _torch, "dims="),
    "flip_int": ("np.flip(x, axis=1)", "torch", _torch, "dims=(1,)"),
    "arange_stop": ("np.arange(1, 5, 2)", "torch", _torch, "torch.arange(1"),
    "arange_step": ("np.arange(5, step=2)", "torch", _torch, "torch.arange(0, 5, 2"),
    "arange_plain": ("np.arange(5)", "torch", _torch, "torch.arange(5)"),
    "flip_tuple": ("np.flip(x, axis=(0, 1))", "tensorflow", _tf, "tf.reverse"),
    "flip_one": ("np.flip(x, axis=1)", "tensorflow", _tf, "flip("),
    "clip_min": ("np.clip(x, min=0.0)", "keras", _keras, "maximum"),
    "clip_max": ("np.clip(x, max=1.0)", "keras", _keras, "minimum"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_picks_the_composed_spelling(name, tmp_path):
    expr, target, adapter, spelled = CASES[name]
    to_native, from_native = adapter()
    source = f"import numpy as np\n\n\ndef f(x):\n    return {expr}\n"
    code, report = convert(source, "numpy", target, path=f"{name}.py")
    assert not [d for d in report.diagnostics if d.severity == "warning"], [str(d) for d in report.diagnostics]
    assert spelled in code, code
    want = import_code(source, tmp_path, f"src_{name}").f(X)
    got = from_native(import_code(code, tmp_path, f"dst_{name}").f(to_native(X)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=code)


def test_reference_to_a_rewritten_op_is_kept_marked():
    pytest.importorskip("torch")
    source = "import numpy as np\n\n\ndef f(x):\n    g = np.cumprod\n    return g(x)\n"
    code, report = convert(source, "numpy", "torch", path="ref.py")
    assert "g = np.cumprod  # swc: unmapped numpy.cumprod" in code, code
    assert any("used as a value" in str(d) and "ref.py:5:" in str(d) for d in report.diagnostics)
