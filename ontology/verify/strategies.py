"""Hypothesis strategies drawn from a spec's ODL constraints.

One example is a dict from standard argument name to a value: NumPy arrays for tensors,
a list of arrays for variadic tensors, :class:`DTypeName` for dtype arguments, plain
Python for the rest; an argument left out (so every framework uses its default) is absent.

Floats are drawn from multiples of 1/8 in [-8, 8]: sums and products of a few of them are
exact in float32, so a difference in summation order never looks like a wrong mapping,
while a wrong axis, operand or function still does. Special values (signed zeros, ±inf,
nan, subnormals) are sprinkled in unless the argument has bounds or the spec says
``special_values: false``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from switcheroo.ontology.odl import OpSpec, StdArg
from switcheroo.ontology.verify import domains, special_inputs
from switcheroo.ontology.verify.argtypes import ArgKind, Role, classify

MAX_DIM = 4
MAX_RANK = 3
FLOAT_SPECIALS = (0.0, -0.0, math.inf, -math.inf, math.nan, 1.4e-45, -2.0e-39, 1.1754944e-38)
# Dtypes we draw; others in an ODL list are ignored (see docs/verify.md).
GENERATED = ("float32", "int32", "int64", "int16", "int8", "uint8", "bool")
# An argument that takes complex numbers only gets complex64 (real and imaginary parts
# drawn as floats); lists that also name a real dtype keep to the real ones.
COMPLEX_NAMES = frozenset({"complex64", "tensor(complex64)", "complex"})
_CATEGORIES = {
    "float": ("float32",),
    "floating": ("float32",),
    "real floating": ("float32",),
    "real_floating": ("float32",),
    "integer": ("int32", "int64"),
    "int": ("int32", "int64"),
    "signed integer": ("int32", "int64"),
    "unsigned integer": ("uint8",),
    "numeric": ("float32", "int32"),
    "real": ("float32", "int32"),
    "number": ("float32", "int32"),
    "boolean": ("bool",),
    "bool": ("bool",),
    "all": ("float32", "int32", "bool"),
    "any": ("float32", "int32", "bool"),
}


@dataclass(frozen=True)
class DTypeName:
    """A dtype passed as an argument, by its NumPy name."""

    name: str


class Unsupported(ValueError):
    """The spec has an argument the verifier cannot draw values for."""


# Tensor names that mean a boolean selector when the ODL names no dtype (where, masks).
BOOL_NAMES = frozenset({"condition", "cond", "mask", "where"})
# Tensor names that mean integer positions when the ODL names no dtype: int64, the index
# dtype every framework accepts (torch's take/gather/put take no other).
INDEX_NAMES = frozenset({"indices", "index", "ind"})


def dtypes_of(arg: StdArg, untyped: tuple[str, ...] = ("float32",)) -> tuple[str, ...]:
    """The generated dtypes an argument accepts (``untyped`` when the ODL says nothing)."""
    if not arg.dtype:
        if arg.name.lower() in INDEX_NAMES:
            return ("int64",)
        return ("bool",) if arg.name.lower() in BOOL_NAMES else untyped
    out: list[str] = []
    for raw in arg.dtype:
        name = str(raw).strip().lower()
        if name.startswith("tensor(") and name.endswith(")"):
            name = name[7:-1]
        for d in _CATEGORIES.get(name, (name,)):
            if d in GENERATED and d not in out:
                out.append(d)
    if not out and any(str(d).strip().lower() in COMPLEX_NAMES for d in arg.dtype):
        return ("complex64",)  # complex only (view_as_real): drawn; never mixed into others
    return tuple(out)


def _floats(arg: StdArg) -> st.SearchStrategy[float]:
    lo = -64 if arg.min is None else math.ceil(arg.min * 8)
    hi = 64 if arg.max is None else math.floor(arg.max * 8)
    if lo > hi:
        raise Unsupported(f"arg {arg.name}: empty range [{arg.min}, {arg.max}]")
    excluded = set(arg.exclude or ())
    return st.integers(lo, hi).map(lambda k: k / 8).filter(lambda v: v not in excluded)


def _ints(arg: StdArg, dtype: str) -> st.SearchStrategy[int]:
    lo = (0 if dtype.startswith("uint") else -16) if arg.min is None else math.ceil(arg.min)
    hi = 16 if arg.max is None else math.floor(arg.max)
    return st.integers(lo, hi)


def _specials(arg: StdArg) -> list[float]:
    """FLOAT_SPECIALS less the argument's ``exclude`` values, a subnormal counted as the
    zero that JAX and TensorFlow flush it to."""
    tiny = float(np.finfo(np.float32).tiny)
    return [s for s in FLOAT_SPECIALS if (0.0 if abs(s) < tiny else s) not in (arg.exclude or ())]


def _specials_allowed(spec: OpSpec, arg: StdArg) -> bool:
    # Bounds say the argument lives in a range; specials would leave it.
    if arg.min is not None or arg.max is not None or arg.structure is not None:
        return False
    return domains.specials_allowed(spec.operation)


@st.composite
def _array(draw: Any, spec: OpSpec, arg: StdArg, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    if dtype == "bool":
        return draw(hnp.arrays(np.bool_, shape))
    if dtype.startswith(("int", "uint")):
        return draw(hnp.arrays(np.dtype(dtype), shape, elements=_ints(arg, dtype)))
    if dtype == "complex64":
        parts = [draw(hnp.arrays(np.float32, shape, elements=_floats(arg))) for _ in range(2)]
        return (parts[0] + np.complex64(1j) * parts[1]).astype(np.complex64)
    if arg.structure in ("symmetric", "positive_definite") and len(shape) >= 2:
        shape = (*shape[:-1], shape[-2])  # square matrices
    arr = draw(hnp.arrays(np.float32, shape, elements=_floats(arg)))
    if arr.size and _specials_allowed(spec, arg) and draw(st.integers(0, 3)) == 3:
        flat = arr.reshape(-1)
        for i in draw(st.lists(st.integers(0, arr.size - 1), min_size=1, max_size=3)):
            flat[i] = draw(st.sampled_from(_specials(arg)))
    return _structured(arr, arg.structure)


def _structured(a: np.ndarray, structure: str | None) -> np.ndarray:
    """``a`` made strictly increasing along its last axis (sorted, plus i/8 at index i),
    symmetric ((a + aᵀ) / 2) or positive definite (a·aᵀ + n·I) over its last two axes;
    multiples of 1/8 stay exact in float32 in each."""
    if structure == "increasing" and a.ndim:
        return np.sort(a, axis=-1) + np.arange(a.shape[-1], dtype=np.float32) / np.float32(8)
    if structure is None or a.ndim < 2:
        return a
    at = np.swapaxes(a, -1, -2)
    if structure == "symmetric":
        return (a + at) / np.float32(2)
    n = a.shape[-1]
    return (a @ at + np.float32(n) * np.eye(n, dtype=np.float32)).astype(np.float32)


def _subnormal(a: np.ndarray) -> np.ndarray:
    return (a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)


def has_subnormals(example: dict[str, Any]) -> bool:
    """Whether any float input holds a subnormal value."""
    arrays = [a for v in example.values() for a in (v if isinstance(v, list) else [v])]
    return any(
        isinstance(a, np.ndarray) and a.dtype.kind == "f" and bool(_subnormal(a).any())
        for a in arrays
    )


def flush_subnormals(example: dict[str, Any]) -> dict[str, Any]:
    """``example`` with subnormal inputs replaced by zeros of the same sign (FTZ/DAZ)."""

    def flush(a: Any) -> Any:
        if isinstance(a, list):
            return [flush(x) for x in a]
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            return np.where(_subnormal(a), np.copysign(np.zeros_like(a), a), a)
        return a

    return {k: flush(v) for k, v in example.items()}


def _broadcast_variant(draw: Any, base: tuple[int, ...], min_rank: int) -> tuple[int, ...]:
    """``base`` itself (most often, and what shrinking goes to), or a shape that
    broadcasts to it: some dims set to 1, or leading dims dropped."""
    how = draw(st.integers(0, 3))
    if how == 2 and base:
        ones = draw(st.lists(st.booleans(), min_size=len(base), max_size=len(base)))
        return tuple(1 if o else d for d, o in zip(base, ones, strict=True))
    if how == 3 and len(base) > min_rank:
        return base[draw(st.integers(1, len(base) - min_rank)) :]
    return base


def _shape_of(draw: Any, dims: dict[str, Any], spec_dims: list[str]) -> tuple[int, ...]:
    out: list[int] = []
    for sym in spec_dims:
        sym = str(sym).strip()
        if sym in ("...", "*"):
            out.extend(dims["..."])
        elif sym.isdigit():
            out.append(int(sym))
        else:
            if sym not in dims:
                dims[sym] = draw(st.integers(1, MAX_DIM))
            out.append(dims[sym])
    return tuple(out)


def _axes_of(draw: Any, kind: ArgKind, rank: int) -> Any:
    if kind.role is Role.perm:
        return tuple(draw(st.permutations(list(range(rank)))))
    if rank == 0:  # no axis exists; inputs_for keeps required axes off 0-d tensors
        return None
    as_tuple = kind.role is Role.axes or (kind.tuple_ok and draw(st.booleans()))
    if not as_tuple:
        return draw(st.integers(-rank, rank - 1))
    chosen = draw(st.permutations(list(range(rank))))[: draw(st.integers(1, rank))]
    return tuple(a - rank if draw(st.booleans()) else a for a in chosen)


def _target_shape(draw: Any, shape: tuple[int, ...] | None) -> tuple[int, ...]:
    if shape is None:
        return tuple(draw(st.lists(st.integers(1, MAX_DIM), max_size=MAX_RANK)))
    if draw(st.booleans()):  # a broadcast target: new leading dims, 1s widened
        lead = draw(st.lists(st.integers(1, 3), max_size=2))
        return (*lead, *(draw(st.integers(1, 3)) if d == 1 else d for d in shape))
    dims = list(draw(st.permutations(list(shape))))  # a reshape: same elements, regrouped
    if len(dims) > 1 and draw(st.booleans()):
        dims[:2] = [dims[0] * dims[1]]
    if dims and draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return tuple(dims)


def _int_tuple(draw: Any, arg: StdArg, first_shape: tuple[int, ...] | None) -> tuple[int, ...]:
    """One int per axis of the first tensor (1 to 3 of them without one), in the argument's
    ``[min, max]`` or 1..3."""
    n = len(first_shape) if first_shape is not None else draw(st.integers(1, 3))
    lo = 1 if arg.min is None else math.ceil(arg.min)
    hi = lo + 2 if arg.max is None else math.floor(arg.max)
    return tuple(draw(st.integers(lo, hi)) for _ in range(n))


def _scalar(draw: Any, kind: ArgKind, arg: StdArg) -> Any:
    if kind.role is Role.option:
        return draw(st.sampled_from(list(kind.choices or [None])))
    if kind.role is Role.bool_:
        return draw(st.booleans())
    if kind.role is Role.int_:
        lo = 0 if arg.min is None else math.ceil(arg.min)
        return draw(st.integers(lo, lo + 4 if arg.max is None else math.floor(arg.max)))
    if kind.role is Role.float_:
        return draw(_floats(arg))
    if kind.role is Role.dtype:
        return DTypeName(draw(st.sampled_from(["float32", "int32", "int64"])))
    raise Unsupported(f"arg {arg.name}: {kind.why or kind.role.value}")


def check_supported(spec: OpSpec) -> None:
    """Raise :class:`Unsupported` when some required argument cannot be drawn."""
    if spec.operation in special_inputs.SPECIAL:
        return
    for arg in spec.std_args:
        kind = classify(arg)
        if kind.role is Role.unsupported and not kind.optional:
            raise Unsupported(f"arg {arg.name}: cannot draw values of {kind.why}")
        if kind.role in (Role.tensor, Role.tensors) and not dtypes_of(arg) and not kind.optional:
            raise Unsupported(f"arg {arg.name}: no generated dtype in {arg.dtype}")


def _names_an_axis(arg: StdArg, kind: ArgKind) -> bool:
    """A required axis argument, or one whose default is an axis (argsort's -1)."""
    if kind.role not in (Role.axis, Role.axes):
        return False
    return not (kind.optional or kind.nullable) or (kind.optional and arg.default is not None)


@st.composite
def inputs_for(draw: Any, spec: OpSpec, untyped: tuple[str, ...] = ("float32",)) -> dict[str, Any]:
    """One example of the op's standard arguments (see the module docstring); tensors
    whose ODL names no dtype get one of ``untyped``."""
    if spec.operation in special_inputs.SPECIAL:
        return draw(special_inputs.SPECIAL[spec.operation](spec, _array))
    kinds = {a.name: classify(a) for a in spec.std_args}
    dims: dict[str, Any] = {"...": tuple(draw(st.lists(st.integers(1, 3), max_size=2)))}
    tensor_args = [a for a in spec.std_args if kinds[a.name].role in (Role.tensor, Role.tensors)]
    min_rank = max((a.rank or 0 for a in tensor_args if not a.shape_spec), default=0)
    if any(_names_an_axis(a, kinds[a.name]) for a in spec.std_args):
        min_rank = max(min_rank, 1)  # a 0-d tensor has no axis to name
    rank = draw(st.integers(min_rank, max(min_rank, MAX_RANK)))
    square = draw(st.booleans())  # equal dims make matmul-like ops valid without a shape_spec
    side = draw(st.integers(1, MAX_DIM))
    base = tuple(side if square else draw(st.integers(1, MAX_DIM)) for _ in range(rank))
    shared = draw(
        st.sampled_from(sorted({d for a in tensor_args for d in dtypes_of(a, untyped)}) or ["x"])
    )
    out: dict[str, Any] = {}
    first_shape: tuple[int, ...] | None = None
    for arg in spec.std_args:
        kind = kinds[arg.name]
        if kind.role not in (Role.tensor, Role.tensors):
            continue  # drawn below, once the tensors' ranks are known
        if kind.optional and draw(st.booleans()):
            continue  # left out: every framework uses its own default
        if kind.nullable and not kind.optional and draw(st.integers(0, 3)) == 0:
            out[arg.name] = None
            continue
        allowed = dtypes_of(arg, untyped)
        dtype = shared if shared in allowed else draw(st.sampled_from(allowed))
        if arg.shape_spec:
            shape = _shape_of(draw, dims, arg.shape_spec)
        elif arg.rank is not None:
            shape = base[len(base) - arg.rank :]
        else:
            shape = _broadcast_variant(draw, base, min_rank)
        if kind.role is Role.tensors:
            count = draw(st.integers(1, 3))
            out[arg.name] = [draw(_array(spec, arg, dtype, shape)) for _ in range(count)]
        else:
            out[arg.name] = draw(_array(spec, arg, dtype, shape))
        first_shape = shape if first_shape is None else first_shape
    for arg in spec.std_args:
        kind = kinds[arg.name]
        if arg.name in out or kind.role in (Role.tensor, Role.tensors, Role.unsupported):
            continue
        if kind.optional and draw(st.booleans()):
            continue
        if kind.nullable and draw(st.integers(0, 3)) == 0:
            out[arg.name] = None
        elif kind.role in (Role.axis, Role.axes, Role.perm):
            rank = len(first_shape or ())
            if rank == 0 and kind.role is not Role.perm and kind.optional:
                continue  # a 0-d tensor has no axis to name
            out[arg.name] = _axes_of(draw, kind, rank)
        elif kind.role is Role.shape:
            out[arg.name] = _target_shape(draw, first_shape)
        elif kind.role is Role.ints:
            if kind.optional:
                continue  # pads, strides, ...: their length is the op's business; default
            out[arg.name] = _int_tuple(draw, arg, first_shape)
        elif (implicit := _implicit_values(spec, arg)) and draw(st.booleans()):
            out[arg.name] = draw(st.sampled_from(implicit))
        else:
            out[arg.name] = _scalar(draw, kind, arg)
    return _integral_cast_defined(out)


def _integral_cast_defined(example: dict[str, Any]) -> dict[str, Any]:
    """``example`` with nan and ±inf in float tensors made 0 where a dtype argument names
    an integer type: the Array API's astype says "Casting floating-point NaN and infinity
    values to integral data types is not specified and is implementation-dependent"
    (NumPy gives the most negative integer, JAX and torch 0), so no result is defined there."""
    if not any(isinstance(v, DTypeName) and v.name.startswith(("int", "uint")) for v in example.values()):
        return example

    def finite(a: Any) -> Any:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            return np.where(np.isfinite(a), a, a.dtype.type(0))
        return [finite(p) for p in a] if isinstance(a, list) else a

    return {k: finite(v) for k, v in example.items()}


def _implicit_values(spec: OpSpec, arg: StdArg) -> list[Any]:
    """The values of a required argument that a mapping dropping it computes with (its
    ``defaults``: Keras ``truncated_normal``'s bounds -2 and 2), drawn half of the time so
    that such a mapping is exercised at all; sorted, without repeats."""
    if arg.has_default:
        return []
    found = {v.defaults[arg.name] for v in spec.variants.values()
             if arg.name in v.drop_args and arg.name in v.defaults}
    return sorted(found, key=repr)
