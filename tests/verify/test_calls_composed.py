"""A composed mapping (``compose``, also as a ``lower`` variant) is called as a conversion
writes it: a dropped argument holding a value the expression cannot say is not applicable."""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.ontology.odl import OpSpec, StdArg, Variant
from switcheroo.ontology.verify.calls import NotApplicable, build_plan, execute, render_call

X = np.arange(6, dtype=np.float32).reshape(2, 3)
CUMSUM = OpSpec(
    operation="cumsum",
    std_args=[StdArg(name="x"), StdArg(name="axis", type="int", default=-1)],
)
# Raising reads numpy.cumsum; lowering spells the op over the last axis only.
VARIANT = Variant(
    api="numpy.cumsum",
    lower=Variant(compose="numpy.cumsum(x, axis=-1)", drop_args=["axis"]),
)


def test_lower_compose_runs_where_the_dropped_argument_is_its_default():
    example = {"x": X, "axis": -1}
    plan = build_plan(CUMSUM, "numpy", VARIANT, example)
    assert render_call(plan) == "numpy.cumsum(x, axis=-1)"
    np.testing.assert_array_equal(execute(plan, example), np.cumsum(X, axis=-1))


def test_lower_compose_is_not_applicable_for_another_dropped_value():
    with pytest.raises(NotApplicable, match="axis=0"):
        build_plan(CUMSUM, "numpy", VARIANT, {"x": X, "axis": 0})
