"""The per-thread folds of the row-softmax loops (helper of ``sass_row_softmax``; step 2).

Each loop proven by ``sass_row_loops`` (``for (j = tid.x; j < cols; j += ntid.x)``) is
evaluated once, with ``sass_symbolic``'s evaluator, for a symbolic ``j``: its header
arguments other than ``j`` are bound to the one value all their entry edges agree on
(``sass_row_loops.resolve``), evaluated the same way (they are computed before the loop).

Facts used (all from the proven loop structure): the loop is entered only when ``0 <=
tid.x < cols`` (``row_loops``' entry guard), so the 32-bit parameter ``cols`` is
non-negative, and ``j = tid.x + k * ntid.x`` is too. Hence the sign words nvcc computes
(``cols >> 31``, ``j >> 31``) are 0 and zero- and sign-extensions of them agree. Under
``sass_affine``'s no-wrap assumption (which ``sass_symbolic`` already makes when it
truncates the 64-bit row index to its low word): the byte offset ``4 * (ctaid.x * cols +
j)`` fits in 32 bits, so the index's high word and ``LEA.HI``'s ``lo >> 30`` are 0: a
right shift by ``k`` of a non-negative pointer-free ``sum c_i * m_i`` is 0 when every
``c_i * 2**30 <= 2**k`` (each monomial taken below ``2**30``), exact division when every
``2**k`` divides ``c_i`` (``cols << 32 >> 31``); the pointer's words then follow
``sass_symbolic``'s ``Half``/``Carry`` rules.

Proven per loop (:func:`row_folds`):

1. the accumulator's next value is ``max(acc, x[ctaid.x * cols + j])`` (``FMNMX``, the
   minimum's select decided false); it starts at ``-inf``;
2. the accumulator's next value is ``acc + __expf(x[ctaid.x * cols + j] - m)`` with ``m``
   one value defined outside the loop; it starts at ``+0.0``;
3. the one global store writes ``__expf(x[ctaid.x * cols + j] - m) * (1/s)`` to ``y[ctaid.x *
   cols + j]``, ``m`` the same value as the second loop's (through block arguments), ``s``
   defined outside the loop (``reciprocal_argument``).
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects.sass.lifted import LoadOp, StoreOp
from switcheroo.passes import sass_affine as affine
from switcheroo.passes.sass_facts import freeze, thaw
from switcheroo.passes.sass_row_loops import RowLoop, resolve
from switcheroo.passes.sass_row_softmax import _product, edges_into, expf_argument, plain_float
from switcheroo.passes.sass_symbolic import Evaluator, Half, Opaque, _has_ptr, _plain, fresh
from switcheroo.passes.sass_warp_reduce import NoIdiom, as_word, through
from xdsl.dialects import arith, cf, func
from xdsl.ir import BlockArgument, SSAValue

J = "j"


@dataclass(frozen=True)
class Folds:
    """What the three loop bodies compute: pointer parameter offsets of ``x`` and ``y``,
    ``m``, the value the second loop subtracts (defined before it), and ``s``."""

    x: int
    y: int
    m: SSAValue
    s: SSAValue  # the word whose reciprocal the third loop multiplies by


class _RowEval(Evaluator):
    """``sass_symbolic``'s evaluator with the facts ``cols >= 0``, ``j >= 0`` (see above)."""

    def __init__(self, env: dict, cols: int):
        super().__init__(None, env, True)
        self.cols = cols

    def _nonneg(self, p) -> bool:
        return isinstance(p, dict) and all(
            c >= 0
            and all(
                isinstance(k, tuple)
                and (k[0] in affine.NONNEG or k == ("param", self.cols) or k[0] == "sym")
                for k in m
            )
            for m, c in p.items()
        )

    def _op(self, v: SSAValue):
        op = v.owner
        w = v.type.width.data if hasattr(v.type, "width") else 32
        if isinstance(op, arith.ExtUIOp | arith.ExtSIOp):
            x = self(op.input)
            if self._nonneg(x):
                return x
        if isinstance(op, arith.MinUIOp):  # a funnel shift's clamped amount
            a, b = (_constant(self(x)) for x in op.operands)
            if a is not None and b is not None and a >= 0 and b >= 0:
                return affine.const(min(a, b))
        if isinstance(op, arith.ShRSIOp | arith.ShRUIOp):
            x, k = self(op.lhs), _plain(self(op.rhs))
            k = affine.constant_of(k) if k is not None else None
            if k is not None and self._nonneg(x) and not _has_ptr(x):
                if all(c << 30 <= 1 << k for c in x.values()):
                    return {}  # see the module docstring: each term is below 2**30
                if all(c % (1 << k) == 0 for c in x.values()):
                    return {m: c >> k for m, c in x.items()}
        if isinstance(op, arith.ShLIOp):
            x, k = self(op.lhs), _plain(self(op.rhs))
            k = affine.constant_of(k) if k is not None else None
            if isinstance(x, Half) and x.part == "lo" and k is not None and 0 <= k < w:
                return Half("lo", freeze(affine.mul(thaw(x.p), affine.const(1 << k))))
        if isinstance(op, arith.OrIOp) and w == 32:
            hi = self._funnel(op)
            if hi is not None:
                return hi
        return super()._op(v)

    def _funnel(self, op) -> Half | None:
        """``lo(P) >> (32 - k) | hi(P) << k`` is ``hi(P << k)``."""
        for a, b in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            sr, sl = a.owner, b.owner
            if not (isinstance(sr, arith.ShRUIOp) and isinstance(sl, arith.ShLIOp)):
                continue
            lo, hi = self(sr.lhs), self(sl.lhs)
            r, k = _plain(self(sr.rhs)), _plain(self(sl.rhs))
            r = affine.constant_of(r) if r is not None else None
            k = affine.constant_of(k) if k is not None else None
            if (isinstance(lo, Half) and isinstance(hi, Half) and lo.p == hi.p and (
                    lo.part, hi.part) == ("lo", "hi") and k is not None and r == 32 - k
                    and 0 < k < 32):  # fmt: skip
                return Half("hi", freeze(affine.mul(thaw(lo.p), affine.const(1 << k))))
        return None


