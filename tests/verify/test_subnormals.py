"""Frameworks that flush subnormals to zero (XLA, TensorFlow) are compared on flushed inputs too."""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.ontology.odl import OpSpec, StdArg, Variant
from switcheroo.ontology.verify.check import _one
from switcheroo.ontology.verify.strategies import flush_subnormals, has_subnormals

TINY = np.array([1.4e-45, -2.0e-39, 2.0], np.float32)


def test_flush_keeps_sign_and_normals():
    ex = {"x": TINY, "n": 3, "xs": [TINY]}
    assert has_subnormals(ex) and not has_subnormals({"x": np.float32([1.0, 0.0])})
    flushed = flush_subnormals(ex)
    assert flushed["x"].tolist() == [0.0, 0.0, 2.0] and np.signbit(flushed["x"][1])
    assert flushed["n"] == 3 and not has_subnormals(flushed)


def test_ftz_framework_agrees_on_flushed_input():
    pytest.importorskip("jax")
    spec = OpSpec(
        operation="log2",
        std_args=[StdArg(name="x")],
        variants={"numpy": Variant(api="numpy.log2"), "jax": Variant(api="jax.numpy.log2")},
    )
    ex = {"x": TINY}
    with np.errstate(invalid="ignore"):
        expected = np.log2(TINY)  # -149 where XLA says -inf
    ok, why, _ = _one(spec, "numpy", "jax", ex, expected)
    assert ok, why
    wrong = spec.model_copy(
        update={"variants": {**spec.variants, "jax": Variant(api="jax.numpy.log10")}}
    )
    assert not _one(wrong, "numpy", "jax", ex, expected)[0]
