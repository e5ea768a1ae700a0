"""Helper functions of a functional model lifted into module classes.

Keras builders factor repeated structure into helpers that take a tensor, build layers on
it and return the result (``residual_block_v1(x, filters, name=...)``), call them in loops
with names made by f-strings, and pass them around (``ResNet(stack_fn, ...)``). A torch
port written by hand makes each helper a module class, as ``lift-functional-model`` does
with a builder: ``ResidualBlockV1(nn.Module)``, whose ``__init__`` takes the helper's other
parameters. A call site becomes a submodule and its call (``self.block1 =
ResidualBlockV1(...)``, ``x = self.block1(x)``); a loop of calls a list of submodules built
by a comprehension and a loop over it; a helper passed as a value an instance of its class.

Keras names the layers of a functional model flatly (``conv2_block1_1_conv``); a lifted
helper's attribute is the constant part of that name (``conv_1``), and ``self.layer_names``
keeps the full names as the builder computes them (attribute -> source layer name). The
weight transfer pairs a layer listed there by that name alone, so the nested module pairs
with the flat source model exactly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import FunctionalModelTraits
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from switcheroo.passes.assumed_values import assume_values
from switcheroo.passes.functional_channels import (
    attr_recipe,
    channel_read,
    clone,
    name_recipe,
    self_assign,
)
from switcheroo.passes.functional_class import make_class
from switcheroo.passes.fw_common import operand_ops
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Block, Operation, Region, SSAValue

if TYPE_CHECKING:
    from switcheroo.passes.lift_functional_model import _Lifter

_OBJ = pysrc.ObjectType()
_TENSOR = pysrc.TensorType()
_LAYER = pysrc.LayerType()


def snake(name: str) -> str:
    """A layer class's default name as Keras spells it (``GlobalAveragePooling2D`` ->
    ``global_average_pooling2d``, ``ReLU`` -> ``re_lu``)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_") if p)


def deps(value: SSAValue, within: list[Operation]) -> list[Operation]:
    """The ops of ``within`` that ``value`` is computed from (itself included), in order."""
    keep: set[Operation] = set()
    todo = [value]
    while todo:
        v = todo.pop()
        owner = v.owner
        if isinstance(owner, Operation) and owner in within and owner not in keep:
            keep.add(owner)
            todo.extend(owner.operands)
            for inner in owner.walk():
                todo.extend(inner.operands)
    return [o for o in within if o in keep]


# ---- names ---------------------------------------------------------------------------


def name_expr(value: SSAValue) -> Operation | None:
    """The op spelling a layer's ``name=`` when it is one op that can be re-spelled
    elsewhere (a literal, a variable, an f-string); None otherwise."""
    op = value.owner
    if isinstance(op, (pysrc.ConstOp, pysrc.NameOp, pysrc.OpaqueExprOp)) and not op.operands:
        return op
    return None


def attr_from_name(value: SSAValue) -> str | None:
    """An attribute name from the constant text of an f-string layer name:
    ``f"{name}_1_conv"`` -> ``conv_1``, ``f"{prefix}expand_BN"`` -> ``expand_bn``,
    ``f"{name}_block{i}"`` -> ``block``; None when it has none."""
    op = value.owner
    if not isinstance(op, pysrc.OpaqueExprOp):
        return None
    m = re.fullmatch(r"[fF]([\"'])(.*)\1", op.code.data, re.DOTALL)
    if m is None:
        return None
    words = [w for w in re.split(r"[_\W]+", re.sub(r"\{[^}]*\}", " ", m.group(2))) if w]
    # An identifier cannot start with a digit: "1_conv" reads as conv_1.
    words = [w for w in words if not w[0].isdigit()] + [w for w in words if w[0].isdigit()]
    name = "_".join(words).lower()
    return name if name.isidentifier() and not name[0].isdigit() else None


# ---- which functions are helpers -----------------------------------------------------


def _own_ops(func: pysrc.FuncOp) -> Iterator[Operation]:
    """``func``'s ops, not those of the functions and classes defined in it."""
    todo = [func.body.block]
    while todo:
        for op in todo.pop().ops:
            yield op
            if not isinstance(op, (pysrc.FuncOp, pysrc.ClassOp)):
                todo.extend(b for r in op.regions for b in r.blocks)


