"""The symbolic values of ``sass_block_eval`` and the lifted ops' meaning on them.

- ``int``: a concrete integer, unsigned, of its type's width;
- ``Lin``: a symbolic integer's mathematical value (a ``sass_affine`` polynomial; index
  arithmetic is assumed not to wrap); ``Half``: a word of a symbolic 64-bit one (the
  pair is rebuilt by ``zext(lo) | zext(hi) << 32``, and two adjacent bank-0 words are one
  64-bit leaf); the carry out of a 32-bit sum of such values is 0;
- ``Lit``: a predicate ``q < 0`` over mathematical values (``signed``: how the compared
  words were read); its negation is ``-q - 1 < 0``; ``Sel``: a select on a ``Lit``, which
  every other op distributes over (the operands' selects on the same ``Lit`` resolved);
- ``Acc``: a float that is a reduction (``kind`` ``add`` or ``max``; None for a single
  element) of guarded element atoms ``(pointer, index polynomial, guards)`` with
  multiplicities: ``+0.0`` is the empty sum, ``-inf`` the empty max, a select on a
  ``Lit`` guards each side's atoms; ``FConst`` any other float constant.
"""

from __future__ import annotations

import math as pymath
import struct
from collections import Counter
from dataclasses import dataclass

from switcheroo.passes import sass_affine as affine
from switcheroo.passes.sass_warp_reduce import NoIdiom
from xdsl.dialects.builtin import IntegerType
from xdsl.ir import SSAValue

NEG_INF_BITS = 0xFF800000
# Two adjacent bank-0 words read as one 64-bit value: a pointer parameter, or another
# constant-bank pair (the global-memory descriptor of sm_90+).
_PAIRS = {"param": "ptr", "cbank": "cbank64"}
@dataclass(frozen=True)
class Lin:
    p: frozenset

    @property
    def poly(self) -> dict:
        return dict(self.p)


@dataclass(frozen=True)
class Half:
    p: frozenset
    part: str  # "lo", "hi" (shifted down) or "hi<<32"


@dataclass(frozen=True)
class Lit:
    q: frozenset
    signed: bool


@dataclass(frozen=True)
class Sel:
    cond: Lit
    a: object
    b: object


@dataclass(frozen=True)
class Acc:
    kind: str | None
    atoms: frozenset  # of ((ptr, frozen index poly, frozenset of Lit guards), count)

    def counter(self) -> Counter:
        return Counter(dict(self.atoms))


@dataclass(frozen=True)
class Poison:
    """A float computed from a value that is not one (a guarded op in the threads whose
    guard fails, whose result a select then drops): any use of it stops the proof."""

    why: str


@dataclass(frozen=True)
class FConst:
    value: float


def lin(p: dict):
    """A polynomial as a value: an ``int`` when constant (callers mask it)."""
    c = affine.constant_of(p)
    return c if c is not None else Lin(frozenset(p.items()))


def negate(lit: Lit) -> Lit:
    """``not (q < 0)`` is ``-q - 1 < 0`` over the integers."""
    return Lit(frozenset(affine.add(affine.const(-1), {m: -c for m, c in lit.q}).items()),
               lit.signed)  # fmt: skip


def _width(v: SSAValue) -> int:
    return v.type.width.data if isinstance(v.type, IntegerType) else 32


def _signed(v: int, w: int) -> int:
    v &= (1 << w) - 1
    return v - (1 << w) if w > 1 and v >> (w - 1) else v


def _poly(x, w: int, signed: bool = True) -> dict:
    if isinstance(x, int):
        return affine.const(_signed(x, w) if signed else x)
    if isinstance(x, Lin):
        return x.poly
    raise NoIdiom("integer that is not a polynomial")


def as_acc(x) -> Acc:
    """A float value as a reduction (concrete words: +0.0 and -inf are the identities)."""
    if isinstance(x, Acc):
        return x
    if isinstance(x, Poison):
        raise NoIdiom(x.why)
    if isinstance(x, int) and x & 0xFFFFFFFF == 0:
        return Acc("add", frozenset())
    if isinstance(x, int) and x & 0xFFFFFFFF == NEG_INF_BITS:
        return Acc("max", frozenset())
    raise NoIdiom("float that is not a reduction of elements")


def _kind(a: Acc, b: Acc, want: str | None = None) -> str | None:
    kinds = {k for k in (a.kind, b.kind, want) if k is not None}
    if len(kinds) > 1:
        raise NoIdiom("reductions of different kinds combined")
    return kinds.pop() if kinds else None


