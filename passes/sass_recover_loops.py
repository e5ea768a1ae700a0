"""``sass-recover-loops``: natural loops of each lifted kernel (``sass-lift`` output).

Dominators are computed by the iterative data-flow algorithm over the func's blocks; an
edge ``latch -> header`` whose header dominates the latch is a back edge, and its natural
loop is the header plus every block that reaches the latch without passing the header.
For each loop the induction variables are found among the header's block arguments: an
argument whose value along the back edge is ``arg + step`` with a loop-invariant step.
The loop's exit test is the latch's conditional branch (through the lifter's ``xor
true``/``and true`` of predicates); when it compares an induction
variable (before or after its step) with a loop-invariant bound, the bound, predicate and
(for constant init/bound/step) trip count are recorded.

The result is the func attribute ``sass.loops``: one dictionary per loop (``header``,
``latch``, ``body`` as block indices, ``iv`` = header argument index or -1, ``step``,
``bound``, ``cmp``, ``trip``), read back by the idiom raising. Nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, cf, func
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Block, SSAValue
from xdsl.passes import ModulePass

from switcheroo.passes import sass_affine as affine


@dataclass
class Loop:
    """A natural loop: block indices, its induction variable (header arg index, step,
    initial values on entry edges) and exit test (``cmp`` on ``bound``)."""

    header: int
    latch: int
    body: set[int]
    iv: int = -1
    step_poly: dict | None = None
    bound_after_step: bool = False
    bound: SSAValue | None = None
    cmp: str = ""
    inits: list[SSAValue] = field(default_factory=list)
    ivs: list[int] = field(default_factory=list)

    def trip_count(self) -> int | None:
        """Iterations when init, step and bound are constants (``for i = init; i < bound;
        i += step`` shapes), else None."""
        if len(self.inits) != 1 or self.step_poly is None:
            return None
        init, step = affine.constant_of(affine.poly(self.inits[0])), self.step
        bound = None if self.bound is None else affine.constant_of(affine.poly(self.bound))
        if None in (init, step, bound) or step <= 0 or self.cmp not in ("slt", "ult"):
            return None
        # do { i += step } while (i < bound): the test sees the stepped value
        first = init + step if self.bound_after_step else init
        return 1 + max(0, -(-(bound - first) // step)) if self.bound_after_step else max(
            0, -(-(bound - init) // step))

    @property
    def step(self) -> int | None:
        return affine.constant_of(self.step_poly)


def successors(block: Block) -> list[Block]:
    term = block.last_op
    return list(term.successors) if term is not None else []


def reachable(fn: func.FuncOp) -> list[Block]:
    """The blocks reachable from the entry, in order (nvcc ends kernels with an
    unreachable ``BRA`` to itself, which is no loop of the kernel)."""
    seen, work = {fn.body.blocks.first}, [fn.body.blocks.first]
    while work:
        for s in successors(work.pop()):
            if s not in seen:
                seen.add(s)
                work.append(s)
    return [b for b in fn.body.blocks if b in seen]


def dominators(blocks: list[Block]) -> list[set[int]]:
    """``dom[i]``: indices of the blocks that dominate block ``i`` (block 0 is the entry)."""
    index = {b: i for i, b in enumerate(blocks)}
    preds: list[list[int]] = [[] for _ in blocks]
    for i, b in enumerate(blocks):
        for s in successors(b):
            preds[index[s]].append(i)
    everything = set(range(len(blocks)))
    dom = [{0}] + [set(everything) for _ in blocks[1:]]
    changed = True
    while changed:
        changed = False
        for i in range(1, len(blocks)):
            ps = [dom[p] for p in preds[i]]
            new = (set.intersection(*ps) if ps else set()) | {i}
            if new != dom[i]:
                dom[i], changed = new, True
    return dom


def _edge_args(term, target: Block) -> list[SSAValue]:
    if isinstance(term, cf.BranchOp):
        return list(term.arguments)
    if isinstance(term, cf.ConditionalBranchOp):
        return list(term.then_arguments if term.then_block is target else term.else_arguments)
    return []


def find_loops(fn: func.FuncOp) -> list[Loop]:
    """The natural loops of ``fn`` with their induction variables and exit tests."""
    blocks = reachable(fn)
    index = {b: i for i, b in enumerate(blocks)}
    dom = dominators(blocks)
    preds: list[list[int]] = [[] for _ in blocks]
    for i, b in enumerate(blocks):
        for s in successors(b):
            preds[index[s]].append(i)
    loops: list[Loop] = []
    for latch, b in enumerate(blocks):
        for s in successors(b):
            header = index[s]
            if header not in dom[latch]:
                continue
            body, work = {header, latch}, [latch] if latch != header else []
            while work:
                for p in preds[work.pop()]:
                    if p not in body:
                        body.add(p)
                        work.append(p)
            loop = Loop(header, latch, body)
            _induction(loop, blocks, preds)
            loops.append(loop)
    return loops


def _invariant(v: SSAValue, loop: Loop, blocks: list[Block]) -> bool:
    owner = v.owner
    blk = owner if isinstance(owner, Block) else owner.parent_block()
    return blocks.index(blk) not in loop.body


def _induction(loop: Loop, blocks: list[Block], preds: list[list[int]]) -> None:
    """Find ``arg -> arg + step`` along the back edge (through the lifter's 64-bit sums,
    read as polynomials) and the latch's compare of it with a loop-invariant bound."""
    header, latch = blocks[loop.header], blocks[loop.latch]
    back = _edge_args(latch.last_op, header)
    term = latch.last_op
    found = affine.compare_of(term.cond) if isinstance(term, cf.ConditionalBranchOp) else None
    cond, holds = found if found is not None else (None, True)
    cache: dict = {}
    for k, arg in enumerate(header.args):
        if k >= len(back):
            break
        step = affine.add(affine.poly(back[k], cache), affine.leaf(arg), -1)
        if not step or not all(
            isinstance(x, tuple) or _invariant(x, loop, blocks) for x in affine.leaves(step)
        ):
            continue
        loop.ivs.append(k)
        if loop.iv >= 0 and loop.bound is not None:
            continue  # the compared induction variable is already the loop's own
        loop.iv, loop.step_poly = k, step
        loop.inits = [
            _edge_args(blocks[p].last_op, header)[k] for p in preds[loop.header]
            if p not in loop.body
        ]  # fmt: skip
        if isinstance(cond, arith.CmpiOp):
            x = affine.poly(cond.lhs, cache)
            bound = affine.poly(cond.rhs, cache)
            if x in (affine.leaf(arg), affine.poly(back[k], cache)) and all(
                isinstance(y, tuple) or _invariant(y, loop, blocks) for y in affine.leaves(bound)
            ):
                pred = arith.CMPI_COMPARISON_OPERATIONS[cond.predicate.value.data]
                # The branch stays in the loop on true (then-edge to the header) or false.
                stays = (term.then_block is header) == holds
                loop.bound, loop.cmp = cond.rhs, pred if stays else f"not {pred}"
                loop.bound_after_step = x != affine.leaf(arg)


