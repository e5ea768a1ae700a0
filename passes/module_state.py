"""Module state registered by a method call, written as the attribute it defines.

torch registers buffers (and sometimes parameters) by name: ``self.register_buffer("pe",
t, persistent=False)``. No other framework has such a method, but every one has a way to
hold non-trainable state as an attribute, which the ``Buffer`` spec maps. So, before
raising, a call of one of the source's ``state_methods`` (framework traits) on ``self``
with a literal name becomes ``self.pe = torch.nn.Buffer(t, persistent=False)`` (the
class the trait names wraps the value; ``register_parameter("w", p)`` is ``self.w = p``).
A name that is not a literal is left as written, reported and marked.

A target whose module takes every array attribute as a parameter (MLX: ``freeze_state``
in its traits) gets the buffers of a constructor frozen after the last of them is set,
as its own layers do: ``self.freeze(keys=["pe", "scale"], recurse=False)``. From such a
source, the other way: an array a constructor sets is a ``Parameter`` hub op, one it
freezes a ``Buffer`` (``raise_array_state``).
"""

from __future__ import annotations

import ast
import json

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.dialects.pysrc import string, strs
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.snapshots import bind_positional
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from switcheroo.passes.fw_common import chain
from switcheroo.passes.untyped_methods import mark_line
from xdsl.dialects import builtin
from xdsl.ir import Operation, SSAValue

# The hub specs of module state: non-trainable (what a target freezes) and trainable.
BUFFER = "Buffer"
PARAMETER = "Parameter"


def _is_self(v: SSAValue) -> bool:
    return isinstance(v.owner, pysrc.NameOp) and v.owner.id.data == "self"


def _literal_name(v: SSAValue) -> str | None:
    if not isinstance(v.owner, pysrc.ConstOp):
        return None
    try:
        value = ast.literal_eval(v.owner.code.data)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) and value.isidentifier() else None


def _erase_unused(op: Operation) -> None:
    if op.parent is None or any(r.uses for r in op.results):
        return
    producers = [o.owner for o in op.operands if isinstance(o.owner, Operation)]
    op.detach()
    op.erase()
    for p in producers:
        _erase_unused(p)


def _registration(stmt: pysrc.ExprStmtOp, methods: dict[str, str | None]) -> tuple[str, pysrc.CallOp] | None:
    """(method, call) when ``stmt`` is ``self.<state method>("name", value, ...)``."""
    call = stmt.value.owner
    if not isinstance(call, pysrc.CallOp) or not isinstance(call.callee.owner, pysrc.AttrOp):
        return None
    attr = call.callee.owner
    names = [n.data for n in call.arg_names.data]
    if attr.attr.data not in methods or not _is_self(attr.obj) or len(names) < 2 or names[:2] != ["", ""]:
        return None
    return attr.attr.data, call


def _rewrite(stmt: pysrc.ExprStmtOp, method: str, call: pysrc.CallOp, wrap: str | None, source: str,
             module_base: str | None) -> None:
    name = _literal_name(call.args[0])
    value, rest = call.args[1], list(call.args[2:])
    rest_names = [n.data for n in call.arg_names.data[2:]]
    block = stmt.parent_block()
    assert block is not None and name is not None
    loc = stmt.loc or string("1:1")
    is_none = isinstance(value.owner, pysrc.ConstOp) and value.owner.code.data == "None"
    if wrap is not None and not is_none:
        # Positional arguments after the value by the method's own names (persistent=...).
        bound = bind_positional(source, f"{module_base}.{method}", 2 + len(rest_names)) \
            if module_base and any(n == "" for n in rest_names) else None
        if bound is not None:
            rest_names = [n or bound[2 + i] for i, n in enumerate(rest_names)]
        wrapped = fw.CallOp.create(
            operands=[value, *rest],
            properties={"framework": string(source), "api": string(wrap),
                        "arg_names": strs(["", *rest_names]), "loc": loc},
            result_types=[pysrc.TensorType()])
        block.insert_op_before(wrapped, stmt)
        value = wrapped.results[0]
    props = {"target": string(f"self.{name}"), "loc": loc}
    for key in ("leading", "trailing", "footer"):
        if stmt.properties.get(key) is not None:
            props[key] = stmt.properties[key]
    block.insert_op_before(pysrc.AssignOp.create(operands=[value], properties=props), stmt)
    stmt.detach()
    stmt.erase()
    _erase_unused(call)


def _buffer_apis(source: str) -> set[str]:
    spec = load_ontology().specs.get(BUFFER)
    var = spec.variants.get(source) if spec is not None else None
    return {var.api} if var is not None and var.api else set()