def _constant(x) -> int | None:
    return affine.constant_of(x) if isinstance(x, dict) else None


def _entry_env(loop: RowLoop, cols: int) -> tuple[dict, _RowEval]:
    env: dict = {loop.iv: fresh(J)}
    ev = _RowEval(env, cols)
    for a in loop.header.args:
        if a is loop.iv:
            continue
        r = resolve(a)
        if isinstance(r, BlockArgument):
            env[a] = Opaque()  # the accumulator (or a value the loop changes)
        else:
            try:
                env[a] = ev(r)
            except NoIdiom:  # computed from values the proof does not follow
                env[a] = Opaque()
    return env, ev


def _index(ev: _RowEval, addr: SSAValue) -> tuple[int, dict]:
    """An address ``ptr + 4 * (ctaid.x * cols + j)`` as ``(ptr offset, index)``."""
    split = affine.split_pointer(ev.poly(addr))
    if split is None:
        raise NoIdiom("row folds: an address that is not ptr[i]")
    return split[0], split[1]


def _check_index(ev: _RowEval, idx: dict, cols: int) -> None:
    (jkey,) = affine.leaves(ev.env_j)
    want = affine.add(
        affine.mul(affine.leaf(("ctaid", "x")), affine.leaf(("param", cols))), affine.leaf(jkey)
    )
    if idx != affine.mul(want, affine.const(4)):
        raise NoIdiom("row folds: an element that is not x[ctaid.x * cols + j]")


def _acc(loop: RowLoop) -> tuple[BlockArgument, SSAValue]:
    """The accumulator argument (the one the back edge changes through a float op) and its
    back-edge value."""
    term = loop.header.last_op
    if not isinstance(term, cf.ConditionalBranchOp):
        raise NoIdiom("row folds: latch")
    back = term.then_arguments if term.then_block is loop.header else term.else_arguments
    found = []
    for a in loop.header.args:
        nxt = through(back[a.index])
        if isinstance(nxt.owner, arith.BitcastOp) and nxt.owner.input.type != nxt.type:
            found.append((a, nxt))
    if len(found) != 1:
        raise NoIdiom("row folds: not one float accumulator")
    return found[0]


def _load_of(ev: _RowEval, f: SSAValue, cols: int) -> int:
    """``f`` (f32) is a load ``ptr[ctaid.x * cols + j]``; the pointer's offset."""
    load = through(as_word(f)).owner
    if not isinstance(load, LoadOp) or load.mask is not None or load.space.data != "global":
        raise NoIdiom("row folds: element is not an unmasked global load")
    ptr, idx = _index(ev, load.addr)
    _check_index(ev, idx, cols)
    return ptr


