"""Device placement of modules and the runtime device idiom, read before raising.

The frontend types tensors and layers, not instances of the file's own module classes, so
``model = Net().to(device)`` reaches the raise pass as plain Python and would be copied
into a target where modules have no ``to``. Here, in ``normalize-source``:

- ``m.to(device)``, ``m.cuda()``, ``m.cpu()`` on a value shown to be a module (a layer,
  an instance of a class of the file deriving from the source's module base, a name whose
  assignments all bind one) become the source's ``Module.to`` / ``cuda`` / ``cpu`` call,
  which ``raise-fw-to-hub`` reads as ``hub.module_to_device`` and the like. Where the
  target spells the move as the module itself (its variant's ``compose`` is the module
  argument), a statement that would only rebind the name (``model = model.to(device)``,
  ``model.cuda()``) is removed, with a note.
- the same methods on a value of unknown type are reported and marked: a module or a
  tensor, the target spells the two differently.
- ``torch.device("cuda" if torch.cuda.is_available() else "cpu")`` becomes
  ``hub.accelerator_device``, the target's default device (``jax.devices()[0]``), with a
  note.
"""

from __future__ import annotations

import ast

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.snapshots import has_api
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from switcheroo.passes.device_values import DEVICE_KINDS, is_device
from switcheroo.passes.fw_common import chain, target_variant
from switcheroo.passes.untyped_methods import mark_line
from xdsl.dialects import builtin
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import Rewriter

# Module method -> the hub spec it is raised to.
MOVES = {"to": "module_to_device", "cuda": "module_to_accelerator", "cpu": "module_to_host"}


def _module_classes(module: Operation, source: str, base: str) -> set[str]:
    """Names of the file's classes deriving (through each other) from a source module."""
    onto = load_ontology()

    def is_module_base(v: SSAValue, found: set[str]) -> bool:
        o = v.owner
        if isinstance(o, pysrc.NameOp):
            return o.id.data in found
        if not isinstance(o, fw.RefOp) or o.framework.data != source:
            return False
        hit = onto.lookup_api(source, o.api.data)
        return o.api.data == base or (hit is not None and hit[0].operation[:1].isupper())

    classes = pysrc.ops_of(module, pysrc.ClassOp)
    found: set[str] = set()
    grew = True
    while grew:
        grew = False
        for c in classes:
            if c.sym_name.data not in found and any(is_module_base(b, found) for b in c.bases):
                found.add(c.sym_name.data)
                grew = True
    return found


def _assigned(name: pysrc.NameOp) -> list[SSAValue]:
    """Values bound to ``name`` by plain assignments in each enclosing body."""
    found: list[SSAValue] = []
    region = name.parent_region()
    while region is not None:
        for block in region.blocks:
            for op in block.ops:
                if isinstance(op, pysrc.AssignOp) and op.target.data == name.id.data:
                    found.append(op.value)
        owner = region.parent_op()
        region = owner.parent_region() if owner is not None else None
    return found


