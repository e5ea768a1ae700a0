"""``unroll-inplace{source=F framework=T}``: in-place tensor updates -> assignments of pure
results, for targets whose arrays are immutable (``functional_arrays``) or that have no
in-place methods (no ``inplace_suffix``: keras, tensorflow, mlx).

Runs before raising, on the source's calls:

- ``h.add_(x)`` (an in-place method: the source's ``inplace_suffix``) as a statement
  -> ``h = h.add(x)``, which then raises like any functional call;
- ``F.relu(h, inplace=True)`` as a statement -> ``h = F.relu(h)``;
- ``h += x`` on a tensor -> ``h = h + x``;
- ``h[idx] = v`` -> ``h = h.at[idx].set(v)`` where the target names an ``index_update``.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.fw_common import const_value
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

TENSOR = pysrc.TensorType()


def target_text(v: SSAValue) -> str | None:
    """``h`` or ``self.h``: the assignable name an in-place update writes to."""
    op = v.owner
    if isinstance(op, pysrc.NameOp):
        return op.id.data
    if isinstance(op, pysrc.AttrOp) and isinstance(op.obj.owner, pysrc.NameOp) and op.obj.owner.id.data == "self":
        return f"self.{op.attr.data}"
    return None


def _read(text: str, t) -> list[Operation]:
    """Ops reading ``h`` / ``self.h`` again."""
    if "." not in text:
        return [pysrc.NameOp.create(properties={"id": StringAttr(text)}, result_types=[t])]
    base, attr = text.split(".", 1)
    obj = pysrc.NameOp.create(properties={"id": StringAttr(base)}, result_types=[pysrc.ObjectType()])
    return [obj, pysrc.AttrOp.create(operands=[obj.results[0]], properties={"attr": StringAttr(attr)},
                                     result_types=[t])]


def _trivia(op: Operation) -> dict:
    return {k: v for k, v in op.properties.items() if k in ("leading", "trailing", "loc")}


@dataclass
class Unroller:
    suffix: str | None
    index_update: str | None

    def statement(self, stmt: Operation) -> None:
        if isinstance(stmt, pysrc.ExprStmtOp) and isinstance(stmt.value.owner, fw.CallOp):
            self.call_stmt(stmt, stmt.value.owner)
        elif isinstance(stmt, pysrc.AugAssignOp):
            self.aug_assign(stmt)
        elif isinstance(stmt, pysrc.AssignOp) and self.index_update:
            self.index_assign(stmt)

    def call_stmt(self, stmt: pysrc.ExprStmtOp, call: fw.CallOp) -> None:
        names = [n.data for n in call.arg_names.data]
        if call.method is not None and self.suffix and call.method.data.endswith(self.suffix) \
                and not call.method.data.endswith(self.suffix * 2):
            dest = target_text(call.args[0])
            if dest is None:
                return
            method = call.method.data[: -len(self.suffix)]
            call.properties["method"] = StringAttr(method)
            call.properties["api"] = StringAttr(call.api.data[: -len(self.suffix)])
        elif "inplace" in names and const_value(call.args[names.index("inplace")]) is True:
            first = names.index("") if "" in names else None
            dest = target_text(call.args[first]) if first is not None else None
            if dest is None:
                return
            keep = [i for i, n in enumerate(names) if n != "inplace"]
            call.operands = [call.args[i] for i in keep]
            call.properties["arg_names"] = ArrayAttr([StringAttr(names[i]) for i in keep])
        else:
            return
        call.properties.pop("unmapped", None)
        assign = pysrc.AssignOp.create(operands=[call.result], properties={**_trivia(stmt), "target": StringAttr(dest)})
        stmt.parent_block().insert_op_before(assign, stmt)
        stmt.detach()
        stmt.erase()

    def aug_assign(self, stmt: pysrc.AugAssignOp) -> None:
        text = stmt.target.data
        if stmt.value.type != TENSOR or not (text.isidentifier() or text.startswith("self.")):
            return
        reads = _read(text, TENSOR)
        binop = pysrc.BinOp.create(operands=[reads[-1].results[0], stmt.value],
                                   properties={"operator": StringAttr(stmt.operator.data[:-1])},
                                   result_types=[TENSOR])
        assign = pysrc.AssignOp.create(operands=[binop.result], properties={**_trivia(stmt), "target": StringAttr(text)})
        block = stmt.parent_block()
        for op in (*reads, binop, assign):
            block.insert_op_before(op, stmt)
        stmt.detach()
        stmt.erase()

    def index_assign(self, stmt: pysrc.AssignOp) -> None:
        text = stmt.target.data
        base, bracket, rest = text.partition("[")
        if not bracket or not rest.endswith("]") or not base.isidentifier():
            return
        # Only tensors: the base was read as one somewhere in this function.
        func = stmt.parent_op()
        while func is not None and not isinstance(func, pysrc.FuncOp):
            func = func.parent_op()
        if func is None or not any(isinstance(o, pysrc.NameOp) and o.id.data == base and o.result.type == TENSOR
                                   for o in func.walk()):
            return
        reads = _read(base, TENSOR)
        at = pysrc.AttrOp.create(operands=[reads[-1].results[0]], properties={"attr": StringAttr(self.index_update)},
                                 result_types=[pysrc.ObjectType()])
        idx = pysrc.OpaqueExprOp.create(properties={"code": StringAttr(rest[:-1])}, result_types=[pysrc.ObjectType()])
        sub = pysrc.SubscriptOp.create(operands=[at.result, idx.result], result_types=[pysrc.ObjectType()])
        setter = pysrc.AttrOp.create(operands=[sub.result], properties={"attr": StringAttr("set")},
                                     result_types=[pysrc.ObjectType()])
        call = pysrc.CallOp.create(operands=[setter.result, stmt.value], properties={"arg_names": ArrayAttr([StringAttr("")])},
                                   result_types=[TENSOR])
        assign = pysrc.AssignOp.create(operands=[call.result], properties={**_trivia(stmt), "target": StringAttr(base)})
        block = stmt.parent_block()
        for op in (*reads, at, idx, sub, setter, call, assign):
            block.insert_op_before(op, stmt)
        stmt.detach()
        stmt.erase()


@dataclass(frozen=True)
class UnrollInplace(ModulePass):
    """Rewrite in-place tensor updates as assignments (see module docstring)."""

    name = "unroll-inplace"
    source: str = "torch"
    framework: str = "jax"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        traits = load_ontology().traits
        dst = traits[self.framework]
        if not dst.functional_arrays and dst.inplace_suffix:
            return  # the target updates in place itself (torch -> torch)
        unroller = Unroller(traits[self.source].inplace_suffix, traits[self.framework].index_update)
        for stmt in pysrc.ops_of(op, pysrc._Statement):
            unroller.statement(stmt)
