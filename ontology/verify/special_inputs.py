"""Examples for ops whose arguments constrain each other more than ODL fields can say.

``einsum``'s subscripts name the axes of its operands: a string drawn alone would almost
never fit the drawn tensors, so the subscripts are drawn first (one to three operands,
distinct letters per operand, an explicit output of some of the letters in any order)
and each operand's shape follows from them, one size per letter. The values are the
strategies' usual floats (multiples of 1/8, so the sums of products stay exact).
NumPy's ``select`` takes as many conditions as choices, all of one shape, and
``ravel_multi_index`` one index array per entry of ``dims``, each entry below its dim.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from switcheroo.ontology.odl import OpSpec

LETTERS = "abcd"


@st.composite
def _einsum(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    sizes = {c: draw(st.integers(1, 4)) for c in LETTERS}
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        chosen = draw(st.permutations(list(LETTERS)))[: draw(st.integers(0, 3))]
        terms.append("".join(chosen))
    used = sorted({c for t in terms for c in t})
    kept = draw(st.permutations(used))[: draw(st.integers(0, len(used)))]
    subscripts = f"{','.join(terms)}->{''.join(kept)}"
    operands_arg = spec.arg("operands")
    operands = [draw(array(spec, operands_arg, "float32", tuple(sizes[c] for c in t))) for t in terms]
    return {"subscripts": subscripts, "operands": operands}


# op -> strategy(spec, array) for one whole example; ``array`` is strategies' tensor maker.
SPECIAL: dict[str, Callable[..., st.SearchStrategy[dict[str, Any]]]] = {
    "einsum": _einsum,
}


@st.composite
def _select(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """NumPy's select: as many boolean conditions as choices, all of one shape."""
    shape = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, 3))))
    n = draw(st.integers(1, 3))
    conds = [draw(array(spec, spec.arg("condlist"), "bool", shape)) for _ in range(n)]
    choices = [draw(array(spec, spec.arg("choicelist"), "float32", shape)) for _ in range(n)]
    out: dict[str, Any] = {"condlist": conds, "choicelist": choices}
    if draw(st.booleans()):
        out["default"] = draw(st.integers(-16, 16)) / 8
    return out


@st.composite
def _ravel_multi_index(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """One int index array per entry of ``dims``, each entry below its dim."""
    dims = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 3))))
    shape = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2))))
    index = [
        np.array(draw(st.lists(st.integers(0, d - 1), min_size=math.prod(shape), max_size=math.prod(shape))),
                 dtype=np.int64).reshape(shape)
        for d in dims
    ]
    return {"multi_index": index, "dims": dims}


SPECIAL.update({"ravel_multi_index": _ravel_multi_index, "select": _select})


@st.composite
def _broadcast_shapes(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """NumPy's broadcast_shapes: one to three shapes (tuples of ints) that broadcast
    together, each the common shape with some leading dims dropped and some dims 1."""
    common = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, 3))))
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        dims = common[draw(st.integers(0, len(common))):]
        shapes.append(tuple(1 if draw(st.booleans()) else d for d in dims))
    return {"args": shapes}


SPECIAL["broadcast_shapes"] = _broadcast_shapes
