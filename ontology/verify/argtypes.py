"""What kind of value each standard argument takes, read from its ODL type and name.

ODL types are free text (``Tensor``, ``int | tuple[int, ...] | None``, ``tuple[array,
...]``); this module turns one into an :class:`ArgKind` that the input strategies know how
to draw. A few argument *names* carry relations the type cannot (``axis`` is an axis of
the first tensor, ``shape`` a shape its data can take); those rules are the tables below.
Any other tuple of ints (``tile``'s ``reps``) has one entry per axis of the first tensor.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from switcheroo.ontology.odl import StdArg


class Role(str, Enum):
    tensor = "tensor"
    tensors = "tensors"
    axis = "axis"
    axes = "axes"
    perm = "perm"
    shape = "shape"
    ints = "ints"  # a tuple of small positive ints, one per axis of the first tensor
    int_ = "int"
    float_ = "float"
    bool_ = "bool"
    dtype = "dtype"
    option = "option"
    unsupported = "unsupported"


@dataclass(frozen=True)
class ArgKind:
    """How to draw one argument: its role, whether None is a value, whether it may be left
    out (it has a default), and for axis-like roles whether a tuple is allowed too."""

    role: Role
    nullable: bool = False
    optional: bool = False
    tuple_ok: bool = False
    why: str = ""
    choices: tuple[Any, ...] = ()


# Names whose integers are axes of the first tensor argument.
AXIS_NAMES = frozenset(
    {
        "axis",
        "axes",
        "dim",
        "dims",
        "axis1",
        "axis2",
        "axisa",
        "axisb",
        "axisc",
        "source",
        "destination",
        "start_dim",
        "end_dim",
        "start_axis",
        "end_axis",
    }
)
# Names whose required tuple of axes is a permutation of all axes.
PERM_NAMES = frozenset({"axes", "perm", "dims", "permutation"})
# Names whose integer tuple is a target shape for the first tensor's data.
SHAPE_NAMES = frozenset({"shape", "newshape", "new_shape", "size", "sizes"})

_TENSOR_WORDS = frozenset({"tensor", "array", "arraylike", "ndarray"})
_SCALAR_WORDS = {
    "int": Role.int_,
    "float": Role.float_,
    "bool": Role.bool_,
    "dtype": Role.dtype,
    "number": Role.float_,
    "scalar": Role.float_,
}


def _split_union(text: str) -> list[str]:
    """Top-level ``|`` alternatives, with ``Optional[X]`` / ``Union[..]`` unwrapped."""
    text = text.strip()
    m = re.fullmatch(r"(?:typing\.)?Optional\[(.*)\]", text)
    if m:
        return [*_split_union(m.group(1)), "None"]
    m = re.fullmatch(r"(?:typing\.)?Union\[(.*)\]", text)
    sep = "," if m else "|"
    body = m.group(1) if m else text
    parts, depth, cur = [], 0, ""
    for ch in body:
        depth += ch == "["
        depth -= ch == "]"
        if ch == sep and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    nested = ("Optional[", "Union[", "typing.Optional[", "typing.Union[")
    return [
        q for p in parts for q in (_split_union(p) if "|" in p or p.startswith(nested) else [p])
    ]


def _token(alt: str) -> str:
    """One union alternative reduced to: tensor, tensors, ints, a scalar word, none, other."""
    low = alt.lower().replace(" ", "")
    seq = re.fullmatch(r"(?:tuple|list|sequence|typing\.sequence)\[(.*?)(?:,\.\.\.)?\]", low)
    if seq:
        inner = seq.group(1).split(",")[0]
        if inner in _TENSOR_WORDS or inner.startswith("tensor"):
            return "tensors"
        return "ints" if inner == "int" else "other"
    if low in ("none", "nonetype"):
        return "none"
    base = low.split("[")[0].split(".")[-1]
    if base in _TENSOR_WORDS or base.startswith("tensor"):
        return "tensor"
    return base if base in _SCALAR_WORDS or base == "str" else "other"


_DEFAULT_TYPES = {bool: "bool", int: "int", float: "float"}


def _declared_type(arg: StdArg) -> str:
    """The argument's ODL type; where the ODL leaves it out (it then reads ``Tensor``) and
    the default is a plain bool, int, float or string, the default's type (an axis-named
    argument defaulting to None is an axis, axes or None)."""
    if "type" in arg.model_fields_set or not arg.has_default:
        return arg.type
    if arg.name.lower() in AXIS_NAMES and arg.default is None:
        return "int | tuple[int, ...] | None"  # numpy's axis=None: one axis, several, or all
    if isinstance(arg.default, str):
        return f"Literal[{arg.default!r}]"
    return _DEFAULT_TYPES.get(type(arg.default), arg.type)


def classify(arg: StdArg) -> ArgKind:
    """The :class:`ArgKind` of one standard argument."""
    optional = arg.has_default
    arg_type = _declared_type(arg)
    tokens = {_token(a) for a in _split_union(arg_type)}
    nullable = "none" in tokens or (optional and arg.default is None)
    if arg.options:
        return ArgKind(Role.option, nullable, optional, choices=tuple(arg.options))
    literal = re.fullmatch(r"(?:typing\.)?Literal\[(.*)\]", arg_type.strip())
    if literal:
        try:
            values = ast.literal_eval(f"({literal.group(1)},)")
        except (ValueError, SyntaxError):
            values = ()
        if values:
            return ArgKind(Role.option, nullable, optional, choices=tuple(values))
    if "tensors" in tokens or ("tensor" in tokens and arg.is_variadic):
        return ArgKind(Role.tensors, nullable, optional)
    if "tensor" in tokens:
        return ArgKind(Role.tensor, nullable, optional)
    name = arg.name.lower()
    bounded = arg.min is not None or arg.max is not None  # ODL bounds beat the name rules
    if name in SHAPE_NAMES and tokens & {"ints", "int"} and not bounded:
        return ArgKind(Role.shape, nullable, optional)
    # tensordot's axes is a count or a pair of lists, not an axis: only pure int types.
    axis_like = tokens & {"ints", "int"} and tokens <= {"ints", "int", "none"}
    if name in AXIS_NAMES and axis_like and not bounded:
        if name in PERM_NAMES and tokens & {"ints"} and "int" not in tokens and not optional:
            return ArgKind(Role.perm, nullable, optional)
        role = Role.axis if "int" in tokens else Role.axes
        return ArgKind(role, nullable, optional, tuple_ok="ints" in tokens)
    for word in ("bool", "int", "float", "number", "scalar", "dtype"):
        if word in tokens:
            return ArgKind(_SCALAR_WORDS[word], nullable, optional)
    if tokens - {"none"} == {"ints"}:
        return ArgKind(Role.ints, nullable, optional)
    if tokens == {"none"}:
        return ArgKind(Role.option, True, optional)
    return ArgKind(Role.unsupported, nullable, optional, why=f"type {arg_type!r}")
