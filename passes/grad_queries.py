"""Branches on whether arrays record gradients, folded where arrays carry no such flag.

torch tensors say whether autograd tracks them (``t.requires_grad``); torchvision's
densenet asks through a helper (``any_requires_grad``) and checkpoints its bottleneck only
then, to save memory in training. A target whose arrays are plain values
(``functional_arrays`` in its traits: JAX, Flax NNX; gradients come from transforming a
function) has no flag to read, and both branches compute the same values. So, before
raising:

- a method of a module class whose body reads ``<x>.requires_grad`` and only returns the
  literals ``True``/``False`` is a *gradient query*;
- ``if <query>(...):`` or ``if <a> and <query>(...):`` takes its ``else`` branch (the
  plain computation); the branch that needed the flag is dropped;
- the query method, then unused, is removed (it could not run on the target's arrays).

Anything else reading ``requires_grad`` is left alone (and reported by later passes).
"""

from __future__ import annotations

from switcheroo.dialects import pysrc
from switcheroo.ontology.loader import load_ontology
from xdsl.ir import Operation, SSAValue

# The hub's name for a tensor's gradient-tracking flag (the ``Parameter`` spec's argument).
GRAD_FLAG = "requires_grad"


def _is_self(v: SSAValue) -> bool:
    return isinstance(v.owner, pysrc.NameOp) and v.owner.id.data == "self"


def _is_query(func: pysrc.FuncOp) -> bool:
    found = pysrc.ops_of(func, (pysrc.AttrOp, pysrc.ReturnOp))  # one walk for both
    reads_flag = any(type(o) is pysrc.AttrOp and o.attr.data == GRAD_FLAG for o in found)
    returns = [o for o in found if type(o) is pysrc.ReturnOp]
    literal = all(len(r.operands) == 1 and isinstance(r.operands[0].owner, pysrc.ConstOp)
                  and r.operands[0].owner.code.data in ("True", "False") for r in returns)
    return reads_flag and bool(returns) and literal


def _asks(cond: SSAValue, queries: set[str]) -> bool:
    """``self.<query>(...)``, alone or as an operand of ``and``."""
    op = cond.owner
    if isinstance(op, pysrc.BinOp) and op.operator.data == "and":
        return any(_asks(o, queries) for o in op.operands)
    return isinstance(op, pysrc.CallOp) and isinstance(op.callee.owner, pysrc.AttrOp) \
        and _is_self(op.callee.owner.obj) and op.callee.owner.attr.data in queries


def fold_grad_queries(module: Operation, target: str) -> None:
    """Fold gradient queries for ``target`` (see the module docstring)."""
    traits = load_ontology().traits.get(target)
    if traits is None or not traits.functional_arrays:
        return
    for cls in pysrc.ops_of(module, pysrc.ClassOp):
        methods = {f.sym_name.data: f for f in cls.body.block.ops if isinstance(f, pysrc.FuncOp)}
        queries = {name for name, f in methods.items() if _is_query(f)}
        if not queries:
            continue
        for branch in [o for o in pysrc.ops_of(cls, pysrc.IfOp) if _asks(o.operands[0], queries)]:
            _take_else(branch)
        read = {o.attr.data for o in pysrc.ops_of(cls, pysrc.AttrOp) if _is_self(o.obj)}
        for name in queries - read:
            methods[name].detach()
            methods[name].erase()


def _take_else(branch: pysrc.IfOp) -> None:
    block = branch.parent_block()
    assert block is not None
    moved = list(branch.orelse.block.ops) if branch.orelse.blocks else []
    for op in moved:
        op.detach()
        block.insert_op_before(op, branch)
    first = next((o for o in moved if isinstance(o, pysrc._Statement)), None)
    if first is not None and branch.leading is not None and first.leading is None:
        first.properties["leading"] = branch.leading
    cond = branch.operands[0].owner
    branch.detach()
    branch.erase()
    _erase_unused(cond)


def _erase_unused(op: Operation) -> None:
    if op.parent is None or any(r.uses for r in op.results):
        return
    producers = [o.owner for o in op.operands if isinstance(o.owner, Operation)]
    op.detach()
    op.erase()
    for p in producers:
        _erase_unused(p)