def _initial(loop: RowLoop, acc: BlockArgument, ev: _RowEval) -> int | None:
    """The accumulator's word on entry: the one constant every entry edge agrees on."""
    words = set()
    for pred, args in edges_into(loop.header):
        if pred is not loop.header:
            p = _plain(ev(resolve(args[acc.index])))
            words.add(None if p is None else affine.constant_of(p))
    return words.pop() if len(words) == 1 else None


def _max_fold(loop: RowLoop, cols: int) -> int:
    env, ev = _entry_env(loop, cols)
    ev.env_j = env[loop.iv]
    acc, nxt = _acc(loop)
    if _initial(loop, acc, ev) != -8388608:  # 0xff800000: -inf
        raise NoIdiom("row folds: the max does not start at -inf")
    sel = nxt.owner.input.owner
    if not isinstance(sel, arith.SelectOp) or ev(sel.cond) is not False:
        raise NoIdiom("row folds: first loop is not FMNMX (max)")
    mx = sel.rhs.owner
    if not isinstance(mx, arith.MaximumfOp | arith.MaxnumfOp):
        raise NoIdiom("row folds: first loop is not a max")
    ops = list(mx.operands)
    if sum(_reads_arg(o, acc) for o in ops) != 1:
        raise NoIdiom("row folds: the max does not fold the accumulator")
    (elem,) = [o for o in ops if not _reads_arg(o, acc)]
    return _load_of(ev, elem, cols)


def _reads_arg(f: SSAValue, a: BlockArgument) -> bool:
    try:
        return through(as_word(f)) is a
    except NoIdiom:
        return False


def _invariant(v: SSAValue, loop: RowLoop) -> bool:
    v = through(v)
    if isinstance(v, BlockArgument):
        return v.block is not loop.header or resolve(v) is not v
    return v.owner.parent_block() is not loop.header


def _sum_fold(loop: RowLoop, cols: int) -> tuple[int, SSAValue]:
    env, ev = _entry_env(loop, cols)
    ev.env_j = env[loop.iv]
    acc, nxt = _acc(loop)
    if _initial(loop, acc, ev) != 0:
        raise NoIdiom("row folds: the sum does not start at +0.0")
    add = nxt.owner.input.owner
    if not isinstance(add, arith.AddfOp) or sum(_reads_arg(o, acc) for o in add.operands) != 1:
        raise NoIdiom("row folds: second loop is not acc + ...")
    (term,) = [o for o in add.operands if not _reads_arg(o, acc)]
    d = expf_argument(as_word(term))
    x, m = minus(d)
    if not _invariant(as_word(m), loop):
        raise NoIdiom("row folds: m changes in the loop")
    return _load_of(ev, x, cols), through(as_word(m))


def minus(d: SSAValue) -> tuple[SSAValue, SSAValue]:
    """``d = x + -m`` (either order) as ``(x, m)``."""
    sub = d.owner
    if isinstance(sub, arith.AddfOp):
        for a, b in ((sub.lhs, sub.rhs), (sub.rhs, sub.lhs)):
            if isinstance(b.owner, arith.NegfOp):
                return plain_float(a), plain_float(b.owner.operand)
    raise NoIdiom("row folds: exponent is not x - m")


def row_folds(fn: func.FuncOp, loops: list[RowLoop], cols: int) -> Folds:
    """Prove the three loop bodies (module docstring), or NoIdiom."""
    x1 = _max_fold(loops[0], cols)
    x2, m = _sum_fold(loops[1], cols)
    env, ev = _entry_env(loops[2], cols)
    ev.env_j = env[loops[2].iv]
    stores = [op for op in loops[2].header.ops if isinstance(op, StoreOp)]
    if len(stores) != 1 or stores[0].space.data != "global" or stores[0].mask is not None:
        raise NoIdiom("row folds: third loop is not one global store")
    y, idx = _index(ev, stores[0].addr)
    _check_index(ev, idx, cols)
    d, s = _product(stores[0].operands[1], fn)
    x, m3 = minus(d)
    x3 = _load_of(ev, x, cols)
    if not _invariant(s, loops[2]):
        raise NoIdiom("row folds: 1/s changes in the third loop")
    if resolve(through(as_word(m3))) is not resolve(m):
        raise NoIdiom("row folds: the third loop subtracts another m")
    if not (x1 == x2 == x3) or y == x1:
        raise NoIdiom("row folds: the loops read different rows")
    return Folds(x1, y, m, through(s))
