"""Layers that create their weights on their first call, built where the model may not call them.

A Keras layer has no weights until it is called (or ``build`` is called), so a layer of
the untaken branch of ``if x.mean() > 0: ... else: ...`` has none to load or save. A
Keras user builds such a layer in the constructor, with the input shape it will see:

    self.neg = layers.Dense(3)
    self.neg.build((None, d_in))

Lowering asks for this after it lowers a layer assigned to ``self.X`` (or wrapped by the
layer assigned there: ``WeightNorm(Dense(12))``) whose target variant states a
``build_shape`` (ontology data, over the standard arguments: ``(None, in_features)``), when
the forward method (or a method it calls on every run) does not call ``self.X`` on every
run, or when ``infer-layer-sizes`` marked the layer ``size_from_input``: its input size is
in the constructor only (``nn.LSTM(d_in, hidden)`` reading the model's input), and
without the ``build`` line the Keras code would lose it. A layer the first call builds
and whose size the layer before it carries gets no ``build`` line, as an expert would
write it.
"""

from __future__ import annotations

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.passes import layer_build
from switcheroo.passes.fw_common import OBJ
from switcheroo.passes.layer_shapes import ANY_RANK_BUILD, FIXED_RANK
from switcheroo.passes.layer_shapes import MARK as SIZE_FROM_INPUT
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

# Statements under which a call may not run on every pass through the method.
_CONDITIONAL = (pysrc.IfOp, pysrc.ForOp, pysrc.WhileOp, pysrc.CompOp, pysrc.FuncOp)


def _self_attr(value: SSAValue) -> str | None:
    op = value.owner
    if isinstance(op, pysrc.AttrOp) and isinstance(op.obj.owner, pysrc.NameOp) and op.obj.owner.id.data == "self":
        return op.attr.data
    return None


def _top_statement(op: Operation, func: pysrc.FuncOp) -> Operation | None:
    """The statement of ``func``'s own body holding ``op``, or None when ``op`` sits under
    a statement that may skip it (an ``if``, a loop, a comprehension, a nested function)."""
    while (parent := op.parent_op()) is not None and parent is not func:
        if isinstance(parent, _CONDITIONAL):
            return None
        op = parent
    return op if parent is func else None


def _returns(stmt: Operation) -> bool:
    return any(isinstance(o, pysrc.ReturnOp) for o in stmt.walk())


def called_every_run(cls: pysrc.ClassOp, method: str) -> set[str]:
    """Attributes ``self.X`` that ``method`` calls on every run: in its own body, before any
    statement that may return, following ``self.helper(...)`` calls made the same way."""
    funcs = {f.sym_name.data: f for f in cls.body.block.ops if isinstance(f, pysrc.FuncOp)}
    out: set[str] = set()
    seen: set[str] = set()

    def visit(name: str) -> None:
        func = funcs.get(name)
        if func is None or name in seen:
            return
        seen.add(name)
        body = list(func.body.block.ops)
        for op in func.walk():
            callee = op.args[0] if isinstance(op, hub.ApplyOp) else op.callee if isinstance(op, pysrc.CallOp) else None
            attr = _self_attr(callee) if callee is not None else None
            stmt = _top_statement(op, func) if attr is not None else None
            if attr is None or stmt is None or any(_returns(s) for s in body[:body.index(stmt)]):
                continue
            if attr in funcs:
                visit(attr)
            else:
                out.add(attr)

    visit(method)
    return out


def _assignment(layer: hub.HubOp) -> pysrc.AssignOp | None:
    """``self.X = <layer>``, or ``self.X = <wrapper>(<layer>)`` (``WeightNorm(Dense(12))``,
    ``Sequential([<layer>, ...])``: the wrapper's ``build`` builds the layer)."""
    value = layer.res[0]
    for _ in range(4):
        users = [u.operation for u in value.uses]
        assign = next((u for u in users if isinstance(u, pysrc.AssignOp)), None)
        if assign is not None:
            return assign
        wrapper = next((u for u in users if isinstance(u, hub.HubOp) and u.spec.kind.value == "layer" and u.res), None)
        if wrapper is None or len(users) != 1:
            return None
        if wrapper.SPEC_NAME == "Sequential" and (wrapper.args[0] is not value or layer.SPEC_NAME not in FIXED_RANK):
            # A Sequential's input is its first member's; building it fixes the input's rank
            # (keras.Sequential builds a graph), right only for a layer of one rank (Conv2D).
            return None
        value = wrapper.res[0]
    return None


def add_build(spec: OpSpec, variant: Variant, named: dict[str, list[SSAValue]], src: hub.HubOp) -> None:
    """After ``self.X = <layer>`` in the constructor: ``self.X.build(<build_shape>)`` when
    the forward method may not call ``self.X``. ``src`` is the hub op being lowered."""
    if variant.build_shape is None or not src.res:
        return
    assign = _assignment(src)
    if assign is None or not assign.target.data.startswith("self.") or assign.target.data.count(".") != 1:
        return
    attr = assign.target.data.removeprefix("self.")
    cls = assign.parent_op()
    while cls is not None and not isinstance(cls, pysrc.ClassOp):
        cls = cls.parent_op()
    if cls is None:
        return
    source = src.src_framework.data if src.src_framework else "torch"
    # Only the constructor states its input size; a build keeps it where its shape fits
    # every call (a layer of one rank, or one whose build fixes the last axis only).
    lost = SIZE_FROM_INPUT in src.attributes and (src.SPEC_NAME in FIXED_RANK or src.SPEC_NAME in ANY_RANK_BUILD)
    if not lost and attr in called_every_run(cls, load_ontology().traits[source].forward_method):
        return
    try:
        shape_ops, shape = layer_build.expression(variant.build_shape, {n: vs[0] for n, vs in named.items()}, spec)
    except layer_build.BuildRefusal:
        return  # the shape is not known from the constructor's arguments: its first call builds it
    this = pysrc.NameOp.create(properties={"id": StringAttr("self")}, result_types=[OBJ])
    layer = pysrc.AttrOp.create(operands=[this.results[0]], properties={"attr": StringAttr(attr)}, result_types=[OBJ])
    method = pysrc.AttrOp.create(operands=[layer.results[0]], properties={"attr": StringAttr("build")},
                                 result_types=[OBJ])
    call = pysrc.CallOp.create(operands=[method.results[0], shape], properties={"arg_names": pysrc.strs([""])},
                               result_types=[OBJ])
    stmt = pysrc.ExprStmtOp.create(operands=[call.results[0]])
    block = assign.parent_block()
    assert block is not None
    block.insert_ops_after([*shape_ops, this, layer, method, call, stmt], assign)
