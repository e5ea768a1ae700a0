"""Classes lowered to derive from ``object`` alone, written as plain classes.

A target without a module base class (NumPy: its ``Module`` variant is
``builtins.object``) gets ``class MLP:`` for ``class MLP(nn.Module):``, and the
``super().__init__()`` call that only set up the source's base goes too, as someone
writing the class for the target would leave it out.
"""

from __future__ import annotations

from xdsl.dialects import builtin
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

from switcheroo.dialects import fw, hub, pysrc


def _is_object(value: SSAValue) -> bool:
    return isinstance(value.owner, fw.RefOp) and value.owner.api.data == "builtins.object"


def _is_super_init(stmt: Operation) -> bool:
    """``super().__init__()`` with no arguments."""
    if not isinstance(stmt, pysrc.ExprStmtOp):
        return False
    call = stmt.operands[0].owner
    if not (isinstance(call, pysrc.CallOp) and len(call.operands) == 1):
        return False
    attr = call.operands[0].owner
    if not (isinstance(attr, pysrc.AttrOp) and attr.attr.data == "__init__"):
        return False
    inner = attr.operands[0].owner
    return isinstance(inner, pysrc.CallOp) and len(inner.operands) == 1 and \
        isinstance(name := inner.operands[0].owner, pysrc.NameOp) and name.id.data == "super"


def _erase_tree(op: Operation) -> None:
    """Erase ``op`` and the expression ops only it used."""
    producers = [v.owner for v in op.operands]
    op.detach()
    op.erase()
    for p in producers:
        if isinstance(p, Operation) and p.parent is not None and not any(r.uses for r in p.results):
            _erase_tree(p)


def drop_object_bases(module: builtin.ModuleOp) -> None:
    """``class C(object):`` -> ``class C:``, without ``super().__init__()`` in ``__init__``."""
    for cls in pysrc.ops_of(module, pysrc.ClassOp):
        if len(cls.bases) != 1 or not _is_object(cls.bases[0]):
            continue
        ref = cls.bases[0].owner
        cls.operands = []
        if isinstance(ref, Operation) and not ref.results[0].uses:
            _erase_tree(ref)
        for init in (o for o in cls.body.block.ops if isinstance(o, pysrc.FuncOp) and o.sym_name.data == "__init__"):
            stmts = [o for o in init.body.block.ops if isinstance(o, pysrc._Statement)]
            if len(stmts) > 1 and _is_super_init(stmts[0]):
                leading = stmts[0].properties.get("leading")
                if leading is not None and "leading" not in stmts[1].properties:
                    stmts[1].properties["leading"] = leading  # keep a comment above it
                _erase_tree(stmts[0])


def _is_state(value: SSAValue) -> bool:
    """A parameter or buffer (``array_state.raise_plain_array_state``)."""
    owner = value.owner
    return isinstance(owner, hub.HubOp) and owner.SPEC_NAME in ("Parameter", "Buffer")


def _super_init() -> list[Operation]:
    """The ops of the statement ``super().__init__()``."""
    sup = pysrc.NameOp.create(properties={"id": StringAttr("super")}, result_types=[pysrc.ObjectType()])
    made = pysrc.CallOp.create(operands=[sup.results[0]], properties={"arg_names": pysrc.strs([])},
                               result_types=[pysrc.ObjectType()])
    attr = pysrc.AttrOp.create(operands=[made.results[0]], properties={"attr": StringAttr("__init__")},
                               result_types=[pysrc.ObjectType()])
    call = pysrc.CallOp.create(operands=[attr.results[0]], properties={"arg_names": pysrc.strs([])},
                               result_types=[pysrc.ObjectType()])
    return [sup, made, attr, call, pysrc.ExprStmtOp.create(operands=[call.results[0]])]


def add_object_bases(module: builtin.ModuleOp, framework: str) -> None:
    """Raising from a framework whose modules are plain classes (its ``Module`` variant is
    ``builtins.object``): ``class MLP:`` whose ``__init__`` builds layers derives from that
    ``object`` again, so it raises to the hub module (the target's base) and its
    ``__init__`` starts with ``super().__init__()`` as the target's module needs."""
    from switcheroo.ontology.loader import load_ontology

    hit = load_ontology().lookup_api(framework, "builtins.object")
    if hit is None or hit[0].operation != "Module":
        return
    for cls in [o for o in module.walk() if isinstance(o, pysrc.ClassOp) and not o.bases]:
        init = next((o for o in cls.body.block.ops if isinstance(o, pysrc.FuncOp) and o.sym_name.data == "__init__"),
                    None)
        if init is None or not any(isinstance(a, pysrc.AssignOp) and a.target.data.startswith("self.")
                                   and (isinstance(a.operands[0].type, pysrc.LayerType) or _is_state(a.operands[0]))
                                   for a in init.body.block.ops):
            continue
        ref = fw.RefOp.create(properties={"framework": StringAttr(framework), "api": StringAttr("builtins.object")},
                              result_types=[pysrc.ObjectType()])
        parent = cls.parent_block()
        assert parent is not None
        parent.insert_op_before(ref, cls)
        cls.operands = [ref.results[0]]
        block = init.body.block
        first = next((o for o in block.ops if isinstance(o, pysrc._Statement)), None)
        for op in _super_init():
            if first is None:
                block.add_op(op)
            else:
                block.insert_op_before(op, first)
