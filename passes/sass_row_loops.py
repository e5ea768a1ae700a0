"""The strided row loops of the row-softmax idiom (helper of ``sass_row_softmax``).

Proves, structurally on the lifted IR, that ``fn`` has exactly three barrier-free
single-block loops, each ``for (j = tid.x; j < cols; j += ntid.x)`` as nvcc rotates it::

    if (tid.x >= cols) skip;  j = tid.x;  do { ...; j += ntid.x; } while (!(j >= cols));

- the induction variable: a header argument ``j`` whose back-edge value is ``j + ntid.x``
  and whose every entry value is ``tid.x``. Values are read as polynomials
  (``sass_affine``) with block arguments resolved through *every* edge into their block,
  ``RET`` switches included (:func:`value`): an argument is the one polynomial all its
  incoming values agree on, an edge passing the argument back to itself adding nothing.
  sm_90 keeps ``ntid.x`` in a header argument (so ``find_loops`` sees no induction
  variable there) and passes ``tid.x`` around the reciprocal's subroutine call;
- the exit: the latch's branch leaves when ``j + ntid.x >= cols`` (signed), ``cols`` one
  32-bit parameter word, the same for the three loops;
- the entry (a graph property, :func:`guarded`): every path from the kernel's entry to the
  header takes an edge on which ``tid.x >= cols`` (signed, the same ``cols``) is false.
  As ``tid.x`` and ``cols`` do not change, the first iteration has ``j = tid.x < cols``:
  each thread visits exactly ``{j = tid.x + k * ntid.x : j < cols}``. sm_90's third loop
  is entered after ``@P1 EXIT``, ``P1 = tid.x >= cols`` computed before the trees.

What each loop's body computes: ``sass_row_folds``.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.passes import sass_affine as affine
from switcheroo.passes.sass_recover_loops import find_loops, reachable, successors
from switcheroo.passes.sass_row_softmax import edges_into
from switcheroo.passes.sass_warp_reduce import NoIdiom
from xdsl.dialects import arith, cf, func
from xdsl.ir import Block, BlockArgument, SSAValue

TID = {(("tid", "x"),): 1}
NTID = {(("ntid", "x"),): 1}


@dataclass(frozen=True)
class RowLoop:
    """One proven strided loop: its header block and induction-variable argument."""

    header: Block
    iv: BlockArgument


def _edges_into(block: Block) -> list[list[SSAValue]]:
    """The values passed on every edge into ``block`` (br, cond_br, switch)."""
    return [args for _, args in edges_into(block)]


def value(v: SSAValue, seen: frozenset = frozenset()) -> dict:
    """The polynomial of the integer ``v`` with block-argument leaves resolved (see the
    module docstring); arguments in ``seen`` (being resolved) stay leaves."""
    out: dict = {}
    for mono, c in affine.poly(v).items():
        term = affine.const(c)
        for k in mono:
            if isinstance(k, BlockArgument) and k not in seen:
                term = affine.mul(term, _argument(k, seen))
            else:
                term = affine.mul(term, affine.leaf(k))
        out = affine.add(out, term)
    return out


def _argument(a: BlockArgument, seen: frozenset) -> dict:
    seen = seen | {a}
    me, polys = affine.leaf(a), []
    for args in _edges_into(a.block):
        if a.index >= len(args):
            return me
        p = value(args[a.index], seen)
        if p != me:
            polys.append(p)
    return polys[0] if polys and all(p == polys[0] for p in polys) else me


def resolve(v: SSAValue, seen: frozenset = frozenset()) -> SSAValue:
    """``affine.resolve`` through every edge (``RET`` switches too); an argument is the one
    value its incoming edges agree on, values of the copy cycle being resolved left out."""
    if not isinstance(v, BlockArgument) or v in seen:
        return v
    seen = seen | {v}
    ins = set()
    for args in _edges_into(v.block):
        if v.index >= len(args):
            return v
        ins.add(resolve(args[v.index], seen))
    ins -= seen
    return ins.pop() if len(ins) == 1 else v


def literal(v: SSAValue) -> tuple[arith.CmpiOp, bool] | None:
    """An i1 as ``(integer compare, holds)`` through arguments and ``xor``/``and true``."""
    op = resolve(v).owner
    if isinstance(op, arith.CmpiOp):
        return op, True
    if isinstance(op, arith.XOrIOp | arith.AndIOp):
        for x, c in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            if affine.truth(resolve(c)) is True:
                found = literal(x)
                if found is None:
                    return None
                return found if isinstance(op, arith.AndIOp) else (found[0], not found[1])
    return None


def _tid_vs_cols(block: Block, cols: dict) -> Block | None:
    """The successor ``block`` branches to when ``tid.x < cols`` (signed), if its
    terminator tests ``tid.x >= cols`` or ``tid.x < cols``; else None."""
    term = block.last_op
    if not isinstance(term, cf.ConditionalBranchOp) or term.then_block is term.else_block:
        return None
    found = literal(term.cond)
    if found is None:
        return None
    cmp, holds = found
    pred = arith.CMPI_COMPARISON_OPERATIONS[cmp.predicate.value.data]
    if pred not in ("sge", "slt") or value(cmp.lhs) != TID or value(cmp.rhs) != cols:
        return None
    below_taken_when = holds if pred == "slt" else not holds  # cond value when tid < cols
    return term.then_block if below_taken_when else term.else_block


def guarded(fn: func.FuncOp, header: Block, cols: dict) -> bool:
    """Every path from the entry to ``header`` takes a ``tid.x < cols`` edge."""
    entry = fn.body.blocks.first
    seen, work = {entry}, [entry]
    while work:
        b = work.pop()
        if b is header:
            return False
        below = _tid_vs_cols(b, cols)
        for s in successors(b):
            if s is below or s in seen:
                continue
            seen.add(s)
            work.append(s)
    return True


def _prove(fn: func.FuncOp, header: Block, latch: Block, cols: dict | None) -> tuple:
    term = latch.last_op
    if not isinstance(term, cf.ConditionalBranchOp):
        raise NoIdiom("row loop: the latch is not a conditional branch")
    back = term.then_arguments if term.then_block is header else term.else_arguments
    found = literal(term.cond)
    if found is None or not isinstance(found[0], arith.CmpiOp):
        raise NoIdiom("row loop: the exit is not an integer compare")
    cmp, holds = found
    pred = arith.CMPI_COMPARISON_OPERATIONS[cmp.predicate.value.data]
    stays = (term.then_block is header) == holds
    bound = value(cmp.rhs)
    if pred != "sge" or stays or len(bound) != 1 or (cols is not None and bound != cols):
        raise NoIdiom("row loop: the exit is not j + ntid.x >= cols")
    (mono,) = bound
    if bound[mono] != 1 or len(mono) != 1 or not (
            isinstance(mono[0], tuple) and mono[0][0] == "param"):  # fmt: skip
        raise NoIdiom("row loop: the bound is not a parameter")
    stepped = value(cmp.lhs)
    for k, arg in enumerate(header.args):
        if k >= len(back) or value(back[k]) != stepped:
            continue
        if affine.add(stepped, affine.leaf(arg), -1) != NTID:
            continue
        inits = [args[k] for args in _edges_into(header)]
        inits = [x for x in inits if x is not back[k]]
        if inits and all(value(x) == TID for x in inits):
            if not guarded(fn, header, bound):
                raise NoIdiom("row loop: entered without tid.x < cols")
            return RowLoop(header, arg), bound
    raise NoIdiom("row loop: no induction variable from tid.x by ntid.x")


def row_loops(fn: func.FuncOp) -> tuple[list[RowLoop], int]:
    """The three strided row loops in block order and the parameter offset of ``cols``,
    or NoIdiom."""
    blocks = reachable(fn)
    single = [lp for lp in find_loops(fn) if lp.body == {lp.header}]
    if len(single) != 3:
        raise NoIdiom(f"row loops: {len(single)} single-block loops, not 3")
    out, cols = [], None
    for lp in sorted(single, key=lambda lp: lp.header):
        h = blocks[lp.header]
        loop, cols = _prove(fn, h, h, cols)
        out.append(loop)
    ((mono, _),) = cols.items()
    return out, mono[0][1]
