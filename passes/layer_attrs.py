"""Which attributes of a module class hold layers, and of which kind.

``self.fc = nn.Linear(...)`` holds a ``Linear``; so does ``self.conv1 = conv3x3(...)`` when
the helper returns ``nn.Conv2d(...)`` (followed by :mod:`layer_sources`), and
``self.features = features`` given ``VGG(make_layers(cfg))``. The kind decides the layout a
call needs in the target, so an attribute built by a call of this file's own function whose
result cannot be followed is *unknown*: its calls are kept, marked, rather than converted as
if the layer did not care about layout.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.passes import layer_sources


def _kind(value_op: Operation, value) -> str | None | bool:
    """The layer spec an assigned value builds; None when it is no layer the hub knows (a
    module class of the file, Python data); False when it is built by this file's own
    function whose result is not understood."""
    if isinstance(value_op, hub.HubOp):
        return value_op.SPEC_NAME if value_op.spec.kind.value == "layer" else None
    if not isinstance(value_op, (pysrc.NameOp, pysrc.CallOp)):
        return None
    built = layer_sources.producers(value)
    if built is None:
        own = isinstance(value_op, pysrc.CallOp) and layer_sources.same_file_function(value_op) is not None
        return False if own else None
    kinds = {k for b in built if (k := layer_sources.layer_spec(b)) is not None}
    if len(kinds) == 1 and len(built) == 1:
        return kinds.pop()
    if kinds and isinstance(value_op, pysrc.CallOp):
        return False  # several kinds of layer (or a layer and something else) from one helper
    return None


def layer_attrs(cls: pysrc.ClassOp) -> tuple[dict[str, str], dict[str, str]]:
    """(attribute -> layer spec, attribute -> why its kind is unknown) for ``self.X = ...``
    anywhere in the class; an attribute assigned twice with different answers is unknown."""
    found: dict[str, str | None | bool] = {}
    why: dict[str, str] = {}
    for op in pysrc.ops_of(cls, pysrc.AssignOp):
        if not op.target.data.startswith("self."):
            continue
        attr = op.target.data[5:]
        kind = _kind(op.value.owner, op.value)
        if attr in found and found[attr] != kind:
            kind = False if (found[attr] or kind) is not None else None
        found[attr] = kind
        if kind is False and attr not in why:
            why[attr] = (f"self.{attr}: a layer of unknown kind (what builds it is not followed to one layer), "
                         "so the tensor layout its call needs is not known")
    known = {a: k for a, k in found.items() if isinstance(k, str)}
    return known, {a: w for a, w in why.items() if found[a] is False}


def mark_unknown_call(call: pysrc.CallOp, why: str, framework: str) -> None:
    """``self.X(x)`` for a layer of unknown kind: kept as written, marked and reported."""
    callee = call.callee.owner
    assert isinstance(callee, pysrc.AttrOp)
    # Expression ops come just before the statement that uses them: report at its line.
    stmt = call.next_op
    while stmt is not None and not isinstance(stmt, pysrc.AssignOp | pysrc.ReturnOp | pysrc.ExprStmtOp):
        stmt = stmt.next_op
    loc = stmt.loc if stmt is not None else None
    props = {"framework": StringAttr(framework), "api": StringAttr(f"self.{callee.attr.data}"),
             "method": callee.attr, "unmapped": StringAttr(why),
             "arg_names": ArrayAttr([StringAttr(""), *call.arg_names.data])}
    if loc is not None:
        props["loc"] = loc
    new = fw.CallOp.create(operands=[callee.obj, *call.args], properties=props, result_types=[call.result.type])
    block = call.parent_block()
    assert block is not None
    block.insert_op_before(new, call)
    call.result.replace_all_uses_with(new.result)
    call.detach()
    call.erase()
    if not callee.result.uses:
        callee.detach()
        callee.erase()
