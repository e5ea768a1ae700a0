"""The two shared trees of the row-softmax idiom (helper of ``sass_row_softmax``; step 3).

For every block size ``B`` of :data:`sass_block_reduce.BLOCK_SIZES` one block runs in
lock-step (``sass_block_eval.BlockEval``), ``cols`` a symbolic parameter, with hooks:

- a branch on ``tid.x < cols`` (``sass_row_loops._tid_vs_cols``) is not taken one way:
  the thread runs the straight-line path into the proven row loop (``sass_row_loops``),
  which it leaves at once (next item), and the two ways are merged where they meet, each
  value of the meeting block ``select(tid.x < cols, through the loop, skipped)``; a
  branch whose other way is the kernel's exit (``@P1 EXIT``) continues under ``tid.x <
  cols`` when no barrier or shared write follows (the exit has no effect, and no later
  tree can miss the exited threads);
- at a proven row loop's header the thread does not run the loop: its accumulator leaves
  it as the opaque fold atom ``("fold", k, tid)`` of its kind (proven per thread by
  ``sass_row_folds``), values the loop passes through unchanged keep their entry value,
  anything else the loop computes (the induction variable) becomes an opaque leaf;
- the reciprocal region (the branch on ``s``'s bits, the slow path's CALL and RET switch)
  is stepped over from its branch to the fast path's merge, ``1/s`` an opaque leaf of
  ``s`` (the recognised correctly rounded ``1.0f / s``, ``sass_row_softmax``).

So thread ``t``'s fold is present under the guard ``t - cols < 0``. Checked
(:func:`cover_row_folds`, for every value of ``cols``): the ``m`` the second loop
subtracts is a max of the first loop's folds of exactly the threads ``t < cols``, each
at least once; the ``s`` whose reciprocal the third loop multiplies by is a sum of the
second loop's folds of exactly those threads, each once; the block executes no global side
effect outside the loops. A branch on any other symbolic condition, a shared race or an
unfinished barrier stops the proof (``BlockEval``).
"""

from __future__ import annotations

from switcheroo.dialects.sass.lifted import AtomicOp, StoreOp
from switcheroo.passes.sass_block_eval import BlockEval, Lin
from switcheroo.passes.sass_block_reduce import BLOCK_SIZES, fold_atom
from switcheroo.passes.sass_block_values import Acc, Lit, as_acc, compare, select
from switcheroo.passes.sass_recover_loops import successors
from switcheroo.passes.sass_row_folds import Folds, _acc
from switcheroo.passes.sass_row_loops import RowLoop, _tid_vs_cols
from switcheroo.passes.sass_row_softmax import _fast_reciprocal, _sources, reciprocal_argument
from switcheroo.passes.sass_warp_reduce import NoIdiom, as_float, as_word, through
from xdsl.dialects import cf, func, gpu
from xdsl.ir import Block, BlockArgument

KINDS = ("max", "add")


def _opaque(*key) -> Lin:
    return Lin(frozenset({(key,): 1}.items()))


def _exit(header: Block) -> tuple[Block, list, list]:
    """(exit block, values passed to it, values passed back) of a single-block loop."""
    term = header.last_op
    if term.then_block is header:
        return term.else_block, list(term.else_arguments), list(term.then_arguments)
    return term.then_block, list(term.then_arguments), list(term.else_arguments)


def _inverse(fn: func.FuncOp, store) -> tuple:
    """(fast reciprocal value, its block, ``s``'s word) of the stored ``e * (1/s)``."""
    mul = as_float(store.operands[1]).owner
    for x in (mul.lhs, mul.rhs):
        try:
            word = as_word(x)
            s = reciprocal_argument(word, fn)
        except NoIdiom:
            continue
        (fast,) = [v for v in _sources(word) if _fast_reciprocal(v) is s]
        return fast, fast.owner.parent_block(), s
    raise NoIdiom("row trees: no reciprocal")


def _holds(q: dict, cols: tuple, v: int) -> bool:
    """The guard ``q < 0``, ``q = a * cols + d``, at ``cols = v``."""
    if not set(q) <= {(), (cols,)} or not q.get((cols,)):
        raise NoIdiom("row trees: a fold guarded by something other than cols")
    return q[(cols,)] * v + q.get((), 0) < 0


