"""Torch's ways of filling layer containers, rewritten to the forms other passes read.

Run before raising, in the source's own terms (the result is valid torch, with the same
layers in the same order):

- ``nn.Sequential(OrderedDict([("conv0", conv), ...]))`` -> ``nn.Sequential(conv, ...)``:
  a Sequential calls its members in order, their names only label them (the weight
  migration pairs a Sequential's members by position, ``backends/weights/tree.py``);
- ``self.features = nn.Sequential(...)`` followed by ``self.features.add_module(name, m)``
  (in loops too) -> the members gathered in a list, ``features.append(m)``, and
  ``self.features = nn.Sequential(*features)`` after the last one: the layout and
  members of the container are then known where it is built;
- a ``nn.Sequential`` subclass whose ``__init__`` sets its members as attributes
  (``self.norm = nn.BatchNorm2d(c)``) passes them to ``super().__init__(...)`` instead;
- in a ``nn.ModuleDict`` subclass, ``self.add_module(key, m)`` -> ``self[key] = m``.

A form with anything else in it (another read of the container before it is complete, a
key that is not a plain expression) is left as written, and later passes report it.
"""

from __future__ import annotations

import ast

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.loader import load_ontology
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Block, Operation, SSAValue

ORDERED_DICT = "OrderedDict"


def _is_self(v: SSAValue) -> bool:
    return isinstance(v.owner, pysrc.NameOp) and v.owner.id.data == "self"


def _self_attr(v: SSAValue) -> str | None:
    op = v.owner
    return op.attr.data if isinstance(op, pysrc.AttrOp) and _is_self(op.obj) else None


def _text(v: SSAValue) -> str | None:
    """Source text of a plain expression (literals, names, attributes, operators)."""
    op = v.owner
    if isinstance(op, pysrc.ConstOp):
        return op.code.data
    if isinstance(op, pysrc.NameOp):
        return op.id.data
    if isinstance(op, pysrc.AttrOp):
        obj = _text(op.obj)
        return None if obj is None else f"{obj}.{op.attr.data}"
    if isinstance(op, pysrc.BinOp) and len(op.operands) == 2:
        parts = [_text(o) for o in op.operands]
        if None in parts:
            return None
        wrapped = [f"({t})" if isinstance(o.owner, pysrc.BinOp) else t for o, t in zip(op.operands, parts, strict=True)]
        return f"{wrapped[0]} {op.operator.data} {wrapped[1]}"
    return None


def _slice(value: SSAValue) -> list[Operation]:
    """The ops computing ``value`` (operands first)."""
    out: list[Operation] = []

    def visit(v: SSAValue) -> None:
        op = v.owner
        if isinstance(op, Operation) and op not in out:
            for o in op.operands:
                visit(o)
            out.append(op)

    visit(value)
    return out


def _erase_tree(ops: list[Operation]) -> None:
    for op in reversed(ops):
        if op.parent is not None and all(not r.uses for r in op.results):
            op.detach()
            op.erase()


def _base_api(cls: pysrc.ClassOp) -> str | None:
    bases = [o.owner for o in cls.operands]
    return bases[0].api.data if len(bases) == 1 and isinstance(bases[0], fw.RefOp) else None


def _add_module_calls(func: pysrc.FuncOp, receiver) -> list[pysrc.ExprStmtOp]:
    """``<receiver>.add_module(key, m)`` statements of ``func``."""
    out = []
    for stmt in func.walk():
        if not isinstance(stmt, pysrc.ExprStmtOp) or not isinstance(stmt.value.owner, pysrc.CallOp):
            continue
        call = stmt.value.owner
        callee = call.callee.owner
        if isinstance(callee, pysrc.AttrOp) and callee.attr.data == "add_module" and receiver(callee.obj) \
                and len(call.args) == 2 and all(n.data == "" for n in call.arg_names.data):
            out.append(stmt)
    return out


def rewrite_container_forms(module: Operation, source: str) -> None:
    """Apply the rewrites of the module docstring to every class of ``module``."""
    specs = load_ontology().specs
    api = {name: specs[name].variants[source].api for name in ("Sequential", "ModuleDict")
           if name in specs and source in specs[name].variants}
    if len(api) < 2:
        return
    for cls in pysrc.ops_of(module, pysrc.ClassOp):
        init = next((f for f in cls.body.block.ops if isinstance(f, pysrc.FuncOp) and f.sym_name.data == "__init__"),
                    None)
        if init is None:
            continue
        base = _base_api(cls)
        if base == api["ModuleDict"]:
            _dict_items(init)
        if base == api["Sequential"]:
            _sequential_members(cls, init)
        for op in [o for o in pysrc.ops_of(init, fw.CallOp) if o.api.data == api["Sequential"]]:
            _unwrap_ordered_dict(op)
        for assign in [o for o in init.body.block.ops if isinstance(o, pysrc.AssignOp)]:
            if isinstance(assign.value.owner, fw.CallOp) and assign.value.owner.api.data == api["Sequential"]:
                _gather_members(init, assign, api["Sequential"])
    _drop_unused_import(module, ORDERED_DICT)