def _show(p: dict) -> str:
    def name(k) -> str:
        return f"{k[0]}.{k[1]}" if isinstance(k, tuple) and isinstance(k[1], str) else (
            f"{k[0]}@{k[1]:#x}" if isinstance(k, tuple) else "%v")
    terms = [" * ".join([str(c)] * (c != 1 or not m) + [name(k) for k in m]) for m, c in p.items()]
    return " + ".join(terms) or "0"


def _describe(loop: Loop) -> DictionaryAttr:
    trip = loop.trip_count()
    return DictionaryAttr({
        "header": IntegerAttr(loop.header, i64),
        "latch": IntegerAttr(loop.latch, i64),
        "body": ArrayAttr([IntegerAttr(b, i64) for b in sorted(loop.body)]),
        "iv": IntegerAttr(loop.iv, i64),
        "ivs": ArrayAttr([IntegerAttr(k, i64) for k in loop.ivs]),
        "step": StringAttr("?" if loop.step_poly is None else _show(loop.step_poly)),
        "bound": StringAttr("?" if loop.bound is None else _show(affine.poly(loop.bound))),
        "cmp": StringAttr(loop.cmp or "?"),
        "trip": StringAttr("?" if trip is None else str(trip)),
    })  # fmt: skip


@dataclass(frozen=True)
class SassRecoverLoops(ModulePass):
    """Record the natural loops of every lifted kernel as ``sass.loops`` on its func."""

    name = "sass-recover-loops"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for fn in op.walk():
            if isinstance(fn, func.FuncOp) and "sass.arch" in fn.attributes:
                fn.attributes["sass.loops"] = ArrayAttr([_describe(lp) for lp in find_loops(fn)])
