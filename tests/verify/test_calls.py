"""A mapping's ODL features become the call the verifier runs and prints."""

from __future__ import annotations

import numpy as np
import pytest

from switcheroo.ontology.odl import OpSpec, StdArg, Variant
from switcheroo.ontology.verify.calls import PlanError, build_plan, execute, render_call
from switcheroo.ontology.verify.strategies import DTypeName


def spec(*names: str, **types: str) -> OpSpec:
    args = [StdArg(name=n, type=types.get(n, "Tensor")) for n in names]
    return OpSpec(operation="op", std_args=args)


X = np.arange(6, dtype=np.float32).reshape(2, 3)


def run(s: OpSpec, v: dict, ex: dict):
    plan = build_plan(s, "numpy", Variant(**v), ex)
    return plan, execute(plan, ex)


def test_positional_only_and_renames():
    plan, out = run(spec("x", "axis", axis="int"), {"api": "numpy.sum", "args": {"x": "a"}},
                    {"x": X, "axis": 1})
    assert plan.kwargs.keys() == {"a", "axis"}
    np.testing.assert_array_equal(out, X.sum(1))
    ufunc, out = run(spec("x1", "x2"), {"api": "numpy.add"}, {"x1": X, "x2": X})
    assert len(ufunc.args) == 2 and not ufunc.kwargs  # numpy.add(x1, x2, /)
    assert render_call(ufunc) == "numpy.add(x1, x2)"


def test_arg_values_dispatch_inject_drop():
    s = spec("x", "how", "copy", how="str", copy="bool")
    v = {
        "api": "numpy.max",
        "args": {"x": "a"},
        "arg_values": {"how": {"low": "'min'"}},
        "dispatch_rules": [{"if_arg": "how", "op": "eq", "value": "low", "use_api": "numpy.min"}],
        "drop_args": ["how", "copy"],
        "inject_args": {"keepdims": True},
    }
    plan, out = run(s, v, {"x": X, "how": "low", "copy": True})
    assert plan.api == "numpy.min" and plan.kwargs == {"a": plan.kwargs["a"], "keepdims": True}
    np.testing.assert_array_equal(out, [[0.0]])


def test_pack_layout_select_cast():
    s = spec("arrays", arrays="tuple[Tensor, ...]")
    plan, out = run(s, {"api": "numpy.stack", "pack_as": "tuple"}, {"arrays": [X, X]})
    assert out.shape == (2, 2, 3) and render_call(plan) == "numpy.stack(arrays=(arrays[0], arrays[1],))"
    v = {"api": "numpy.linalg.eigh", "args": {"x": "a"}, "output_select_index": 0, "output_cast": "jnp.float64",
         "layout_map": {"args": {"x": "AB->BA"}, "return": "A->A"}}
    sym = np.array([[2.0, 1.0], [1.0, 2.0]], np.float32)
    plan, out = run(spec("x"), v, {"x": sym})
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [1.0, 3.0], rtol=1e-6)
    assert "numpy.transpose(x, (1, 0))" in render_call(plan)


def test_dtype_argument_and_missing_api():
    plan, out = run(spec("x", "dtype", dtype="dtype"), {"api": "numpy.sum", "args": {"x": "a"}},
                    {"x": X, "dtype": DTypeName("int64")})
    assert out.dtype == np.int64 and "dtype=numpy.int64" in render_call(plan)
    with pytest.raises(PlanError, match="no attribute 'sumz'"):
        run(spec("x"), {"api": "numpy.sumz"}, {"x": X})