def _is_module(v: SSAValue, classes: set[str], base: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``v`` is shown to be a module instance (see the module docstring)."""
    if isinstance(v.type, pysrc.LayerType):
        return True
    o = v.owner
    if isinstance(o, fw.CallOp):
        return o.api.data.startswith(base + ".") and o.method is not None and o.method.data in MOVES
    if isinstance(o, pysrc.CallOp):
        callee = o.callee.owner
        if isinstance(callee, pysrc.NameOp):
            return callee.id.data in classes
        # model.to(device) on a module is the module
        return isinstance(callee, pysrc.AttrOp) and callee.attr.data in MOVES and _is_module(
            callee.obj, classes, base, seen)
    if isinstance(o, pysrc.NameOp):
        if o.id.data in seen:
            return True  # model = model.to(device): the other assignments decide
        values = _assigned(o)
        return bool(values) and all(_is_module(a, classes, base, seen | {o.id.data}) for a in values)
    return False


def _shown_move(method: str, call: pysrc.CallOp) -> bool:
    """Whether the call's arguments make it a device move (``to`` also casts)."""
    if method != "to":
        return not call.args
    names = [n.data for n in call.arg_names.data]
    return len(names) == 1 and names[0] in ("", "device") and is_device(call.args[0])


def _rebinding_statement(call: pysrc.CallOp, recv: SSAValue) -> Operation | None:
    """The statement ``name = name.to(d)`` or ``x.cuda()`` holding ``call``, if it is one."""
    users = [u.operation for u in call.result.uses]
    if len(users) != 1:
        return None
    stmt = users[0]
    if isinstance(stmt, pysrc.ExprStmtOp):
        return stmt
    name = recv.owner
    if isinstance(stmt, pysrc.AssignOp) and isinstance(name, pysrc.NameOp) and stmt.target.data == name.id.data:
        return stmt
    return None


def _move_call(call: pysrc.CallOp, recv: SSAValue, source: str, api: str, method: str) -> fw.CallOp:
    names = [n.data for n in call.arg_names.data]
    if method == "to" and names == [""]:
        names = ["device"]  # Module.to(*args): the one positional is named for binding
    return fw.CallOp.create(
        operands=[recv, *call.args], result_types=[pysrc.ObjectType()],
        properties={"framework": StringAttr(source), "api": StringAttr(api), "method": StringAttr(method),
                    "arg_names": pysrc.strs(["", *names]),
                    "loc": StringAttr(statement_loc(call))})


def raise_module_moves(module: builtin.ModuleOp, source: str, target: str) -> None:
    """Module device moves as source calls, dropped or marked (see the module docstring)."""
    onto = load_ontology()
    src = onto.traits.get(source)
    if src is None or not src.module_base or source in chain(target):
        return
    base = src.module_base
    classes = _module_classes(module, source, base)
    imported = {"self"}
    for call in pysrc.ops_of(module, pysrc.CallOp):
        callee = call.callee.owner
        if not isinstance(callee, pysrc.AttrOp) or callee.attr.data not in MOVES:
            continue
        method, recv = callee.attr.data, callee.obj
        api = f"{base}.{method}"
        if not has_api(source, api) or isinstance(recv.type, pysrc.TensorType):
            continue
        if not _is_module(recv, classes, base):
            if isinstance(recv.owner, pysrc.NameOp) and recv.owner.id.data in imported:
                continue
            add_diagnostic(module, statement_loc(call), "warning",
                           f"unmapped {api}: .{method}() on a value not known to be a module or a tensor, kept as written")
            stmt = _statement_of(call)
            if stmt is not None:
                mark_line(stmt, api)
            continue
        found = target_variant(onto.specs[MOVES[method]], target)
        stmt = _rebinding_statement(call, recv)
        if found is not None and found[1].compose == "model" and stmt is not None and _shown_move(method, call):
            loc = statement_loc(call)
            add_diagnostic(module, loc, "note", f"{api} is left out: {found[1].note}; the statement is removed")
            Rewriter.erase_op(stmt)
            Rewriter.erase_op(call)
            if not callee.result.uses:
                Rewriter.erase_op(callee)
            continue
        Rewriter.replace_op(call, _move_call(call, recv, source, api, method))
        if not callee.result.uses:
            Rewriter.erase_op(callee)
    _raise_device_idiom(module, source, target)


def _statement_of(op: Operation) -> Operation | None:
    cur: Operation | None = op
    while cur is not None and not isinstance(cur, pysrc._Statement):  # pyright: ignore[reportPrivateUsage]
        users = [u.operation for r in cur.results for u in r.uses]
        cur = users[0] if users else cur.parent_op()
    return cur


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def _is_accelerator_idiom(code: str, available_api: str) -> bool:
    """``"cuda" if torch.cuda.is_available() else "cpu"`` (any accelerator name)."""
    try:
        node = ast.parse(code, mode="eval").body
    except SyntaxError:
        return False
    if not isinstance(node, ast.IfExp) or not isinstance(node.test, ast.Call) or node.test.args:
        return False
    test = _dotted(node.test.func)
    consts = (node.body, node.orelse)
    if test is None or not all(isinstance(c, ast.Constant) and isinstance(c.value, str) for c in consts):
        return False
    accel, host = (c.value for c in consts)  # pyright: ignore[reportAttributeAccessIssue]
    return (test.split(".", 1)[-1] == available_api.split(".", 1)[-1] and host == "cpu"
            and accel.split(":")[0] in DEVICE_KINDS and accel != "cpu")


def _raise_device_idiom(module: builtin.ModuleOp, source: str, target: str) -> None:
    onto = load_ontology()
    device = onto.specs["device"].variants.get(source)
    available = onto.specs["accelerator_available"].variants.get(source)
    found = target_variant(onto.specs["accelerator_device"], target)
    if device is None or available is None or found is None:
        return
    for call in pysrc.ops_of(module, fw.CallOp):
        if call.api.data != device.api or len(call.args) != 1:
            continue
        arg = call.args[0].owner
        if not isinstance(arg, pysrc.OpaqueExprOp) or not _is_accelerator_idiom(arg.code.data, available.api or ""):
            continue
        loc = call.loc.data if call.loc is not None else statement_loc(call)
        code = arg.code.data
        new = hub.op_for("accelerator_device").create(
            operands=[], result_types=[pysrc.ObjectType()],
            properties={"arg_names": pysrc.strs([]), "src_framework": StringAttr(source),
                        "src_api": StringAttr(call.api.data), "loc": StringAttr(loc)})
        Rewriter.replace_op(call, new)
        if not arg.result.uses:
            Rewriter.erase_op(arg)
        add_diagnostic(module, loc, "note", f"{call.api.data}({code}) becomes {found[1].compose}: {found[1].note}")
