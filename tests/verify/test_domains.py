"""What swc verify reads beyond an argument's ODL type: domains of generated specs, the
types untyped numpy-style arguments get from their defaults, index dtypes, and the calls
a conversion writes (``lower`` variants, defaults spelled through ``arg_values``)."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from switcheroo.ontology.odl import OpSpec, StdArg, Variant
from switcheroo.ontology.tools.matrix import verified_counts
from switcheroo.ontology.verify.argtypes import Role, classify
from switcheroo.ontology.verify.calls import build_plan, execute, render_call
from switcheroo.ontology.verify.domains import specials_allowed, with_domain
from switcheroo.ontology.verify.strategies import dtypes_of, inputs_for

FAST = settings(max_examples=30, deadline=None, database=None, derandomize=True)


def test_domains_narrow_generated_specs():
    logical = OpSpec(operation="logical_and", std_args=[StdArg(name="x1"), StdArg(name="x2")])
    narrowed = with_domain(logical)
    assert [dtypes_of(a) for a in narrowed.std_args] == [("bool",), ("bool",)]
    window = OpSpec(
        operation="hann_window",
        std_args=[
            StdArg(name="size", dtype=["int32", "int64"]),
            StdArg(name="periodic", type="int", default=1),
        ],
    )
    size, periodic = with_domain(window).std_args
    assert classify(size).role is Role.int_ and (size.min, size.max) == (1, 6)
    assert classify(periodic).choices == (0, 1)
    assert not specials_allowed("det") and specials_allowed("add")
    assert with_domain(OpSpec(operation="random_normal")).nondeterministic


@FAST
@given(inputs_for(with_domain(OpSpec(operation="det", std_args=[StdArg(name="x")]))))
def test_no_special_values_where_the_domain_says_so(ex):
    assert np.all(np.isfinite(ex["x"]))
    assert not np.any((ex["x"] != 0) & (np.abs(ex["x"]) < np.finfo(np.float32).tiny))


def test_untyped_arguments_take_their_defaults_type():
    assert classify(StdArg(name="increasing", default=False)).role is Role.bool_
    assert classify(StdArg(name="ndim", default=2)).role is Role.int_
    assert classify(StdArg(name="mode", default="raise")).choices == ("raise",)
    # Said explicitly, the ODL type wins; a required untyped argument stays a tensor.
    assert classify(StdArg(name="n", type="Tensor", default=2)).role is Role.tensor
    assert classify(StdArg(name="p")).role is Role.tensor
    # Bounds make a shape-named int a plain int.
    assert classify(StdArg(name="size", type="int", min=1)).role is Role.int_


def test_index_tensors_are_int64():
    assert dtypes_of(StdArg(name="indices")) == ("int64",)
    assert dtypes_of(StdArg(name="indices", dtype=["int32"])) == ("int32",)


GELU = OpSpec(
    operation="gelu",
    std_args=[
        StdArg(name="x"),
        StdArg(name="approximate", type="str", default="none", options=["none", "tanh"]),
    ],
)


def test_a_differing_default_is_said_in_the_targets_values():
    variant = Variant(
        api="builtins.dict",
        arg_values={"approximate": {"none": False, "tanh": True}},
        defaults={"approximate": "tanh"},
    )
    plan = build_plan(GELU, "numpy", variant, {"x": np.float32(1)})
    assert plan.kwargs == {"approximate": False}


def test_lowering_uses_the_lower_variant():
    spec = OpSpec(
        operation="max",
        std_args=[StdArg(name="x"), StdArg(name="axis", type="int | None", default=None)],
    )
    variant = Variant(api="numpy.argmax", lower=Variant(api="numpy.amax", args={"x": "a"}))
    x = np.array([[1, 5], [7, 2]], dtype=np.float32)
    plan = build_plan(spec, "numpy", variant, {"x": x, "axis": 1})
    assert render_call(plan) == "numpy.amax(x, axis=1)"
    np.testing.assert_array_equal(execute(plan, {"x": x, "axis": 1}), [5, 7])


def test_matrix_reads_the_verify_report(tmp_path):
    report = tmp_path / "verified_ops.json"
    ops = {
        "add": {"numpy": {"status": "verified"}, "torch": {"status": "verified"}},
        "sub": {"numpy": {"status": "failed"}, "torch": {"status": "verified"}},
    }
    report.write_text(json.dumps({"ops": ops, "summary": {}, "wall_s": 1.0}))
    assert verified_counts(report) == {"numpy": 1, "torch": 2}