def combine(a: Acc, b: Acc, kind: str) -> Acc:
    k = _kind(a, b, kind)
    total = a.counter() + b.counter()
    return Acc(k, frozenset(total.items()))


def guard(a: Acc, lit: Lit) -> Acc:
    out: Counter = Counter()
    neg = negate(lit)
    for (ptr, idx, gs), n in a.atoms:
        if neg not in gs:  # an atom under both lit and not lit never counts
            out[(ptr, idx, gs | {lit})] += n
    return Acc(a.kind, frozenset(out.items()))


def select(c, a, b):
    """``c ? a : b`` with ``c`` concrete or a ``Lit``."""
    if isinstance(c, bool | int):
        return a if c else b
    if not isinstance(c, Lit):
        raise NoIdiom("select on a condition that is not one comparison")
    a, b = assume(a, c), assume(b, negate(c))  # each side where it is chosen
    if a == b:
        return a
    if isinstance(a, Acc) or isinstance(b, Acc):
        try:
            x, y = as_acc(a), as_acc(b)
        except NoIdiom:  # one side is no float (a guarded load's old register): kept apart
            return Sel(c, a, b)
        return combine(guard(x, c), guard(y, negate(c)), _kind(x, y))
    if isinstance(a, Sel) and a.cond == c:
        a = a.a
    if isinstance(b, Sel) and b.cond == c:
        b = b.b
    return Sel(c, a, b)


def assume(x, lit: Lit):
    """``x`` where ``lit`` holds (selects on it, or on its negation, resolved)."""
    if not isinstance(x, Sel):
        return x
    if x.cond == lit:
        return assume(x.a, lit)
    if x.cond == negate(lit):
        return assume(x.b, lit)
    return Sel(x.cond, assume(x.a, lit), assume(x.b, lit))


def under(x, lits: frozenset):
    """``x`` where every ``Lit`` of ``lits`` holds (selects on them resolved)."""
    while isinstance(x, Sel):
        if x.cond in lits:
            x = x.a
        elif negate(x.cond) in lits:
            x = x.b
        else:
            raise NoIdiom("address depends on a condition the access does not test")
    return x


def _float_const(v: float):
    if v == 0.0 and not pymath.copysign(1.0, v) < 0:
        return Acc("add", frozenset())
    if v == float("-inf"):
        return Acc("max", frozenset())
    return FConst(v)


def _bits_to_float(x):
    if isinstance(x, int):
        return _float_const(struct.unpack("<f", struct.pack("<I", x & 0xFFFFFFFF))[0])
    return x


_CMP = {"slt": (1, 0), "ult": (1, 0), "sle": (1, -1), "ule": (1, -1),
        "sgt": (-1, 0), "ugt": (-1, 0), "sge": (-1, -1), "uge": (-1, -1)}  # fmt: skip


def compare(pred: str, a, b, w: int):
    if isinstance(a, int) and isinstance(b, int):
        if pred[0] == "s":
            a, b = _signed(a, w), _signed(b, w)
        return {"eq": a == b, "ne": a != b, "slt": a < b, "ult": a < b, "sle": a <= b,
                "ule": a <= b, "sgt": a > b, "ugt": a > b, "sge": a >= b,
                "uge": a >= b}[pred]  # fmt: skip
    signed = pred[0] == "s"
    pa, pb = _poly(a, w, signed), _poly(b, w, signed)
    diff = affine.add(pa, pb, -1)
    if pred in ("eq", "ne"):
        c = affine.constant_of(diff)
        if c is None:
            raise NoIdiom("symbolic equality test")
        return (c == 0) == (pred == "eq")
    sign, shift = _CMP[pred]
    q = affine.add({m: sign * c for m, c in diff.items()}, affine.const(shift))
    c = affine.constant_of(q)
    return c < 0 if c is not None else Lit(frozenset(q.items()), signed)


def _float_bits(x):
    if isinstance(x, FConst):
        return struct.unpack("<I", struct.pack("<f", x.value))[0]
    return x


def _logic(op, vals):
    a, b = (vals + (None,))[:2]
    if op.name == "arith.xori":
        if isinstance(a, bool | int) and isinstance(b, bool | int):
            return bool(a) != bool(b)
        x, c = (a, b) if isinstance(b, bool | int) else (b, a)
        if isinstance(x, Lit) and isinstance(c, bool | int):
            return negate(x) if c else x
    if op.name in ("arith.andi", "arith.ori"):
        is_and = op.name == "arith.andi"
        if isinstance(a, bool | int) and isinstance(b, bool | int):
            return bool(a) and bool(b) if is_and else bool(a) or bool(b)
        x, c = (a, b) if isinstance(b, bool | int) else (b, a)
        if isinstance(c, bool | int):
            return (x if c else False) if is_and else (True if c else x)
        if a == b:
            return a
    raise NoIdiom(f"{op.name} of symbolic predicates")


