"""The **row softmax** idiom of ``sass-raise-idioms`` (its proof; raised by ``sass_row_raise``).

``softmax_row`` of kernels.cu, one block per row ``r = blockIdx.x`` of ``cols`` floats::

    m = max_j x[r*cols + j]     (strided loop from tid.x by ntid.x, then a halving tree)
    s = sum_j __expf(x[r*cols + j] - m)       (the same loop and tree shape)
    y[r*cols + j] = __expf(x[r*cols + j] - m) * (1.0f / s)   (strided loop)

Proven, structurally on the lifted IR (``sass-lift``) and by evaluation:

- ``__expf(d)`` (:func:`expf_argument`): nvcc's expansion ``t = d * 1.4426950216293334961``
  (``log2(e)`` in float32); ``p = t >= -126`` (``FSETP.GEU``); ``@!p t *= 0.5``; ``e =
  EX2(t)``; ``@!p e = e * e``. Both guards must be the negation of that one compare, so
  ``e = 2^t`` in exact arithmetic: ``exp(d)`` up to the float32 rounding of ``t`` (and
  ``MUFU.EX2``'s approximation on the GPU; the emulation computes ``exp2`` exactly).
- ``1.0f / s`` (:func:`reciprocal_argument`): the merge of a fast path ``r = MUFU.RCP(s);
  FFMA r + r * -(s*r - 1)`` (one Newton step) and a call to the local subroutine whose
  symbol ends in ``__cuda_sm20_rcp_rn_f32_slowpath`` (``sass.callees``), whose result
  depends on ``s`` only. **Documented assumption**: nvcc emits this pair for a correctly
  rounded ``1.0f / x`` (``__frcp_rn``, CUDA Math API: "compute 1/x in round-to-nearest-
  even mode"), the exponent test choosing the path on which the fast one is exact; the
  test and the slow path's body are not re-proven here.
- every global store writes ``expf(...) * (1/s)`` (:func:`match_row_softmax`).
- the three strided row loops ``for (j = tid.x; j < cols; j += ntid.x)``
  (``sass_row_loops.row_loops``, entry guard included);
- the per-thread folds of those loops (``sass_row_folds.row_folds``): ``max(x[ctaid.x *
  cols + j])``, ``sum __expf(x[...] - m)`` and the store ``y[...] = __expf(x[...] - m) *
  (1/s)``;
- the two shared halving trees over those folds (``sass_row_trees.row_trees``, for every
  power-of-two block up to 256): the ``m`` of the second loop is a max of the first
  folds of exactly the threads ``t < cols``, the ``s`` of the third loop's ``1/s`` a sum
  of the second folds of exactly those threads, each once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from switcheroo.dialects.sass.lifted import StoreOp
from switcheroo.passes.sass_affine import truth
from switcheroo.passes.sass_recover_loops import reachable
from switcheroo.passes.sass_warp_reduce import NoIdiom, as_float, as_word, through
from xdsl.dialects import arith, cf, func, math
from xdsl.dialects.builtin import f32
from xdsl.ir import Block, BlockArgument, SSAValue

LOG2E_F32 = float(np.float32(1.4426950216293334961))
RCP_SLOWPATH = "__cuda_sm20_rcp_rn_f32_slowpath"


def _const(v: SSAValue) -> float | None:
    """A float constant (through the lifter's word bitcasts), else None."""
    op = v.owner
    if isinstance(op, arith.BitcastOp):
        word = through(op.input).owner
        if isinstance(word, arith.ConstantOp) and isinstance(word.value.value.data, int):
            bits = np.array([word.value.value.data & 0xFFFFFFFF], np.uint32)
            return float(bits.view(np.float32)[0])
        return _const(through(op.input))
    if isinstance(op, arith.ConstantOp) and isinstance(op.value.value.data, float):
        return op.value.value.data
    return None


def _reads(a: SSAValue, word: SSAValue) -> bool:
    """The f32 ``a`` is read (bitcast) from the i32 ``word``."""
    try:
        return as_word(a) is word
    except NoIdiom:
        return False


def plain_float(v: SSAValue) -> SSAValue:
    """``v`` with the lifter's f32 -> i32 -> f32 round trips removed."""
    while isinstance(v.owner, arith.BitcastOp) and v.type == f32:
        inner = through(v.owner.input).owner
        if not (isinstance(inner, arith.BitcastOp) and inner.input.type == f32):
            break
        v = inner.input
    return v


def _fcmp(v: SSAValue) -> tuple[arith.CmpfOp, bool] | None:
    """``v`` as ``(float compare, holds)`` through ``xor true`` / ``and true``."""
    op = v.owner
    if isinstance(op, arith.CmpfOp):
        return op, True
    if isinstance(op, arith.XOrIOp) and truth(op.rhs) is True:
        found = _fcmp(op.lhs)
        return None if found is None else (found[0], not found[1])
    if isinstance(op, arith.AndIOp) and truth(op.rhs) is True:
        return _fcmp(op.lhs)
    return None


def _operands(op, kind) -> tuple[SSAValue, SSAValue]:
    if not isinstance(op, kind):
        raise NoIdiom(f"__expf: expected {kind.name}")
    return op.operands[0], op.operands[1]


def expf_argument(word: SSAValue) -> SSAValue:
    """The f32 ``d`` when the i32 ``word`` is nvcc's ``__expf(d)`` expansion, else NoIdiom."""
    sel = through(word).owner
    if not isinstance(sel, arith.SelectOp):
        raise NoIdiom("__expf: no squaring select")
    square, e_word = sel.lhs, through(sel.rhs)
    a, b = _operands(as_float(square).owner, arith.MulfOp)
    if not (as_word(a) is e_word and as_word(b) is e_word):
        raise NoIdiom("__expf: the fix-up is not e * e")
    ex = as_float(e_word).owner
    if not isinstance(ex, math.Exp2Op):
        raise NoIdiom("__expf: no EX2")
    halve = through(as_word(ex.operands[0])).owner
    if not isinstance(halve, arith.SelectOp):
        raise NoIdiom("__expf: no halving select")
    t_word = through(halve.rhs)
    a, b = _operands(as_float(halve.lhs).owner, arith.MulfOp)
    if {_const(a), _const(b)} != {0.5, None} or not any(
            _reads(x, t_word) for x in (a, b)):  # fmt: skip
        raise NoIdiom("__expf: the halving is not t * 0.5")
    a, b = _operands(as_float(t_word).owner, arith.MulfOp)
    if _const(b) != LOG2E_F32:
        a, b = b, a
    if _const(b) != LOG2E_F32 or _const(a) is not None:
        raise NoIdiom("__expf: not d * log2(e)")
    for guard in (sel.cond, halve.cond):
        found = _fcmp(guard)
        if found is None or found[1]:
            raise NoIdiom("__expf: fix-up guard is not !(t >= -126)")
        cmp = found[0]
        pred = arith.CMPF_COMPARISON_OPERATIONS[cmp.predicate.value.data]
        if pred != "uge" or _const(cmp.rhs) != -126.0 or not _reads(
                cmp.lhs, t_word):  # fmt: skip
            raise NoIdiom("__expf: fix-up guard is not !(t >= -126)")
    return plain_float(a)


def edges_into(block: Block) -> list[tuple[Block, list[SSAValue]]]:
    """``(predecessor, values passed)`` for every edge into ``block`` (br, cond_br, switch)."""
    out = []
    for pred in block.parent.blocks:
        term = pred.last_op
        if isinstance(term, cf.BranchOp) and term.successor is block:
            out.append((pred, list(term.arguments)))
        elif isinstance(term, cf.ConditionalBranchOp):
            if term.then_block is block:
                out.append((pred, list(term.then_arguments)))
            if term.else_block is block:
                out.append((pred, list(term.else_arguments)))
        elif isinstance(term, cf.SwitchOp):
            if term.default_block is block:
                out.append((pred, list(term.default_operands)))
            for succ, args in zip(term.case_blocks, term.case_operand):
                if succ is block:
                    out.append((pred, list(args)))
    return out


def _sources(v: SSAValue) -> list[SSAValue]:
    """The values that reach ``v`` through chains of block arguments (v itself if none)."""
    out, todo, seen = [], [v], set()
    while todo:
        x = through(todo.pop())
        if x in seen:
            continue
        seen.add(x)
        if isinstance(x, BlockArgument):
            todo.extend(args[x.index] for _, args in edges_into(x.block))
        else:
            out.append(x)
    return out


def _callee_blocks(fn: func.FuncOp, name_suffix: str) -> tuple[Block, set[Block]]:
    """The entry block of the called subroutine named ``*name_suffix`` and its blocks (up
    to its ``RET`` switch)."""
    addrs = [a.value.data for a in fn.attributes["sass.block_addr"].data]
    entries = [int(c.data.split(":", 1)[0], 16) for c in
               getattr(fn.attributes.get("sass.callees"), "data", ())
               if c.data.split(":", 1)[1].endswith(name_suffix)]  # fmt: skip
    if len(entries) != 1 or entries[0] not in addrs:
        raise NoIdiom(f"no call to {name_suffix}")
    entry = list(fn.body.blocks)[addrs.index(entries[0])]
    body, todo = set(), [entry]
    while todo:
        b = todo.pop()
        if b in body:
            continue
        body.add(b)
        if not isinstance(b.last_op, cf.SwitchOp):
            todo.extend(b.last_op.successors)
    return entry, body


def _depends_only_on(v: SSAValue, body: set[Block], entry: Block, s: SSAValue) -> bool:
    """Every value of ``body`` that ``v`` is computed from, back to the callee's entry,
    comes from ``s`` (or constants) on every edge entering the callee."""
    todo, seen = [v], set()
    while todo:
        x = through(todo.pop())
        if x in seen or x is s:
            continue
        seen.add(x)
        if isinstance(x, BlockArgument):
            if x.block not in body:
                return False
            for pred, args in edges_into(x.block):
                if pred in body:
                    todo.append(args[x.index])
                elif x.block is not entry or through(args[x.index]) is not s:
                    return False
        elif x.owner.parent_block() in body:
            todo.extend(x.owner.operands)
        elif not isinstance(x.owner, arith.ConstantOp):
            return False
    return True


def _fast_reciprocal(word: SSAValue) -> SSAValue | None:
    """``s``'s word when ``word`` is ``fma(r, -fma(s, r, -1) - 0, r)``, ``r = 1 / s``."""
    try:
        return _newton(word)
    except NoIdiom:
        return None


def _newton(word: SSAValue) -> SSAValue | None:
    op = as_float(word).owner
    if not isinstance(op, math.FmaOp):
        return None
    r, n, r2 = (as_word(x) for x in op.operands)
    rcp = as_float(r).owner
    if r2 is not r or not isinstance(rcp, arith.DivfOp) or _const(rcp.lhs) != 1.0:
        return None
    s = as_word(rcp.rhs)
    add = as_float(n).owner
    if not isinstance(add, arith.AddfOp):
        return None
    neg, zero = add.lhs.owner, add.rhs.owner
    if not (isinstance(neg, arith.NegfOp) and isinstance(zero, arith.NegfOp)
            and _const(zero.operand) == 0.0):  # fmt: skip
        return None
    err = as_float(as_word(neg.operand)).owner
    if not isinstance(err, math.FmaOp) or _const(err.operands[2]) != -1.0:
        return None
    a, b = (as_word(x) for x in err.operands[:2])
    return s if {a, b} == {s, r} else None


def reciprocal_argument(word: SSAValue, fn: func.FuncOp) -> SSAValue:
    """The i32 word of ``s`` when ``word`` is nvcc's correctly rounded ``1.0f / s`` (fast
    path merged with the slow-path call; see the module docstring), else NoIdiom."""
    entry, body = _callee_blocks(fn, RCP_SLOWPATH)
    sources = _sources(word)
    fast = [s for s in (_fast_reciprocal(x) for x in sources if x.owner.parent_block()
                        not in body) if s is not None]  # fmt: skip
    if len(fast) != 1 or len(sources) != 2:
        raise NoIdiom("1/x: not one fast path and one slow path")
    (slow,) = [x for x in sources if x.owner.parent_block() in body]
    if not _depends_only_on(slow, body, entry, fast[0]):
        raise NoIdiom("1/x: slow path does not compute from the same value")
    return fast[0]


def _product(word: SSAValue, fn: func.FuncOp) -> tuple[SSAValue, SSAValue]:
    """A stored word ``expf(d) * (1/s)`` as ``(d, s's word)``."""
    mul = as_float(word).owner
    if not isinstance(mul, arith.MulfOp):
        raise NoIdiom("stored value is not a product")
    a, b = as_word(mul.lhs), as_word(mul.rhs)
    for e, inv in ((a, b), (b, a)):
        try:
            return expf_argument(e), reciprocal_argument(inv, fn)
        except NoIdiom as why:
            last = why
    raise last


@dataclass(frozen=True)
class RowSoftmax:
    """The proof's findings: pointer parameter offsets of ``x`` and ``y``, the offset of
    the ``cols`` word, and the block sizes the trees were proven for."""

    x: int
    y: int
    cols: int
    blocks: tuple[int, ...]


def match_row_softmax(fn: func.FuncOp) -> RowSoftmax:
    """Prove ``fn`` is a row softmax (see the module docstring), or raise NoIdiom."""
    if fn.attributes["sass.unmapped"].value.data:
        raise NoIdiom("unmapped instructions")
    if "sass.callees" not in fn.attributes:
        raise NoIdiom("no reciprocal call")
    stores = [op for b in reachable(fn) for op in b.ops
              if isinstance(op, StoreOp) and op.space.data == "global"]  # fmt: skip
    if len(stores) != 1 or len(stores[0].operands) != 2:
        raise NoIdiom("not one unmasked global store")
    d, _ = _product(stores[0].operands[1], fn)
    if not isinstance(d.owner, arith.AddfOp):
        raise NoIdiom("exponent is not x - m")
    from switcheroo.passes.sass_row_loops import row_loops  # (imports this module)
    try:
        loops, cols = row_loops(fn)
    except NoIdiom as why:
        raise NoIdiom(f"row softmax: __expf(x - m) * (1/s) recognised; {why}") from None
    from switcheroo.passes.sass_row_folds import row_folds
    from switcheroo.passes.sass_row_trees import row_trees

    try:
        folds = row_folds(fn, loops, cols)
    except NoIdiom as why:
        raise NoIdiom("row softmax: __expf(x - m) * (1/s) recognised, the three strided row "
                      f"loops proven; {why}") from None
    try:
        blocks = row_trees(fn, loops, cols, folds, stores[0])
    except NoIdiom as why:
        raise NoIdiom("row softmax: __expf(x - m) * (1/s) recognised, the three strided row "
                      f"loops and their per-thread folds proven; shared trees: {why}") from None
    return RowSoftmax(folds.x, folds.y, cols, blocks)
