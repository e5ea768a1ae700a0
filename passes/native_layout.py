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

from switcheroo.dialects import hub, pysrc
from xdsl.ir import Operation, SSAValue


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


def _reads_before_rebinding(func: pysrc.FuncOp, name: str, after: Operation | None) -> list[pysrc.NameOp] | None:
    """Reads of ``name`` while it holds the argument (``after`` None) or the value the
    statement ``after`` assigned; None when it is rebound inside a nested block (which
    reads see which value is then not static)."""
    reads: list[pysrc.NameOp] = []
    ops = list(func.body.block.ops)
    if after is not None:
        ops = ops[ops.index(after) + 1:]
    for o in ops:
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


def native_inputs(module: Operation, permute, perm_of, elementwise: frozenset[str]) -> set[int]:
    """Read each image input through the inverse of the layout its layers want, and keep
    each variable a layer's result is assigned to in the layer's layout (its reads go
    through the permutation instead). Returns the ids of the read permutations made."""
    made: set[int] = set()
    for func in [o for o in module.walk() if isinstance(o, pysrc.FuncOp)]:
        for name in (n.data for n in func.param_names.data):
            if name in ("self", "*", "/") or name.startswith("*"):
                continue
            reads = _reads_before_rebinding(func, name, None)
            if not reads:
                continue
            perms = {p for r in reads if (p := _layer_perm(r.result, perm_of, elementwise)) is not None}
            if len(perms) != 1:
                continue  # no layer wants it permuted, or layers disagree: keep the source's layout
            made |= _read_through(reads, inverse(perms.pop()), permute, func, name)
        for stmt in list(func.body.block.ops):
            if isinstance(stmt, pysrc.AssignOp):
                made |= _native_assignment(func, stmt, permute, perm_of, elementwise)
    return made


def _top_statement(op: Operation, func: pysrc.FuncOp) -> Operation:
    cur = op
    while cur.parent_op() is not func:
        parent = cur.parent_op()
        assert parent is not None
        cur = parent
    while not isinstance(cur, pysrc._Statement):
        nxt = cur.next_op
        assert nxt is not None
        cur = nxt
    return cur


def _read_through(reads: list[pysrc.NameOp], perm: tuple[int, ...], permute, func: pysrc.FuncOp,
                  name: str) -> set[int]:
    """Each read through ``permute(read, perm)``. A read used twice (``reshape(x,
    (x.shape[0], -1))``) in a statement of the function's own body gets the permutation
    as a statement of its own, ``x = transpose(x, perm)``, which later reads then see."""
    made: set[int] = set()
    for r in reads:
        if len(list(r.result.uses)) > 1 and r.parent_block() is func.body.block:
            stmt = _top_statement(r, func)
            first = stmt
            while first.prev_op is not None and not isinstance(first.prev_op, pysrc._Statement):
                first = first.prev_op
            read = pysrc.NameOp.create(properties={"id": r.id}, result_types=[r.result.type])
            ops = permute(read.result, perm)
            assign = pysrc.AssignOp.create(operands=[ops[-1].results[0]], properties={"target": r.id})
            if "leading" in stmt.properties:
                assign.properties["leading"] = stmt.properties["leading"]
                del stmt.properties["leading"]
            func.body.block.insert_ops_before([read, *ops, assign], first)
            break
        uses = list(r.result.uses)
        ops = permute(r.result, perm)
        block = r.parent_block()
        assert block is not None
        block.insert_ops_after(ops, r)
        for u in uses:
            u.operation.operands[u.index] = ops[-1].results[0]
        made.add(id(ops[-1]))
    return made


def _native_assignment(func: pysrc.FuncOp, stmt: pysrc.AssignOp, permute, perm_of,
                       elementwise: frozenset[str]) -> set[int]:
    """``x = relu(permute(conv(..), P))`` -> ``x = relu(conv(..))``, reads of ``x`` -> ``permute(x, P)``."""
    name = stmt.target.data.strip()
    if not name.isidentifier():
        return set()
    v = stmt.value
    while isinstance(v.owner, hub.HubOp) and v.owner.SPEC_NAME in elementwise and len(v.owner.args) == 1 \
            and v.has_one_use():
        v = v.owner.args[0]
    perm = perm_of(v.owner)
    if perm is None or not v.has_one_use() or not (
            isinstance(v.owner.args[0].owner, hub.ApplyOp) and "layout" in v.owner.args[0].owner.properties):
        return set()
    reads = _reads_before_rebinding(func, name, stmt)
    if reads is None:
        return set()
    layer_result = v.owner.args[0]
    dropped = v.owner
    v.replace_all_uses_with(layer_result)
    _erase_unused(dropped)
    return _read_through(reads, perm, permute, func, name)


def native_class(cls: pysrc.ClassOp, into: tuple[int, ...], back: tuple[int, ...], permute,
                 forward_names: frozenset[str]) -> bool:
    """Make module class ``cls`` take and return the target's layout: its forward method's
    input is read through ``back`` (the source's view of it, which folding then cancels
    against its first layer's permutation) and each result is permuted by ``into``.
    False (nothing changed) when the method is not one input in, results out."""
    funcs = [f for f in cls.body.block.ops if isinstance(f, pysrc.FuncOp) and f.sym_name.data in forward_names]
    if len(funcs) != 1:
        return False
    func = funcs[0]
    names = [n.data for n in func.param_names.data]
    if len(names) != 2 or names[0] != "self" or names[1].startswith("*"):
        return False
    returns = [r for r in func.walk() if isinstance(r, pysrc.ReturnOp)]
    reads = _reads_before_rebinding(func, names[1], None)
    if reads is None or not returns or any(len(r.operands) != 1 for r in returns):
        return False
    _read_through(reads, back, permute, func, names[1])
    for ret in returns:
        ops = permute(ret.operands[0], into)
        block = ret.parent_block()
        assert block is not None
        block.insert_ops_before(ops, ret)
        ret.operands[0] = ops[-1].results[0]
    return True


def native_results(module: Operation, perm_of, made: set[int]) -> None:
    """Drop the permutation back to the source's layout right before a ``return``: a
    layer's, or one a read of a variable in the layer's layout went through."""
    for ret in [o for o in module.walk() if isinstance(o, pysrc.ReturnOp)]:
        for i, v in enumerate(ret.operands):
            owner = v.owner
            if perm_of(owner) is None or not v.has_one_use():
                continue
            inner = owner.args[0].owner
            if (isinstance(inner, hub.ApplyOp) and "layout" in inner.properties) or id(owner) in made:
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