def _dict_items(init: pysrc.FuncOp) -> None:
    for stmt in _add_module_calls(init, _is_self):
        call = stmt.value.owner
        key = _text(call.args[0])
        if key is None:
            continue
        props = {k: v for k, v in stmt.properties.items() if k in ("leading", "trailing", "footer", "loc")}
        assign = pysrc.AssignOp.create(operands=[call.args[1]], properties={**props, "target": StringAttr(f"self[{key}]")})
        block = stmt.parent_block()
        assert block is not None
        block.insert_op_before(assign, stmt)
        dead = [*_slice(call.args[0]), *_slice(call.callee), call]
        stmt.detach()
        stmt.erase()
        _erase_tree(dead)


def _sequential_members(cls: pysrc.ClassOp, init: pysrc.FuncOp) -> None:
    """``super().__init__(); self.a = A; self.b = B`` -> ``super().__init__(A, B)``."""
    if any(isinstance(f, pysrc.FuncOp) and f.sym_name.data not in ("__init__",) for f in cls.body.block.ops):
        return  # a forward of its own (or other methods) may read the members by name
    ops = list(init.body.block.ops)
    sup = next((o for o in ops if isinstance(o, pysrc.ExprStmtOp) and _is_super_init(o.value)), None)
    if sup is None or sup.value.owner.args:
        return
    members = [o for o in ops[ops.index(sup) + 1:] if isinstance(o, pysrc.AssignOp) and o.target.data.startswith("self.")]
    if not members or any(not isinstance(m.value.type, pysrc.LayerType) for m in members):
        return
    reads = {o.attr.data for o in pysrc.ops_of(cls, pysrc.AttrOp) if _is_self(o.obj)}
    if reads & {m.target.data.removeprefix("self.") for m in members}:
        return
    block = init.body.block
    first = _slice(sup.value)[0]
    values = []
    for m in members:
        for op in _slice(m.value):
            op.detach()
            block.insert_op_before(op, first)
        values.append(m.value)
        m.detach()
        m.erase()
    call = sup.value.owner
    new = pysrc.CallOp.create(operands=[call.callee, *values], properties={"arg_names": pysrc.strs([""] * len(values))},
                              result_types=[call.result.type])
    block.insert_op_before(new, sup)
    call.result.replace_all_uses_with(new.result)
    call.detach()
    call.erase()


def _is_super_init(v: SSAValue) -> bool:
    call = v.owner
    if not isinstance(call, pysrc.CallOp) or not isinstance(call.callee.owner, pysrc.AttrOp):
        return False
    attr = call.callee.owner
    inner = attr.obj.owner
    return attr.attr.data == "__init__" and isinstance(inner, pysrc.CallOp) and not inner.args \
        and isinstance(inner.callee.owner, pysrc.NameOp) and inner.callee.owner.id.data == "super"


def _unwrap_ordered_dict(seq: fw.CallOp) -> None:
    """``Sequential(OrderedDict([(name, m), ...]))`` -> ``Sequential(m, ...)``."""
    if len(seq.args) != 1 or seq.arg_names.data[0].data != "":
        return
    od = seq.args[0].owner
    if not (isinstance(od, pysrc.CallOp) and isinstance(od.callee.owner, pysrc.NameOp)
            and od.callee.owner.id.data == ORDERED_DICT and len(od.args) == 1):
        return
    items = od.args[0].owner
    if not (isinstance(items, pysrc.TupleOp) and items.kind.data in ("list", "tuple")):
        return
    pairs = [p.owner for p in items.operands]
    if not all(isinstance(p, pysrc.TupleOp) and len(p.operands) == 2 for p in pairs):
        return
    members = [p.operands[1] for p in pairs]
    new = fw.CallOp.create(operands=members, properties={**seq.properties, "arg_names": pysrc.strs([""] * len(members))},
                           result_types=[seq.result.type])
    seq.parent_block().insert_op_before(new, seq)
    seq.result.replace_all_uses_with(new.result)
    seq.detach()
    seq.erase()
    _erase_tree([od.callee.owner, *[p.operands[0].owner for p in pairs], *pairs, items, od])


