"""A mapping's ODL features become the call a conversion writes, which the verifier runs."""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.ontology.odl import OpSpec, StdArg, Variant
from switcheroo.ontology.verify.calls import (
    NotApplicable,
    PlanError,
    build_plan,
    execute,
    render_call,
)
from switcheroo.ontology.verify.strategies import DTypeName

X = np.arange(6, dtype=np.float32).reshape(2, 3)
SUM = OpSpec(
    operation="sum",
    std_args=[
        StdArg(name="x"),
        StdArg(name="axis", type="int | None", default=None),
        StdArg(name="keepdims", type="bool", default=False),
        StdArg(name="dtype", type="dtype | None", default=None),
    ],
)


def run(spec: OpSpec, variant: dict, example: dict):
    plan = build_plan(spec, "numpy", Variant(**variant), example)
    return plan, execute(plan, example)


def test_leading_required_by_position_rest_by_keyword():
    plan, out = run(SUM, {"api": "numpy.sum", "args": {"x": "a"}}, {"x": X, "axis": 1})
    assert render_call(plan) == "numpy.sum(x, axis=1)"
    np.testing.assert_array_equal(out, X.sum(1))
    # keepdims=False is the default: a conversion leaves it out.
    plan, _ = run(SUM, {"api": "numpy.sum"}, {"x": X, "keepdims": False})
    assert render_call(plan) == "numpy.sum(x)"


def test_target_default_differs_so_the_spec_default_is_said():
    plan, out = run(SUM, {"api": "numpy.sum", "defaults": {"keepdims": True}}, {"x": X})
    assert plan.kwargs == {"keepdims": False} and out.shape == ()


def test_arg_values_dispatch_inject():
    norm = OpSpec(
        operation="norm",
        std_args=[
            StdArg(name="x"),
            StdArg(name="kind", type="str", default="frobenius", options=["frobenius", "nuc"]),
        ],
    )
    v = {
        "api": "numpy.linalg.norm",
        "args": {"kind": "ord"},
        "arg_values": {"kind": {"frobenius": "fro", "nuc": "nuc"}},
    }
    plan, out = run(norm, v, {"x": X, "kind": "nuc"})
    assert plan.kwargs == {"ord": "nuc"}
    np.testing.assert_allclose(out, np.linalg.norm(X, "nuc"), rtol=1e-6)
    rules = [{"if_arg": "axis", "op": "eq", "value": 0, "use_api": "numpy.max"}]
    plan, out = run(SUM, {"api": "numpy.sum", "dispatch_rules": rules}, {"x": X, "axis": 0})
    assert plan.api == "numpy.max" and out.tolist() == [3.0, 4.0, 5.0]
    plan, _ = run(SUM, {"api": "numpy.sum", "inject_args": {"initial": 1.0}}, {"x": X})
    assert render_call(plan) == "numpy.sum(x, initial=1.0)"


def test_drop_args_only_drop_defaults():
    v = {"api": "numpy.sum", "drop_args": ["keepdims"]}
    plan, _ = run(SUM, v, {"x": X, "keepdims": False})
    assert "keepdims" not in plan.kwargs
    with pytest.raises(NotApplicable, match="keepdims=True"):
        run(SUM, v, {"x": X, "keepdims": True})


def test_pack_layout_select():
    stack = OpSpec(operation="stack", std_args=[StdArg(name="arrays", type="tuple[Tensor, ...]")])
    plan, out = run(stack, {"api": "numpy.stack", "pack_as": "tuple"}, {"arrays": [X, X]})
    assert out.shape == (2, 2, 3) and render_call(plan) == "numpy.stack((arrays[0], arrays[1],))"
    eigh = OpSpec(operation="eigh", std_args=[StdArg(name="x")])
    v = {
        "api": "numpy.linalg.eigh",
        "output_select_index": 0,
        "layout_map": {"args": {"x": "AB->BA"}, "return": "A->A"},
    }
    sym = np.array([[2.0, 1.0], [1.0, 2.0]], np.float32)
    plan, out = run(eigh, v, {"x": sym})
    np.testing.assert_allclose(out, [1.0, 3.0], rtol=1e-6)
    assert "numpy.transpose(x, (1, 0))" in render_call(plan)


def test_dtype_argument_and_missing_api():
    plan, out = run(SUM, {"api": "numpy.sum"}, {"x": X, "dtype": DTypeName("int64")})
    assert out.dtype == np.int64 and render_call(plan) == "numpy.sum(x, dtype=numpy.int64)"
    with pytest.raises(PlanError, match="no attribute 'sumz'"):
        run(SUM, {"api": "numpy.sumz"}, {"x": X})


def test_thread_rng_plugin_threads_a_key():
    pytest.importorskip("jax")
    spec = OpSpec(
        operation="uniform",
        nondeterministic=True,
        std_args=[StdArg(name="shape", type="tuple[int, ...]")],
    )
    variant = Variant(api="jax.random.uniform", requires_plugin=["thread_rng"])
    plan = build_plan(spec, "jax", variant, {"shape": (2, 3)})
    assert render_call(plan) == "jax.random.uniform(jax.random.key(0), (2, 3))"
    assert execute(plan, {"shape": (2, 3)}).shape == (2, 3)
    with pytest.raises(PlanError, match="thread_rng"):
        build_plan(spec, "torch", variant, {"shape": (2, 3)})
