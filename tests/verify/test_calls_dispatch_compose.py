"""A dispatch rule's ``use_compose`` is planned as lowering writes it: the last matching
rule picks the composed spelling, or an API, or leaves the variant's own call."""

from __future__ import annotations

import numpy as np
from switcheroo.ontology.odl import DispatchRule, OpSpec, StdArg, Variant
from switcheroo.ontology.verify.calls import build_plan, execute, render_call

X = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
CUMPROD = OpSpec(operation="cumprod", std_args=[StdArg(name="x"), StdArg(name="axis", type="int", default=None)])
FLAT = "numpy.cumprod(numpy.ravel(x), axis=0)"
VARIANT = Variant(api="numpy.cumprod", dispatch_rules=[
    DispatchRule(if_arg="axis", op="absent", value=None, use_compose=FLAT),
    DispatchRule(if_arg="axis", op="eq", value=None, use_compose=FLAT),
])


def test_rule_picks_the_composed_spelling():
    for example in ({"x": X}, {"x": X, "axis": None}):
        plan = build_plan(CUMPROD, "numpy", VARIANT, example)
        assert render_call(plan) == "numpy.cumprod(numpy.ravel(x), axis=0)"
        np.testing.assert_array_equal(execute(plan, example), np.cumprod(X))


def test_no_rule_keeps_the_variant_call():
    example = {"x": X, "axis": 1}
    plan = build_plan(CUMPROD, "numpy", VARIANT, example)
    assert plan.compose is None and plan.api == "numpy.cumprod"
    np.testing.assert_array_equal(execute(plan, example), np.cumprod(X, axis=1))


def test_a_later_use_api_rule_takes_the_case_back():
    variant = VARIANT.model_copy(update={"dispatch_rules": [
        *VARIANT.dispatch_rules, DispatchRule(if_arg="axis", op="absent", value=None, use_api="numpy.cumprod")]})
    plan = build_plan(CUMPROD, "numpy", variant, {"x": X})
    assert plan.compose is None and plan.api == "numpy.cumprod"


def test_a_tensor_argument_equals_no_literal():
    # Lowering sees a tensor as no constant: clip's `min neq None` rule holds for it.
    clip = OpSpec(operation="clip", std_args=[StdArg(name="x"), StdArg(name="min", default=None)])
    variant = Variant(api="numpy.clip", dispatch_rules=[
        DispatchRule(if_arg="min", op="neq", value=None, use_compose="numpy.maximum(x, min)")])
    low = np.array([2.0, 3.0], dtype=np.float32)
    plan = build_plan(clip, "numpy", variant, {"x": X[0, :2], "min": low})
    assert render_call(plan) == "numpy.maximum(x, min)"