def _locals(func: pysrc.FuncOp) -> set[str]:
    names = {p.data.lstrip("*") for p in func.param_names.data}
    return names | {o.target.data for o in _own_ops(func) if isinstance(o, pysrc.AssignOp)}


def _builds_layers(func: pysrc.FuncOp, helpers: set[str]) -> bool:
    bound = _locals(func)
    for op in _own_ops(func):
        if not isinstance(op, pysrc.CallOp):
            continue
        callee = op.callee.owner
        if isinstance(callee, fw.CallOp) and isinstance(op.callee.type, pysrc.LayerType):
            return True
        if isinstance(callee, pysrc.NameOp) and callee.id.data in helpers and callee.id.data not in bound:
            return True
    return False


def block_functions(module: Operation, traits: FunctionalModelTraits) -> list[pysrc.FuncOp]:
    """Functions (not methods) that take a tensor first, build layers on it (or call such
    functions) and return one value at their end, with no ``return`` elsewhere and no
    model input of their own."""
    candidates = []
    for func in (f for f in module.walk() if isinstance(f, pysrc.FuncOp)):
        if isinstance(func.parent_op(), pysrc.ClassOp) or not func.param_names.data:
            continue
        own = list(_own_ops(func))
        stmts = [o for o in func.body.block.ops if isinstance(o, pysrc._Statement)]
        returns = [o for o in own if isinstance(o, pysrc.ReturnOp) and o is not _early_return(stmts)]
        if (not stmts or returns != [stmts[-1]] or len(returns[0].value) != 1
                or func.param_names.data[0].data.startswith("*")
                or any(isinstance(o, fw.CallOp) and o.api.data in (*traits.input, *traits.model) for o in own)):
            continue
        candidates.append(func)
    found: list[pysrc.FuncOp] = []
    changed = True
    while changed:
        changed = False
        names = {f.sym_name.data for f in found}
        for func in candidates:
            if func not in found and _builds_layers(func, names):
                found.append(func)
                changed = True
    return [f for f in candidates if f in found]


def _early_return(stmts: list[Operation]) -> pysrc.ReturnOp | None:
    """The ``return`` ending an ``if`` (without ``else``) just before a last ``return
    <name>``: ``if c: return add([inputs, x])`` / ``return x`` is ``if c: x = ...``."""
    if len(stmts) < 2 or not isinstance(last := stmts[-1], pysrc.ReturnOp) or len(last.value) != 1 \
            or not isinstance(last.value[0].owner, pysrc.NameOp) or not isinstance(cond := stmts[-2], pysrc.IfOp) \
            or cond.orelse.blocks:
        return None
    inner = [o for o in cond.then.block.ops if isinstance(o, pysrc._Statement)]
    ret = inner[-1] if inner else None
    return ret if isinstance(ret, pysrc.ReturnOp) and len(ret.value) == 1 else None


def reads_channels(func: pysrc.FuncOp) -> bool:
    """Whether the helper reads its input's shape at the top level (``inputs.shape[axis]``)."""
    first = func.param_names.data[0].data
    for o in func.body.block.ops:
        if isinstance(o, pysrc.AttrOp) and o.attr.data == "shape" and isinstance(o.obj.owner, pysrc.NameOp) \
                and o.obj.owner.id.data == first:
            return True
    return False


# ---- lifting one helper --------------------------------------------------------------


def _docstring(stmts: list[Operation]) -> list[Operation]:
    """The helper's docstring (kept verbatim), which becomes its class's."""
    first = stmts[0] if stmts else None
    if isinstance(first, pysrc.OpaqueStmtOp) and first.code.data.lstrip("rRuU")[:1] in ("'", '"'):
        return [first]
    return []


