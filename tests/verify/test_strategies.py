"""Input strategies follow the ODL constraints."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from switcheroo.ontology.odl import OpSpec, StdArg
from switcheroo.ontology.verify.argtypes import Role, classify
from switcheroo.ontology.verify.strategies import DTypeName, dtypes_of, inputs_for

FAST = settings(max_examples=40, deadline=None, database=None, derandomize=True)


def spec(*args: dict, **kw) -> OpSpec:
    return OpSpec(operation="op", std_args=[StdArg(**a) for a in args], **kw)


ATTN = spec(
    {"name": "q", "shape_spec": ["B", "T", "D"]},
    {"name": "k", "shape_spec": ["B", "S", "D"]},
    {"name": "bias", "shape_spec": ["T", "S"], "dtype": ["int32"]},
)


@FAST
@given(inputs_for(ATTN))
def test_symbolic_dims_are_shared(ex):
    b, t, d = ex["q"].shape
    assert ex["k"].shape[0] == b and ex["k"].shape[2] == d
    assert ex["bias"].shape == (t, ex["k"].shape[1])
    assert ex["bias"].dtype == np.int32 and ex["q"].dtype == np.float32


BOUNDED = spec(
    {"name": "x", "min": 0.0, "max": 1.0}, {"name": "p", "type": "float", "min": 0.5, "max": 2.0}
)


@FAST
@given(inputs_for(BOUNDED))
def test_bounds_hold_and_exclude_specials(ex):
    assert np.all((ex["x"] >= 0.0) & (ex["x"] <= 1.0))
    assert 0.5 <= ex["p"] <= 2.0


POLES = spec({"name": "x", "exclude": [0, -1, -2]})


@FAST
@given(inputs_for(POLES))
def test_excluded_values_are_never_drawn(ex):
    flushed = np.where(np.abs(ex["x"]) < np.finfo(np.float32).tiny, 0.0, ex["x"])
    assert not np.isin(flushed, [0.0, -1.0, -2.0]).any()


def test_special_values_are_drawn():
    seen: set[str] = set()

    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(inputs_for(spec({"name": "x", "rank": 1})))
    def collect(ex):
        for v in ex["x"].ravel().tolist():
            if math.isnan(v):
                seen.add("nan")
            elif math.isinf(v):
                seen.add("inf")
            elif v == 0 and math.copysign(1, v) < 0:
                seen.add("-0")
            elif 0 < abs(v) < 1.1754944e-38:
                seen.add("subnormal")

    collect()
    assert seen == {"nan", "inf", "-0", "subnormal"}


REDUCE = spec(
    {"name": "x", "dtype": ["float", "int64", "bfloat16"]},
    {"name": "axis", "type": "Optional[Union[int, Tuple[int, ...]]]", "default": None},
    {"name": "keepdims", "type": "bool", "default": False},
    {"name": "mode", "type": "Literal['a', 'b']", "default": "a"},
    {"name": "dtype", "type": "Optional[dtype]", "default": None},
)


@FAST
@given(inputs_for(REDUCE))
def test_axes_fit_the_tensor_and_options_come_from_the_type(ex):
    rank = ex["x"].ndim
    axis = ex.get("axis")
    for a in axis if isinstance(axis, tuple) else () if axis is None else (axis,):
        assert -rank <= a < max(rank, 1)
    assert ex.get("mode", "a") in ("a", "b")
    assert ex["x"].dtype.name in ("float32", "int64")
    assert ex.get("dtype") is None or isinstance(ex["dtype"], DTypeName)


@FAST
@given(inputs_for(spec({"name": "x"}, {"name": "axes", "type": "tuple[int, ...]"})))
def test_permutation(ex):
    assert sorted(ex["axes"]) == list(range(ex["x"].ndim))


@FAST
@given(inputs_for(spec({"name": "x", "rank": 2}, {"name": "shape", "type": "Tuple[int, ...]"})))
def test_shape_is_a_reshape_or_a_broadcast_target(ex):
    shape = ex["shape"]
    try:
        np.reshape(ex["x"], shape)
    except ValueError:
        np.broadcast_to(ex["x"], shape)


@FAST
@given(inputs_for(spec({"name": "xs", "type": "tuple[Tensor, ...]"})))
def test_variadic_tensors_share_a_shape(ex):
    assert 1 <= len(ex["xs"]) <= 3 and len({a.shape for a in ex["xs"]}) == 1


def test_classify_and_dtypes():
    assert classify(StdArg(name="x", type="array")).role is Role.tensor
    assert classify(StdArg(name="arrays", type="Union[Tuple[array, ...], List[array]]")).role is (
        Role.tensors
    )
    assert classify(StdArg(name="dim", type="int")).role is Role.axis
    assert classify(StdArg(name="graph", type="Graph")).role is Role.unsupported
    assert dtypes_of(StdArg(name="x", dtype=["tensor(float)", "double", "integer"])) == (
        "float32",
        "int32",
        "int64",
    )


@given(st.data())
@FAST
def test_broadcast_shapes_are_compatible(data):
    ex = data.draw(inputs_for(spec({"name": "a"}, {"name": "b"})))
    np.broadcast_shapes(ex["a"].shape, ex["b"].shape)


def test_no_nan_or_inf_cast_to_an_integer_dtype():
    # The Array API leaves casting nan and ±inf to an integer type unspecified: where a
    # dtype argument names one, float tensors hold finite values only; else specials stay.
    seen = {"int": 0, "float": 0}
    cumsum = spec({"name": "x"}, {"name": "dtype", "type": "dtype | None", "default": None})

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(inputs_for(cumsum))
    def collect(ex):
        dtype = ex.get("dtype")
        integral = isinstance(dtype, DTypeName) and dtype.name.startswith("int")
        if not np.isfinite(ex["x"]).all():
            assert not integral, ex
            seen["float"] += 1
        elif integral:
            seen["int"] += 1

    collect()
    assert seen["int"] and seen["float"]