def _freeze(init: pysrc.FuncOp, source: str, target: str) -> None:
    """``self.freeze(keys=[...], recurse=False)`` after the constructor's last buffer."""
    traits = load_ontology().traits.get(target)
    spec = traits.freeze_state if traits is not None else None
    apis = _buffer_apis(source)
    if spec is None or not apis:
        return
    buffers = [op for op in init.body.block.ops if isinstance(op, pysrc.AssignOp)
               and op.target.data.startswith("self.") and isinstance(op.value.owner, fw.CallOp)
               and op.value.owner.api.data in apis]
    if not buffers:
        return
    block = init.body.block
    last = buffers[-1]
    keys = [json.dumps(op.target.data.removeprefix("self.")) for op in buffers]
    new: list[Operation] = [pysrc.NameOp.create(properties={"id": string("self")}, result_types=[pysrc.ObjectType()])]
    new.append(pysrc.AttrOp.create(operands=[new[0].results[0]], properties={"attr": string(spec.method)},
                                   result_types=[pysrc.ObjectType()]))
    consts = [pysrc.ConstOp.create(properties={"code": string(k)}, result_types=[pysrc.ObjectType()]) for k in keys]
    listed = pysrc.TupleOp.create(operands=[c.results[0] for c in consts], properties={"kind": string("list")},
                                  result_types=[pysrc.ObjectType()])
    extra = [pysrc.ConstOp.create(properties={"code": string(repr(v))}, result_types=[pysrc.ObjectType()])
             for v in spec.args.values()]
    call = pysrc.CallOp.create(
        operands=[new[1].results[0], listed.results[0], *(e.results[0] for e in extra)],
        properties={"arg_names": strs([spec.keys, *spec.args])}, result_types=[pysrc.ObjectType()])
    new += [*consts, listed, *extra, call,
            pysrc.ExprStmtOp.create(operands=[call.results[0]], properties={"loc": last.loc or string("1:1")})]
    anchor = last.next_op
    for op in new:
        if anchor is None:
            block.add_op(op)
        else:
            block.insert_op_before(op, anchor)


def normalize_module_state(module: Operation, source: str, target: str) -> None:
    """Registration calls as attribute assignments; buffers frozen where ``target`` needs it."""
    traits = load_ontology().traits.get(source)
    methods = dict(traits.state_methods) if traits is not None else {}
    for cls in pysrc.ops_of(module, pysrc.ClassOp):
        if methods:
            for stmt in [o for o in pysrc.ops_of(cls, pysrc.ExprStmtOp)]:
                found = _registration(stmt, methods)
                if found is None:
                    continue
                if _literal_name(found[1].args[0]) is not None:
                    _rewrite(stmt, found[0], found[1], methods[found[0]], source, traits.module_base)
                elif source not in chain(target) and isinstance(module, builtin.ModuleOp):
                    # self.register_buffer(name, t): the attribute it defines is not known.
                    api = f"{traits.module_base}.{found[0]}"
                    add_diagnostic(module, stmt.loc.data if stmt.loc else statement_loc(stmt), "warning",
                                   f"unmapped {api}: the name it registers is not a literal")
                    mark_line(stmt, api)
        for init in cls.body.block.ops:
            if isinstance(init, pysrc.FuncOp) and init.sym_name.data == "__init__":
                _freeze(init, source, target)


def _frozen_keys(stmt: Operation, method: str, keys_arg: str) -> list[str] | None:
    """The literal keys of ``self.<method>(<keys_arg>=[...], ...)``, else None."""
    if not isinstance(stmt, pysrc.ExprStmtOp) or not isinstance(call := stmt.value.owner, pysrc.CallOp):
        return None
    callee = call.callee.owner
    if not isinstance(callee, pysrc.AttrOp) or callee.attr.data != method or not _is_self(callee.obj):
        return None
    names = [n.data for n in call.arg_names.data]
    if keys_arg not in names or not isinstance(listed := call.args[names.index(keys_arg)].owner, pysrc.TupleOp):
        return None
    keys = [_literal_name(e) for e in listed.elts]
    return None if any(k is None for k in keys) else [k for k in keys if k is not None]


def raise_array_state(module: Operation, source: str, target: str) -> None:
    """A source whose modules take array attributes as parameters (``freeze_state``):
    ``self.w = mx.ones(d)`` in a constructor is a ``Parameter``, an attribute it freezes
    a ``Buffer`` (the freeze call goes: the target says non-trainable its own way)."""
    onto = load_ontology()
    traits, dst = onto.traits.get(source), onto.traits.get(target)
    if traits is None or traits.freeze_state is None or not traits.module_base or (dst and dst.freeze_state):
        return
    spec = traits.freeze_state
    for cls in pysrc.ops_of(module, pysrc.ClassOp):
        if not any(isinstance(b.owner, fw.RefOp) and b.owner.api.data == traits.module_base for b in cls.bases):
            continue
        for init in cls.body.block.ops:
            if not isinstance(init, pysrc.FuncOp) or init.sym_name.data != "__init__":
                continue
            frozen: set[str] = set()
            for stmt in list(init.body.block.ops):
                keys = _frozen_keys(stmt, spec.method, spec.keys)
                if keys is not None:
                    frozen.update(keys)
                    call = stmt.operands[0].owner
                    stmt.detach()
                    stmt.erase()
                    _erase_unused(call)
            for stmt in list(init.body.block.ops):
                if not (isinstance(stmt, pysrc.AssignOp) and stmt.target.data.startswith("self.")
                        and stmt.value.type == pysrc.TensorType()):
                    continue
                name = stmt.target.data.removeprefix("self.")
                if not name.isidentifier():
                    continue
                op = hub.op_for(BUFFER if name in frozen else PARAMETER).create(
                    operands=[stmt.value],
                    properties={"arg_names": strs(["data"]), "src_framework": string(source),
                                "loc": stmt.loc or string("1:1")},
                    result_types=[pysrc.TensorType()])
                init.body.block.insert_op_before(op, stmt)
                stmt.operands[0] = op.results[0]
