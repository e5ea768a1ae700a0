"""A variadic argument of literals (``broadcast_shapes(*shapes)``) is drawn as Python
tuples and passed one per argument, not as arrays."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from switcheroo.ontology.odl import OpSpec, StdArg, Variant
from switcheroo.ontology.verify.calls import build_plan, execute, render_call
from switcheroo.ontology.verify.strategies import inputs_for

SPEC = OpSpec(
    operation="broadcast_shapes",
    std_args=[StdArg(name="args", type="tuple[int, ...]", is_variadic=True)],
)


def test_shapes_are_passed_as_tuples_one_per_argument():
    example = {"args": [(2, 1), (3,)]}
    plan = build_plan(SPEC, "numpy", Variant(api="numpy.broadcast_shapes"), example)
    assert render_call(plan) == "numpy.broadcast_shapes((2, 1), (3,))"
    assert tuple(execute(plan, example)) == (2, 3)


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_drawn_shapes_broadcast_together(data):
    example = data.draw(inputs_for(SPEC))
    shapes = example["args"]
    assert 1 <= len(shapes) <= 3 and all(isinstance(s, tuple) for s in shapes)
    plan = build_plan(SPEC, "numpy", Variant(api="numpy.broadcast_shapes"), example)
    execute(plan, example)  # raises where the shapes do not broadcast
