"""``convert-layouts{layout=native}``: the converted model takes and returns the target's
own layout (NHWC images for flax, keras, tensorflow, mlx) instead of the source's.

An input of a function whose reads reach a layer wanting another layout (through
element-wise ops) is read through the inverse permutation — the source's view of it —
and folding then cancels that against the layer's own permutation, so the chain of
layers runs with no transposes. A permutation a layer's result went through right
before a ``return`` is dropped: the result stays in the target's layout too.

What needs the source's layout keeps one transpose: ``x.flatten(1)`` before a ``Linear``
flattens in torch's C, H, W order, so the weights migrate unchanged (no permuted Linear).
"""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue

from switcheroo.dialects import hub, pysrc



def inverse(perm: tuple[int, ...]) -> tuple[int, ...]:
    out = [0] * len(perm)
    for i, p in enumerate(perm):
        out[p] = i
    return tuple(out)


def _layer_perm(v: SSAValue, perm_of, elementwise: frozenset[str]) -> tuple[int, ...] | None:
    """The permutation a layer wanting another layout applies to ``v`` (its only use,
    possibly behind element-wise ops)."""
    while v.has_one_use():
        user = next(iter(v.uses)).operation
        p = perm_of(user)
        if p is not None:
            consumers = [u.operation for u in user.results[0].uses]
            if consumers and all(isinstance(c, hub.ApplyOp) and "layout" in c.properties for c in consumers):
                return p
            return None
        if isinstance(user, hub.HubOp) and user.SPEC_NAME in elementwise and len(user.args) == 1:
            v = user.res[0]
            continue
        return None
    return None


def _reads_before_rebinding(func: pysrc.FuncOp, name: str) -> list[pysrc.NameOp] | None:
    """Reads of parameter ``name`` while it still holds the argument; None when it is
    rebound inside a nested block (which reads see the argument is then not static)."""
    reads: list[pysrc.NameOp] = []
    for o in func.body.block.ops:
        nested_assign = any(isinstance(n, (pysrc.AssignOp, pysrc.AugAssignOp)) and _binds(n, name)
                            for n in o.walk() if n is not o)
        if nested_assign or (isinstance(o, pysrc.ForOp) and _binds_target(o.target.data, name)):
            return None
        reads.extend(n for n in o.walk() if isinstance(n, pysrc.NameOp) and n.id.data == name)
        if isinstance(o, (pysrc.AssignOp, pysrc.AugAssignOp)) and _binds(o, name):
            break
    return reads


def _binds(o: pysrc.AssignOp | pysrc.AugAssignOp, name: str) -> bool:
    return _binds_target(o.target.data, name)


def _binds_target(target: str, name: str) -> bool:
    return name in {t.strip(" ()[]") for t in target.split(",")}


def native_inputs(module: Operation, permute, perm_of, elementwise: frozenset[str]) -> None:
    """Read each image input through the inverse of the layout its layers want."""
    for func in [o for o in module.walk() if isinstance(o, pysrc.FuncOp)]:
        for name in (n.data for n in func.param_names.data):
            if name in ("self", "*", "/") or name.startswith("*"):
                continue
            reads = _reads_before_rebinding(func, name)
            if not reads:
                continue
            perms = {p for r in reads if (p := _layer_perm(r.result, perm_of, elementwise)) is not None}
            if len(perms) != 1:
                continue  # no layer wants it permuted, or layers disagree: keep the source's layout
            back = inverse(perms.pop())
            for r in reads:
                uses = list(r.result.uses)
                ops = permute(r.result, back)
                block = r.parent_block()
                assert block is not None
                block.insert_ops_after(ops, r)
                for u in uses:
                    u.operation.operands[u.index] = ops[-1].results[0]


def native_results(module: Operation, perm_of) -> None:
    """Drop the permutation back to the source's layout right before a ``return``."""
    for ret in [o for o in module.walk() if isinstance(o, pysrc.ReturnOp)]:
        for i, v in enumerate(ret.operands):
            owner = v.owner
            if perm_of(owner) is None or not v.has_one_use():
                continue
            inner = owner.args[0].owner
            if isinstance(inner, hub.ApplyOp) and "layout" in inner.properties:
                ret.operands[i] = owner.args[0]
                _erase_unused(owner)


def _erase_unused(op: Operation) -> None:
    """Erase ``op`` and the constants only it used."""
    feeders = [o.owner for o in op.operands if isinstance(o.owner, Operation)]
    op.detach()
    op.erase()
    for f in feeders:
        if all(not r.uses for r in f.results) and not isinstance(f, (hub.ApplyOp, pysrc.NameOp)):
            _erase_unused(f)