def lift_block(lifter: _Lifter, classes: dict[str, str]) -> pysrc.ClassOp | None:
    """Replace the helper ``lifter.func`` by its module class; a read of the helper as a
    value (not called) becomes an instance when its class needs no arguments."""
    func = lifter.func
    lifter.is_block = True
    lifter.assumed += assume_values(func, lifter.traits.assumed_values)
    lifter.locals = _locals(func)
    stmts = [o for o in func.body.block.ops if isinstance(o, pysrc._Statement)]
    doc = _docstring(stmts)
    ret = stmts[-1]
    assert isinstance(ret, pysrc.ReturnOp)
    input_name = func.param_names.data[0].data
    lifter.tensors.add(input_name)
    value = ret.value[0]
    if (early := _early_return(stmts)) is not None:
        assert isinstance(value.owner, pysrc.NameOp)
        assign = pysrc.AssignOp.create(operands=[early.value[0]],
                                       properties={"target": value.owner.id, **({"loc": early.loc} if early.loc else {})})
        block = early.parent_block()
        assert block is not None
        block.insert_op_before(assign, early)
        early.detach()
        early.erase()
    if isinstance(value.owner, pysrc.NameOp) and operand_ops(ret) == [value.owner]:
        output = value.owner.id.data
        for o in (ret, value.owner):
            o.detach()
            o.erase(safe_erase=False)
    else:
        # ``return f(x)``: the forward method assigns the value to the input's name first.
        output = input_name
        assign = pysrc.AssignOp.create(operands=[value], properties={"target": StringAttr(input_name)})
        func.body.block.insert_op_before(assign, ret)
        ret.detach()
        ret.erase()
    for o in doc:
        o.detach()
    region = [o for o in func.body.block.ops if isinstance(o, pysrc._Statement)]
    # ``in_channels = inputs.shape[-1]``: the class takes the count instead of the tensor.
    read = next((s for s in region if channel_read(s, input_name)), None)
    channel_param = channel_read(read, input_name) if read is not None else None
    if read is not None and channel_param is not None:
        region.remove(read)
        for o in (read, *reversed(operand_ops(read))):
            o.detach()
            o.erase(safe_erase=False)
        lifter.channels.known[input_name] = name_recipe(channel_param)
    parts = lifter.split_block(region)
    texts = [p.data for p in func.params.data][1:]
    names = [p.data for p in func.param_names.data][1:]
    if channel_param is not None:
        texts, names = [channel_param, *texts], [channel_param, *names]
    # Where some helper takes its input's count, each says its output's (when known).
    out = lifter.channels.known.get(output) if lifter.give_channels else None
    if out is not None:
        parts.init += self_assign("out_channels", out, "# The output's channel count (the next block's input's).")
    lifter.channel_blocks[func.sym_name.data] = (channel_param is not None, out is not None)
    base, cls, _ = make_class(lifter, classes[func.sym_name.data], parts, input_name, output, (texts, names))
    if doc:
        first = cls.body.block.first_op
        assert isinstance(first, pysrc.FuncOp)
        first.leading = StringAttr(json.dumps([""]))
        cls.body.block.insert_ops_before(doc, first)
    if func.leading is not None and not isinstance(func.parent_op(), pysrc.ModuleOp):
        cls.leading = func.leading
    block = func.parent_block()
    assert block is not None
    block.insert_ops_before([base, cls], func)
    scope = func.parent_op()
    func.detach()
    func.erase()
    if all("=" in t or t.startswith("*") for t in texts) and scope is not None:
        _instantiate_reads(scope, func.sym_name.data, cls.sym_name.data)
    return cls


def _instantiate_reads(scope: Operation, fn_name: str, cls_name: str) -> None:
    """``ResNet(stack_fn, ...)`` -> ``ResNet(StackFn(), ...)``."""
    for read in [o for o in scope.walk() if isinstance(o, pysrc.NameOp) and o.id.data == fn_name]:
        if any(isinstance(u.operation, pysrc.CallOp) and u.index == 0 for u in read.result.uses):
            continue  # a call of the helper itself
        ref = pysrc.NameOp.create(properties={"id": StringAttr(cls_name)}, result_types=[_OBJ])
        new = pysrc.CallOp.create(operands=[ref.result], properties={"arg_names": pysrc.strs([])},
                                  result_types=[_LAYER])
        block = read.parent_block()
        assert block is not None
        block.insert_ops_before([ref, new], read)
        read.result.replace_all_uses_with(new.result)
        read.detach()
        read.erase()


