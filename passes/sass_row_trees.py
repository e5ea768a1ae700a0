"""The two shared trees of the row-softmax idiom (helper of ``sass_row_softmax``; step 3,
*in progress*: evaluated, not yet used to raise).

Lock-step block evaluation (``sass_block_eval.BlockEval``) with two hooks:

- at each proven row loop's header (``sass_row_loops``) the thread does not run the loop:
  the accumulator leaves it as the opaque fold atom ``("fold", k, tid)`` of its kind
  (``sass_block_reduce.fold_atom``, proven per thread by ``sass_row_folds``), values the
  loop passes through unchanged keep their entry value, anything else the loop computes
  (the induction variable) becomes an opaque leaf;
- the entry guards ``tid.x < cols`` are symbolic; the evaluation is run once per case
  ``c = clamp(cols, 0, B)`` (threads ``t < c`` enter the loops, the others skip them,
  their fold being empty);
- the reciprocal region (the branch on ``s``'s bits, the slow path's CALL and RET
  switch) is stepped over from its branch to the merge, ``1/s`` an opaque leaf of ``s``.

Checked: at the second loop ``m`` combines every thread's first fold at least once
(max), at the third ``m`` is the same and ``s`` combines every second fold exactly once
(add) (``cover_folds``); no global side effect outside the loops.
"""

from __future__ import annotations

from switcheroo.passes.sass_block_eval import BlockEval, Lin, as_acc
from switcheroo.passes.sass_block_reduce import cover_folds, fold_atom
from switcheroo.passes.sass_row_loops import RowLoop, _tid_vs_cols
from switcheroo.passes.sass_row_softmax import _sources, reciprocal_argument
from switcheroo.passes.sass_warp_reduce import NoIdiom, as_float, as_word, through
from xdsl.dialects import arith, cf, func
from xdsl.ir import Block, BlockArgument

KINDS = ("max", "add")


def _opaque(*key) -> Lin:
    return Lin(frozenset({(key,): 1}.items()))


def _exit(header: Block) -> tuple[Block, list, list]:
    term = header.last_op
    if term.then_block is header:
        return term.else_block, list(term.else_arguments), list(term.then_arguments)
    return term.then_block, list(term.then_arguments), list(term.else_arguments)


def _inverse(fn: func.FuncOp, store) -> tuple:
    """(fast reciprocal value, its block F, s's word) of the stored ``e * (1/s)``."""
    mul = as_float(store.operands[1]).owner
    for x in (mul.lhs, mul.rhs):
        try:
            word = as_word(x)
            s = reciprocal_argument(word, fn)
        except NoIdiom:
            continue
        (fast,) = [v for v in _sources(word) if isinstance(v.owner, arith.BitcastOp | type(
            v.owner)) and v.owner.parent_block() is not None and _is_fast(v, s)]  # fmt: skip
        return fast, fast.owner.parent_block(), s
    raise NoIdiom("row trees: no reciprocal")


def _is_fast(v, s) -> bool:
    from switcheroo.passes.sass_row_softmax import _fast_reciprocal

    return _fast_reciprocal(v) is s


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
    """Evaluate block size ``B`` with ``c`` threads below ``cols``; check the trees."""

    def __init__(self, fn: func.FuncOp, loops: list[RowLoop], cols: int, folds, store):
        self.fn, self.loops, self.folds = fn, loops, folds
        self.cols = {(("param", cols),): 1}
        self.headers = {lp.header: k for k, lp in enumerate(loops)}
        self.fast, self.fast_block, self.s = _inverse(fn, store)

    def run(self, B: int, c: int) -> None:
        ev = _Eval(self.fn, B)
        self.m: list = [None] * B
        self._c = c
        ev.jump = lambda succ, args, t, env: self._loop(succ, args, t, env, B, c)
        ev.branch = lambda op, cond, t, env: self._branch(op, t, env, c)
        ev.run()
        if ev.effects:
            raise NoIdiom("row trees: a global side effect outside the row loops")

    def _value(self, v, header: Block, args: list, env: dict):
        v = through(v)
        if isinstance(v, BlockArgument) and v.block is header:
            return args[v.index]
        return env[v]

    def _loop(self, succ: Block, args: list, t: int, env: dict, B: int, c: int):
        k = self.headers.get(succ)
        if k is None:
            return None
        loop = self.loops[k]
        if k == 1:  # the second loop subtracts m: every first fold, at least once
            m = as_acc(self._value(self.folds.m, succ, args, env))
            cover_folds(m, 0, c, at_least=True)
            self.m[t] = m
        if k == 2:  # the third: the same m, and 1/s of the second folds' sum
            r = self._value(self.folds.s, succ, args, env)
            if as_acc(r) != self.sum:
                raise NoIdiom("row trees: the third loop's 1/s is not of the sum tree")
        exit_, out, back = _exit(succ)
        from switcheroo.passes.sass_row_folds import _acc

        acc, nxt = _acc(loop) if k < 2 else (None, None)
        for a, v in zip(exit_.args, out):
            v = through(v)
            if v is acc or v is nxt:
                env[a] = fold_atom(k, t, KINDS[k]) if k < 2 else _opaque("acc", k)
            elif isinstance(v, BlockArgument) and v.block is succ and through(back[v.index]) is v:
                env[a] = args[v.index]
            elif v.owner is not None and v.owner.parent_block() is succ or isinstance(
                    v, BlockArgument) and v.block is succ:  # fmt: skip
                env[a] = _opaque("loop", k, a.index)
            else:
                env[a] = env[v]
        self.c = c
        return exit_

    def _sum(self, c: int):
        return self.sum

    def _branch(self, op, t: int, env: dict, c: int):
        block = op.parent_block()
        below = _tid_vs_cols(block, self.cols)
        if below is not None:
            succ = below if t < c else (op.else_block if below is op.then_block else
                                        op.then_block)  # fmt: skip
            args = op.then_arguments if succ is op.then_block else op.else_arguments
            return self._goto(succ, [env[a] for a in args], t, env)
        if self.fast_block in (op.then_block, op.else_block) and op.then_block is not op.else_block:
            return self._rcp(op, t, env)
        return None

    def _goto(self, succ, vals, t, env):
        nxt = self._loop(succ, vals, t, env, None, self._c)
        if nxt is not None:
            return nxt
        for a, v in zip(succ.args, vals):
            env[a] = v
        return succ

    def _rcp(self, op, t: int, env: dict):
        f = self.fast_block
        into = op.then_arguments if op.then_block is f else op.else_arguments
        term = f.last_op
        if not isinstance(term, cf.BranchOp):
            raise NoIdiom("row trees: the fast reciprocal does not branch to the merge")
        s = env[through(self.s)] if not (isinstance(self.s, BlockArgument) and self.s.block
                                         is f) else env[into[self.s.index]]  # fmt: skip
        S = as_acc(s)
        cover_folds(S, 1, self.c, at_least=False)
        self.sum = S
        vals = []
        for v in term.arguments:
            v = through(v)
            if v is self.fast:
                vals.append(_opaque("rcp", S))
            elif isinstance(v, BlockArgument) and v.block is f:
                vals.append(env[into[v.index]])
            elif v.owner.parent_block() is f:
                raise NoIdiom("row trees: the fast path passes on another value it computes")
            else:
                vals.append(env[v])
        return self._goto(term.successor, vals, t, env)