def _integer(op, vals):
    w = _width(op.results[0]) if op.results else 32
    mask = (1 << w) - 1
    if all(isinstance(v, int) for v in vals):
        return _concrete(op, vals, w) & mask
    name = op.name
    if name in ("arith.addi", "arith.subi", "arith.muli"):
        a, b = (_poly(v, _width(o)) for v, o in zip(vals, op.operands))
        if name == "arith.muli":
            r = affine.mul(a, b)
        else:
            r = affine.add(a, b, -1 if name == "arith.subi" else 1)
        out = lin(r)
        return out & mask if isinstance(out, int) else out
    if name in ("arith.extsi", "arith.extui"):
        return vals[0]
    match name:
        case "arith.trunci":
            x = vals[0]
            if isinstance(x, Lin):
                return x if _narrow(x) else Half(x.p, "lo")
            if isinstance(x, Half) and x.part in ("lo", "hi"):
                return x
        case "arith.shli" if isinstance(vals[1], int):
            x, k = vals[0], vals[1]
            if isinstance(x, Lin) and k < w:
                return lin(affine.mul(x.poly, affine.const(1 << k)))
            if isinstance(x, Half) and x.part == "hi" and k == 32:
                return Half(x.p, "hi<<32")
        case "arith.shrui" if isinstance(vals[1], int):
            if isinstance(vals[0], Lin) and vals[1] == 32 and w == 64:
                # the carry out of a 32-bit sum is 0 when index arithmetic does not wrap
                return 0 if _narrow(vals[0]) else Half(vals[0].p, "hi")
        case "arith.ori":
            a, b = vals
            if a == 0 or b == 0:
                return b if a == 0 else a
            if isinstance(a, Half) and isinstance(b, Half) and a.p == b.p and {a.part, b.part} == {
                    "lo", "hi<<32"}:  # fmt: skip
                return Lin(a.p)
            if isinstance(a, Lin) and isinstance(b, Lin) and len(a.p) == len(b.p) == 1:
                ((mlo, clo),), ((mhi, chi),) = a.p, b.p
                if (clo, chi, len(mlo), len(mhi)) == (1, 1 << 32, 1, 1) and (
                        mlo[0][0] == mhi[0][0] in _PAIRS and mhi[0][1] == mlo[0][1] + 4):
                    return Lin(frozenset({((_PAIRS[mlo[0][0]], mlo[0][1]),): 1}.items()))
    raise NoIdiom(f"{op.name} on symbolic integers")


_CONCRETE = {
    "arith.addi": lambda v, w, w0: v[0] + v[1],
    "arith.subi": lambda v, w, w0: v[0] - v[1],
    "arith.muli": lambda v, w, w0: v[0] * v[1],
    "arith.andi": lambda v, w, w0: v[0] & v[1],
    "arith.ori": lambda v, w, w0: v[0] | v[1],
    "arith.xori": lambda v, w, w0: v[0] ^ v[1],
    "arith.shli": lambda v, w, w0: v[0] << v[1] if v[1] < w else 0,
    "arith.shrui": lambda v, w, w0: v[0] >> v[1] if v[1] < w else 0,
    "arith.shrsi": lambda v, w, w0: _signed(v[0], w) >> min(v[1], w - 1),
    "arith.extui": lambda v, w, w0: v[0],
    "arith.trunci": lambda v, w, w0: v[0],
    "arith.extsi": lambda v, w, w0: _signed(v[0], w0),
    "arith.minui": lambda v, w, w0: min(v),
    "arith.maxui": lambda v, w, w0: max(v),
    "arith.minsi": lambda v, w, w0: min(_signed(x, w0) for x in v),
    "arith.maxsi": lambda v, w, w0: max(_signed(x, w0) for x in v),
}  # fmt: skip


def _narrow(x: Lin) -> bool:
    """A no-wrap 32-bit quantity (no pointer in it)."""
    return all(affine._narrow(k) for m, _ in x.p for k in m)


def _concrete(op, vals, w: int) -> int:
    rule = _CONCRETE.get(op.name)
    if rule is None:
        raise NoIdiom(f"{op.name} in the block")
    return rule(vals, w, _width(op.operands[0]))