# ---- call sites ----------------------------------------------------------------------


def _helper_call(lifter: _Lifter, stmt: Operation) -> pysrc.CallOp | None:
    """The call of ``stmt`` (``t = helper(x, ...)``) when it calls a lifted helper."""
    if not isinstance(stmt, pysrc.AssignOp) or not isinstance(call := stmt.value.owner, pysrc.CallOp):
        return None
    callee = call.callee.owner
    if (not isinstance(callee, pysrc.NameOp) or callee.id.data not in lifter.block_classes
            or callee.id.data in lifter.locals or not call.args or call.arg_names.data[0].data != ""):
        return None
    return call


def _constructor(lifter: _Lifter, call: pysrc.CallOp, exprs: list[Operation]) -> tuple[list[Operation], str | None]:
    """The ops building the helper's class with the call's other arguments (the last is
    the instance; first the input's channel count where the class takes it), and the
    attribute name its ``name=`` suggests."""
    callee = call.callee.owner
    assert isinstance(callee, pysrc.NameOp)
    names = [n.data for n in call.arg_names.data][1:]
    args = list(call.args)[1:]
    ctor_ops: list[Operation] = []
    for a in args:
        ctor_ops += [o for o in deps(a, exprs) if o not in ctor_ops]
    ctor_ops.sort(key=exprs.index)
    if lifter.channel_blocks.get(callee.id.data, (False, False))[0]:
        count = lifter.channels.of(call.args[0])
        assert count is not None
        ops = clone(count)
        ctor_ops = [*ops, *ctor_ops]
        args, names = [ops[-1].results[0], *args], ["", *names]
    ref = pysrc.NameOp.create(properties={"id": StringAttr(lifter.block_classes[callee.id.data])},
                              result_types=[_OBJ])
    ctor = pysrc.CallOp.create(operands=[ref.result, *args], properties={"arg_names": pysrc.strs(names)},
                               result_types=[_LAYER])
    attr = None
    if lifter.traits.name_arg in names:
        given = args[names.index(lifter.traits.name_arg)]
        attr = attr_from_name(given)
        if attr is None and isinstance(given.owner, pysrc.ConstOp):
            attr = re.sub(r"\W", "_", json.loads(given.owner.code.data)) if given.owner.code.data[:1] == '"' else None
    return [*ctor_ops, ref, ctor], attr


def _self_attr(attr: str) -> tuple[list[Operation], SSAValue]:
    me = pysrc.NameOp.create(properties={"id": StringAttr("self")}, result_types=[_OBJ])
    read = pysrc.AttrOp.create(operands=[me.result], properties={"attr": StringAttr(attr)}, result_types=[_LAYER])
    return [me, read], read.result


def _erase(*ops: Operation) -> None:
    for o in ops:
        if o.parent is not None:
            o.detach()
        o.erase(safe_erase=False)


def split_block_use(lifter: _Lifter, stmt: Operation) -> tuple[list[Operation], list[Operation]] | None:
    """The ``__init__`` and forward halves of a statement that calls a lifted helper (or a
    loop of such calls); None for any other statement."""
    if isinstance(stmt, pysrc.ForOp):
        return _split_loop(lifter, stmt)
    call = _helper_call(lifter, stmt)
    if call is None:
        return None
    assert isinstance(stmt, pysrc.AssignOp)
    callee = call.callee.owner
    assert isinstance(callee, pysrc.NameOp)
    exprs = operand_ops(stmt)
    if lifter.channel_blocks.get(callee.id.data, (False, False))[0] and lifter.channels.of(call.args[0]) is None:
        add_diagnostic(lifter.module, statement_loc(stmt), "warning",
                       f"{callee.id.data} reads its input's channel count, which is not known here: "
                       "the call is not lifted")
        return None
    ctor_ops, attr = _constructor(lifter, call, exprs)
    attr = lifter.unique_attr(attr or snake(callee.id.data).strip("_"))
    rest = [o for o in exprs if o not in ctor_ops and o is not call and o is not callee]
    for o in (*exprs, stmt):
        o.detach()
    init = pysrc.AssignOp.create(operands=[ctor_ops[-1].results[0]],
                                 properties={"target": StringAttr(f"self.{attr}"),
                                             **({"loc": stmt.loc} if stmt.loc else {})})
    reads, layer = _self_attr(attr)
    new_call = pysrc.CallOp.create(operands=[layer, call.args[0]], properties={"arg_names": pysrc.strs([""])},
                                   result_types=[_TENSOR])
    fwd = pysrc.AssignOp.create(operands=[new_call.result], properties=dict(stmt.properties))
    gives = lifter.channel_blocks.get(callee.id.data, (False, False))[1]
    lifter.channels.set(stmt.target.data, attr_recipe(attr) if gives else None)
    _erase(stmt, call, callee)
    lifter.tensors.add(fwd.target.data)
    return [*ctor_ops, init], [*rest, *reads, new_call, fwd]