def cover_row_folds(acc: Acc, k: int, B: int, cols: tuple, kind: str, at_least: bool) -> None:
    """Prove ``acc`` is a ``kind`` reduction of the folds of loop ``k`` of exactly the
    threads ``t < cols`` (``t < B``), for every value of ``cols``: each once (``at_least``:
    once or more), nothing else. Guards are half-lines in ``cols``; the count of each
    thread changes only where a guard does, so those points (and their neighbours) decide."""
    if acc.kind not in (kind, None):
        raise NoIdiom(f"row trees: the tree over loop {k + 1}'s folds is not a {kind}")
    spans: dict[int, list] = {t: [] for t in range(B)}
    for (tag, t, guards), n in acc.atoms:
        if tag != ("fold", k) or t not in spans:
            raise NoIdiom(f"row trees: the tree over loop {k + 1}'s folds adds other values")
        spans[t].append(([dict(g.q) for g in guards], n))
    for t, found in spans.items():
        points = {-1, 0, t, t + 1, B + 1}
        for qs, _ in found:
            for q in qs:
                _holds(q, cols, 0)
                a, d = q[(cols,)], q.get((), 0)
                points |= {-d // a + e for e in (-1, 0, 1)}
        for v in points:
            count = sum(n for qs, n in found if all(_holds(q, cols, v) for q in qs))
            if (min(count, 1) if at_least else count) != (t < v):
                raise NoIdiom(f"row trees: the tree over loop {k + 1}'s folds misses thread "
                              f"{t} or counts it twice (cols = {v})")  # fmt: skip


def _quiet(start: Block) -> bool:
    """No barrier and no shared-memory write is reachable from ``start``."""
    seen, work = {start}, [start]
    while work:
        b = work.pop()
        for op in b.ops:
            if isinstance(op, gpu.BarrierOp) or isinstance(
                    op, StoreOp | AtomicOp) and op.space.data == "shared":  # fmt: skip
                return False
        for succ in successors(b):
            if succ not in seen:
                seen.add(succ)
                work.append(succ)
    return True


class _Eval(BlockEval):
    """Integer ops the evaluation cannot follow (the loops' index words, computed before
    them) give opaque leaves: any branch or address on one still stops the proof."""

    def _value(self, op, vals):
        try:
            return super()._value(op, vals)
        except NoIdiom:
            if op.name.startswith("arith.") and op.name[-1] == "i":
                return _opaque("int", op, vals)
            raise


class RowTrees:
    """Evaluate one block of ``B`` threads (see the module docstring); ``run`` raises
    NoIdiom where a check fails."""

    def __init__(self, fn: func.FuncOp, loops: list[RowLoop], cols: int, folds: Folds, store):
        self.fn, self.loops, self.folds = fn, loops, folds
        self.cols_key = ("param", cols)
        self.cols = {(self.cols_key,): 1}
        self.headers = {lp.header: k for k, lp in enumerate(loops)}
        self.accs = [_acc(lp) for lp in loops[:2]]
        self.fast, self.fast_block, self.s = _inverse(fn, store)

    def run(self, B: int) -> None:
        self.B, self.sum, self.covered = B, None, set()
        self.ev = ev = _Eval(self.fn, B)
        self.plans = {b: ev._plan(b) for b in ev.blocks}
        ev.jump = self._loop
        ev.branch = self._branch
        ev.run()
        if ev.effects:
            raise NoIdiom("row trees: a global side effect outside the row loops")

    def _below(self, t: int) -> Lit:
        lit = compare("slt", t, Lin(frozenset(self.cols.items())), 32)
        if not isinstance(lit, Lit):
            raise NoIdiom("row trees: tid.x < cols decided without cols")
        return lit

    def _value(self, v, header: Block, args: list, env: dict):
        v = through(v)
        if isinstance(v, BlockArgument) and v.block is header:
            return args[v.index]
        return env[v]

    # ------------------------------------------------------------------ hooks
    def _loop(self, succ: Block, args: list, t: int, env: dict) -> Block | None:
        """At a row loop's header: check what enters it, then leave it at once."""
        k = self.headers.get(succ)
        if k is None:
            return None
        if k == 1:  # the second loop subtracts m: the max of the first folds
            m = as_acc(self._value(self.folds.m, succ, args, env))
            if m not in self.covered:  # every thread reads the same m
                cover_row_folds(m, 0, self.B, self.cols_key, "max", at_least=True)
                self.covered.add(m)
        if k == 2:  # the third multiplies by 1/s, s the sum tree's result
            s = self._value(self.folds.s, succ, args, env)
            if self.sum is None or as_acc(s) != self.sum:
                raise NoIdiom("row trees: the third loop's 1/s is not of the sum tree")
        exit_, out, back = _exit(succ)
        acc, nxt = self.accs[k] if k < 2 else (None, None)
        for a, v in zip(exit_.args, out):
            v = through(v)
            if v is acc or v is nxt:
                env[a] = fold_atom(k, t, KINDS[k])
            elif isinstance(v, BlockArgument) and v.block is succ and through(back[v.index]) is v:
                env[a] = args[v.index]  # passed through the loop unchanged
            elif isinstance(v, BlockArgument) and v.block is succ or (
                    v.owner.parent_block() is succ):  # fmt: skip
                env[a] = _opaque("loop", k, a.index)
            else:
                env[a] = env[v]
        return exit_

    def _branch(self, op, cond, t: int, env: dict) -> Block | None:
        below = _tid_vs_cols(op.parent_block(), self.cols)
        if below is not None:
            other = op.else_block if below is op.then_block else op.then_block
            return self._split(op, below, other, t, env)
        if self.fast_block in (op.then_block, op.else_block) and op.then_block is not op.else_block:
            return self._rcp(op, t, env)
        return None

    @staticmethod
    def _args(op, succ: Block) -> list:
        return list(op.then_arguments if succ is op.then_block else op.else_arguments)

    def _split(self, op, below: Block, other: Block, t: int, env: dict) -> Block:
        """``tid.x < cols``: through the loop or past it, merged (module docstring)."""
        lit = self._below(t)
        if isinstance(other.first_op, func.ReturnOp):
            if not _quiet(below):  # exited threads would be missing from a later tree
                raise NoIdiom("row trees: an exit on tid.x >= cols before a barrier")
            return self._enter(below, [env[a] for a in self._args(op, below)], t, env)
        inside = dict(env)
        block = self._enter(below, [env[a] for a in self._args(op, below)], t, inside)
        effects = len(self.ev.effects)
        for _ in range(len(self.plans)):
            if block is other or block is None:
                break
            plan, barrier = self.plans[block]
            if barrier or any(tag == "cbr" for tag, *_ in plan):
                raise NoIdiom("row trees: the way into a row loop is not straight")
            block = self.ev._block(plan, t, inside)
        if block is not other or len(self.ev.effects) != effects:
            raise NoIdiom("row trees: a row loop and its skip do not meet")
        skipped = [env[a] for a in self._args(op, other)]
        for a, v in zip(other.args, skipped):
            env[a] = select(lit, inside[a], v)
        return other

    def _enter(self, succ: Block, vals: list, t: int, env: dict) -> Block:
        nxt = self._loop(succ, vals, t, env)
        if nxt is not None:
            return nxt
        for a, v in zip(succ.args, vals):
            env[a] = v
        return succ

    def _rcp(self, op, t: int, env: dict) -> Block:
        """Step over ``1/s``: check ``s`` is the sum tree, pass an opaque ``1/s`` on."""
        f = self.fast_block
        into = self._args(op, f)
        term = f.last_op
        if not isinstance(term, cf.BranchOp):
            raise NoIdiom("row trees: the fast reciprocal does not branch to the merge")
        s = through(self.s)
        s = env[into[s.index]] if isinstance(s, BlockArgument) and s.block is f else env[s]
        total = as_acc(s)
        if total not in self.covered:
            cover_row_folds(total, 1, self.B, self.cols_key, "add", at_least=False)
            self.covered.add(total)
        self.sum = total
        vals = []
        for v in term.arguments:
            v = through(v)
            if v is self.fast:
                vals.append(_opaque("rcp", total))
            elif isinstance(v, BlockArgument) and v.block is f:
                vals.append(env[into[v.index]])
            elif v.owner.parent_block() is f:
                raise NoIdiom("row trees: the fast path passes on another value it computes")
            else:
                vals.append(env[v])
        return self._enter(term.successor, vals, t, env)


def row_trees(fn: func.FuncOp, loops: list[RowLoop], cols: int, folds: Folds, store) -> tuple:
    """Prove the two trees for every block size of ``BLOCK_SIZES`` (module docstring); the
    sizes proven, or NoIdiom."""
    trees = RowTrees(fn, loops, cols, folds, store)
    for B in BLOCK_SIZES:
        try:
            trees.run(B)
        except NoIdiom as why:
            raise NoIdiom(f"block of {B}: {why}") from None
    return BLOCK_SIZES