def _gather_members(init: pysrc.FuncOp, assign: pysrc.AssignOp, seq_api: str) -> None:
    """``self.f = Sequential(a, b)`` and later ``self.f.add_module(k, m)``: the members in a
    list, appended to, and the Sequential built from it after the last one."""
    attr = assign.target.data.removeprefix("self.")
    if "." in attr or "[" in attr:
        return
    adds = _add_module_calls(init, lambda v: _self_attr(v) == attr)
    if not adds:
        return
    block = init.body.block
    top = list(block.ops)
    # Every other read of self.<attr> in __init__ comes after the container is complete.
    last = max(top.index(_top_level(s, block)) for s in adds)
    for o in init.walk():
        if isinstance(o, pysrc.AttrOp) and o.attr.data == attr and _is_self(o.obj):
            stmt = _statement(o)
            if not any(stmt is a for a in adds) and top.index(_top_level(stmt, block)) <= last:
                return
    taken = {o.id.data for o in init.walk() if isinstance(o, pysrc.NameOp)} | {n.data for n in init.param_names.data}
    name = attr if attr not in taken else f"{attr}_layers"
    seq = assign.value.owner
    members = list(seq.args)
    if any(n.data != "" for n in seq.arg_names.data):
        return
    # name = [a, b]
    listed = pysrc.TupleOp.create(operands=members, properties={"kind": StringAttr("list")},
                                  result_types=[pysrc.ObjectType()])
    block.insert_op_before(listed, assign)
    trivia = {k: v for k, v in assign.properties.items() if k in ("leading", "trailing", "loc")}
    gathered = pysrc.AssignOp.create(operands=[listed.result], properties={**trivia, "target": StringAttr(name)})
    block.insert_op_before(gathered, assign)
    for stmt in adds:
        call = stmt.value.owner
        recv = pysrc.NameOp.create(properties={"id": StringAttr(name)}, result_types=[pysrc.ObjectType()])
        method = pysrc.AttrOp.create(operands=[recv.result], properties={"attr": StringAttr("append")},
                                     result_types=[pysrc.ObjectType()])
        new = pysrc.CallOp.create(operands=[method.result, call.args[1]], properties={"arg_names": pysrc.strs([""])},
                                  result_types=[pysrc.ObjectType()])
        stmt.parent_block().insert_ops_before([recv, method, new], call)
        stmt.operands = [new.result]
        _erase_tree([*_slice(call.args[0]), *_slice(call.callee), call])
    # self.<attr> = Sequential(*name), after the statement holding the last add_module
    star_src = pysrc.NameOp.create(properties={"id": StringAttr(name)}, result_types=[pysrc.ObjectType()])
    star = pysrc.StarOp.create(operands=[star_src.result], result_types=[pysrc.ObjectType()])
    built = fw.CallOp.create(operands=[star.result], properties={**seq.properties, "arg_names": pysrc.strs([""])},
                             result_types=[seq.result.type])
    final = pysrc.AssignOp.create(operands=[built.result], properties={"target": StringAttr(assign.target.data)})
    anchor = list(block.ops)[list(block.ops).index(_top_level(adds[-1], block))]
    block.insert_ops_after([star_src, star, built, final], anchor)
    assign.detach()
    assign.erase()
    seq.detach()
    seq.erase()


def _statement(op: Operation) -> Operation:
    """The statement an expression op feeds (expressions sit before it in its block)."""
    while not isinstance(op, pysrc._Statement) and op.results and op.results[0].uses:
        op = next(iter(op.results[0].uses)).operation
    return op


def _top_level(op: Operation, block: Block) -> Operation:
    while op.parent_block() is not block:
        op = op.parent_op()
    return op


def _drop_unused_import(module: Operation, name: str) -> None:
    """Remove ``name`` from ``from collections import ...`` once nothing reads it."""
    found = pysrc.ops_of(module, (pysrc.NameOp, pysrc.OpaqueStmtOp))  # one walk for both
    if any(type(o) is pysrc.NameOp and o.id.data == name for o in found):
        return
    for op in [o for o in found if type(o) is pysrc.OpaqueStmtOp and o.kind is not None
               and o.kind.data == "import"]:
        try:
            tree = ast.parse(op.code.data)
        except SyntaxError:
            continue
        node = tree.body[0] if len(tree.body) == 1 else None
        if not isinstance(node, ast.ImportFrom) or node.module != "collections" \
                or name not in [a.name for a in node.names if a.asname is None]:
            continue
        rest = [a for a in node.names if not (a.name == name and a.asname is None)]
        if rest:
            node.names = rest
            op.properties["code"] = StringAttr(ast.unparse(node))
        else:
            block = op.parent_block()
            if block is not None and block.first_op is op and isinstance(op.next_op, pysrc._Statement):
                # the file's first statement: the next one starts the file, with no blank line
                op.next_op.properties.pop("leading", None)
            op.detach()
            op.erase()


def is_container_spec(spec) -> bool:
    """A layer spec holding other layers (``Sequential``, ``ModuleDict``: a ``layers`` argument)."""
    return spec.kind.value == "layer" and any(a.name == "layers" for a in spec.std_args)


def is_class_base(value: SSAValue) -> bool:
    """``value`` is only read as the base of class statements (``class B(nn.ModuleDict)``)."""
    return bool(value.uses) and all(isinstance(u.operation, pysrc.ClassOp) for u in value.uses)