def _split_loop(lifter: _Lifter, loop: pysrc.ForOp) -> tuple[list[Operation], list[Operation]] | None:
    """``for i in r: x = helper(x, ..., name=f"..{i}")`` -> ``self.blocks = [Helper(...)
    for i in r]`` (the framework's list of layers) and ``for block in self.blocks: x = block(x)``."""
    body = [o for o in loop.body.block.ops if isinstance(o, pysrc._Statement)]
    call = _helper_call(lifter, body[0]) if len(body) == 1 else None
    spec = load_ontology().specs.get("ModuleList")
    variant = spec.variants.get(lifter.framework) if spec is not None else None
    if call is None or variant is None:
        return None
    stmt = body[0]
    assert isinstance(stmt, pysrc.AssignOp)
    x = call.args[0].owner
    callee = call.callee.owner
    exprs = operand_ops(stmt)
    if not isinstance(x, pysrc.NameOp) or x.id.data != stmt.target.data:
        return None
    if isinstance(callee, pysrc.NameOp) and lifter.channel_blocks.get(callee.id.data, (False, False))[0]:
        add_diagnostic(lifter.module, statement_loc(loop), "warning",
                       f"{callee.id.data} reads its input's channel count, each call the previous one's: "
                       "the loop is not lifted")
        return None
    ctor_ops, attr = _constructor(lifter, call, exprs)
    if set(exprs) - {*ctor_ops, call, callee, x}:
        return None  # the loop computes more than the calls
    lifter.channels.set(x.id.data, None)
    elem = attr or "block"
    attr = lifter.unique_attr(elem + "s")
    iter_ops = operand_ops(loop)
    for o in (*iter_ops, loop, *exprs, stmt):
        o.detach()
    loc = {"loc": loop.loc} if loop.loc else {}
    comp = pysrc.CompOp.create(
        operands=[loop.iter], properties={"target": loop.properties["target"], "kind": StringAttr("list")},
        regions=[Region(Block([*ctor_ops, pysrc.YieldOp.create(operands=[ctor_ops[-1].results[0]])]))],
        result_types=[_OBJ])
    held = fw.CallOp.create(operands=[comp.result], result_types=[_LAYER],
                            properties={"framework": StringAttr(lifter.framework), "api": StringAttr(variant.api),
                                        "arg_names": pysrc.strs([""]), **loc})
    init = pysrc.AssignOp.create(operands=[held.result], properties={"target": StringAttr(f"self.{attr}"), **loc})
    reads, layers = _self_attr(attr)
    each = pysrc.NameOp.create(properties={"id": StringAttr(elem)}, result_types=[_LAYER])
    arg = pysrc.NameOp.create(properties={"id": StringAttr(x.id.data)}, result_types=[_TENSOR])
    step = pysrc.CallOp.create(operands=[each.result, arg.result], properties={"arg_names": pysrc.strs([""])},
                               result_types=[_TENSOR])
    assign = pysrc.AssignOp.create(operands=[step.result], properties=dict(stmt.properties))
    new_loop = pysrc.ForOp.create(
        operands=[layers], properties={**loop.properties, "target": StringAttr(elem)},
        regions=[Region(Block([each, arg, step, assign]))])
    _erase(stmt, call, callee, x, loop)
    return [*iter_ops, comp, held, init], [*reads, new_loop]
