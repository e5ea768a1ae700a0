"""Sink a layer's permutation back through a variable that all its reads permute again.

``x = relu(permute(conv(..), P))`` read as ``conv2(permute(x, P^-1))`` and
``conv3(permute(x, P^-1))`` keeps ``x`` in the source's layout only to leave it at once:
``x = relu(conv(..))`` with each read through ``permute(x, P)`` is the same program
(``relu`` is element-wise), and folding then cancels those reads' pairs. What still
needs the source's layout (a read returned, flattened or stored) keeps its permutation.

The rewrite is exact whatever the reads do; it is kept only when the function then holds
fewer permutations than before, so it never adds a transpose. A function is tried on
clones, folded after each sink, and the clone with the fewest replaces it when it has fewer.
Only functions that join branches with a ``concat`` are tried: elsewhere the clones cost
far more than the transposes they save (a third of a conversion over a model file).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from switcheroo.dialects import hub, pysrc
from switcheroo.passes import native_layout
from xdsl.ir import Operation, Region, SSAValue

Permute = Callable[[SSAValue, tuple[int, ...]], list[Operation]]
PermOf = Callable[[Operation], tuple[int, ...] | None]
ElementwiseInput = Callable[[Operation], int | None]


def _worth_trying(func: pysrc.FuncOp) -> bool:
    """Whether ``func`` joins branches with a ``concat`` (a squeezenet Fire, an inception
    block): the shape, a value read by several permuted branches, folding alone cannot
    reach. Trying a function on clones costs a third of a conversion over a whole model
    file, so other functions are left to folding."""
    return any(isinstance(o, hub.HubOp) and o.SPEC_NAME == "concat" for o in pysrc.ops_of(func, hub.HubOp))


def sink_assignments(module: Operation, fold: Callable[[Region], None], permute: Permute, perm_of: PermOf,
                     elementwise_input: ElementwiseInput) -> None:
    """Sink each assignment's permutation into its reads where that leaves fewer
    permutations in its function (see the module docstring)."""
    funcs = [o for o in module.walk() if isinstance(o, pysrc.FuncOp)]
    # a function holding a nested one is left alone: its clone would orphan the inner one
    for func in [f for f in funcs if _worth_trying(f)
                 and not any(isinstance(o, (pysrc.FuncOp, pysrc.ClassOp)) for o in f.body.walk())]:
        # a sink that keeps the count may enable the next (``out = bn(out)`` then
        # ``out = relu(out)``): ties are kept going, the fewest found is kept at the end
        cur, best = func, func
        cur_n = best_n = _permutations(func)
        i = 0
        while i < len(cur.body.block.ops):
            stmt = list(cur.body.block.ops)[i]
            if isinstance(stmt, pysrc.AssignOp) and _layer_permute(stmt.value, perm_of, elementwise_input):
                trial = cur.clone()
                if _sink(trial, list(trial.body.block.ops)[i], permute, perm_of, elementwise_input):
                    fold(trial.body)
                    n = _permutations(trial)
                    # a tie that added a statement (``x = transpose(x, P)`` for a read used
                    # twice) is no step forward: taking it could sink that one forever
                    if n < cur_n or (n == cur_n and len(trial.body.block.ops) == len(cur.body.block.ops)):
                        cur, cur_n = trial, n
                    if n < best_n:
                        best, best_n = trial, n
            i += 1
        if best is not func:
            block = func.parent_block()
            assert block is not None
            block.insert_op_before(best, func)
            func.detach()
            func.erase()


def _layer_permute(v: SSAValue, perm_of: PermOf, elementwise_input: ElementwiseInput) -> Operation | None:
    """The permute ``v`` is (behind element-wise ops, each result used once), or None."""
    while (i := elementwise_input(v.owner)) is not None and v.has_one_use():
        v = v.owner.operands[i]
    return v.owner if perm_of(v.owner) is not None and v.has_one_use() else None


def _permutations(func: pysrc.FuncOp) -> int:
    """The permutations ``func`` computes: those a statement's value needs (folding leaves
    the ops it replaced behind, unused)."""
    live: set[Operation] = set()
    todo = [o for o in func.body.walk() if not o.results or isinstance(o, pysrc._Statement)]  # pyright: ignore[reportPrivateUsage]
    while todo:
        o = todo.pop()
        if o not in live:
            live.add(o)
            todo.extend(v.owner for v in o.operands if isinstance(v.owner, Operation))
    return sum(1 for o in live if isinstance(o, hub.HubOp) and o.SPEC_NAME in ("permute_dims", "moveaxis"))


def _sink(func: pysrc.FuncOp, stmt: Operation, permute: Permute, perm_of: PermOf,
          elementwise_input: ElementwiseInput) -> bool:
    """``x = E(permute(c, P))`` -> ``x = E(c)``, each read of ``x`` -> ``permute(x, P)``."""
    assert isinstance(stmt, pysrc.AssignOp)
    name = stmt.target.data.strip()
    if not name.isidentifier() or not _plainly_bound(func, name):
        return False
    reads = native_layout._reads_before_rebinding(func, name, stmt)  # pyright: ignore[reportPrivateUsage] (shared helper)
    p_op = _layer_permute(stmt.value, perm_of, elementwise_input)
    if not reads or p_op is None:
        return False
    perm = perm_of(p_op)
    assert perm is not None
    p_op.results[0].replace_all_uses_with(p_op.operands[0])
    native_layout._erase_unused(p_op)  # pyright: ignore[reportPrivateUsage] (shared helper)
    native_layout._read_through(reads, perm, permute, func, name)  # pyright: ignore[reportPrivateUsage]
    return True


def _plainly_bound(func: pysrc.FuncOp, name: str) -> bool:
    """Whether every read of ``name`` in ``func`` is a ``pysrc.name`` op: no ``x += ..``
    (which reads ``x`` with no op), no comprehension, ``with .. as`` or kept-verbatim
    code that binds or reads it."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    for o in func.body.walk():
        if isinstance(o, pysrc.AugAssignOp) and native_layout._binds(o, name):  # pyright: ignore[reportPrivateUsage]
            return False
        if isinstance(o, (pysrc.CompOp, pysrc.ForOp)) \
                and native_layout._binds_target(o.target.data, name):  # pyright: ignore[reportPrivateUsage]
            return False
        if isinstance(o, pysrc.WithOp) and name in (n.data for n in o.as_names.data):
            return False
        if isinstance(o, (pysrc.OpaqueStmtOp, pysrc.OpaqueExprOp)) and word.search(o.code.data):
            return False
    return True
