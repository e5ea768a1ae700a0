"""A drawn list of ints (an ``options`` value such as a pooling kernel shape) reaches the
call as Python ints, as a conversion writes it; a list of arrays is a list of tensors."""

from __future__ import annotations

import numpy as np
from switcheroo.ontology.odl import OpSpec, StdArg, Variant
from switcheroo.ontology.verify.calls import build_plan, execute

X = np.arange(6, dtype=np.float32).reshape(2, 3)
SPEC = OpSpec(operation="pool", std_args=[StdArg(name="x"), StdArg(name="k", type="list[int]")])


def test_a_list_of_ints_is_a_literal_in_a_composed_call():
    variant = Variant(compose="numpy.lib.stride_tricks.sliding_window_view(x, k)")
    example = {"x": X, "k": [1, 2]}
    plan = build_plan(SPEC, "numpy", variant, example)
    assert plan.kwargs["k"] == [1, 2]
    assert execute(plan, example).shape == (2, 2, 1, 2)


def test_a_list_of_ints_is_a_literal_in_an_api_call():
    variant = Variant(api="numpy.lib.stride_tricks.sliding_window_view", args={"k": "window_shape"})
    example = {"x": X, "k": [1, 2]}
    plan = build_plan(SPEC, "numpy", variant, example)
    assert [1, 2] in [*plan.args, *plan.kwargs.values()]
    assert execute(plan, example).shape == (2, 2, 1, 2)
