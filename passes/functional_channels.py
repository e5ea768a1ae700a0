"""Channel counts followed through a lifted functional builder or helper.

A Keras helper may read its input's channel count while it builds (``in_channels =
inputs.shape[-1]``, MobileNetV2's inverted residual block), and a depthwise convolution
knows its input's channels from its input. A module class builds its layers before it
sees a tensor, so the count must be an expression ``__init__`` can compute: the lifted
helper takes it as a parameter (``InvertedResBlock(in_channels, ...)``) and says its own
output's (``self.out_channels``); the builder passes each call the count of the tensor
it is called on. ``Channels`` follows, statement by statement, an expression for the
count of each tensor variable (``functional_model.channel_args`` / ``channel_keeping``
in the traits): the filters of the convolution that made it, a helper's
``out_channels``, or ``<var>_channels`` where the branches of an ``if`` differ.
"""

from __future__ import annotations

import json

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.odl import FunctionalModelTraits
from switcheroo.passes.fw_common import const_value, operand_ops
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

_OBJ = pysrc.ObjectType()

# Detached expression ops; the last one's result is the count. Cloned at each use.
Recipe = tuple[Operation, ...]


def clone(recipe: Recipe) -> list[Operation]:
    mapping: dict[SSAValue, SSAValue] = {}
    return [o.clone(value_mapper=mapping) for o in recipe]


def deps_within(value: SSAValue, within: list[Operation]) -> list[Operation]:
    """The ops of ``within`` that ``value`` is computed from, in their order."""
    keep: set[Operation] = set()
    todo = [value]
    while todo:
        owner = todo.pop().owner
        if isinstance(owner, Operation) and owner in within and owner not in keep:
            keep.add(owner)
            todo.extend(owner.operands)
    return [o for o in within if o in keep]


def recipe_of(value: SSAValue, exprs: list[Operation]) -> Recipe | None:
    """A copy of the expression computing ``value`` from the ops ``exprs`` (None when it
    reads anything else, or holds a region)."""
    ops = deps_within(value, exprs)
    if value.owner not in ops or any(o.regions for o in ops):
        return None
    if any(u.owner not in ops for o in ops for u in o.operands):
        return None
    return tuple(clone(tuple(ops)))


def name_recipe(name: str) -> Recipe:
    return (pysrc.NameOp.create(properties={"id": StringAttr(name)}, result_types=[_OBJ]),)


def attr_recipe(attr: str, field: str = "out_channels") -> Recipe:
    """``self.<attr>.<field>``."""
    me = pysrc.NameOp.create(properties={"id": StringAttr("self")}, result_types=[_OBJ])
    sub = pysrc.AttrOp.create(operands=[me.result], properties={"attr": StringAttr(attr)}, result_types=[_OBJ])
    out = pysrc.AttrOp.create(operands=[sub.result], properties={"attr": StringAttr(field)}, result_types=[_OBJ])
    return (me, sub, out)


def assign(target: str, recipe: Recipe) -> list[Operation]:
    """``target = <count>``."""
    ops = clone(recipe)
    return [*ops, pysrc.AssignOp.create(operands=[ops[-1].results[0]], properties={"target": StringAttr(target)})]


def channel_read(stmt: Operation, tensor: str) -> str | None:
    """The variable ``stmt`` assigns ``tensor``'s channel count to (``c = tensor.shape[-1]``,
    the last axis: the traits' functional models are channels_last), else None."""
    if not isinstance(stmt, pysrc.AssignOp) or not isinstance(sub := stmt.value.owner, pysrc.SubscriptOp):
        return None
    shape, index = sub.operands[0].owner, sub.operands[1]
    if not (isinstance(shape, pysrc.AttrOp) and shape.attr.data == "shape"
            and isinstance(shape.obj.owner, pysrc.NameOp) and shape.obj.owner.id.data == tensor):
        return None
    value = const_value(index)
    value = value[0] if isinstance(value, tuple) and len(value) == 1 else value
    return stmt.target.data if value == -1 else None


class Channels:
    """The channel-count expression of each tensor variable, where one is known."""

    def __init__(self, traits: FunctionalModelTraits):
        self.traits = traits
        self.known: dict[str, Recipe] = {}
        self.merged: set[str] = set()  # the ``<var>_channels`` variables ``merge`` assigned

    def of(self, value: SSAValue) -> Recipe | None:
        op = value.owner
        return self.known.get(op.id.data) if isinstance(op, pysrc.NameOp) else None

    def set(self, target: str, recipe: Recipe | None) -> None:
        if recipe is None:
            self.known.pop(target, None)
        else:
            self.known[target] = recipe

    def input_arg(self, ctor: fw.CallOp, source: SSAValue | None) -> tuple[list[Operation], str] | None:
        """Ops computing the input's count, and the keyword the layer takes it under."""
        keyword = self.traits.input_channel_args.get(ctor.api.data)
        recipe = self.of(source) if source is not None else None
        if keyword is None or recipe is None:
            return None
        return clone(recipe), keyword

    def after_layer(self, target: str, ctor: fw.CallOp, source: SSAValue | None, exprs: list[Operation]) -> None:
        """``target = <ctor>(source)``."""
        api = ctor.api.data
        names = [n.data for n in ctor.arg_names.data]
        recipe: Recipe | None = None
        if api in self.traits.channel_args:
            arg = self.traits.channel_args[api]
            value = ctor.args[names.index(arg)] if arg in names else (
                ctor.args[0] if names and names[0] == "" else None)
            recipe = recipe_of(value, exprs) if value is not None else None
        elif (form := self.traits.functional_layers.get(api)) is not None and form.inputs == "list" \
                and source is not None and isinstance(items := source.owner, pysrc.TupleOp) and items.elts:
            recipe = self.of(items.elts[-1])  # element-wise: the inputs have the output's count
        elif api in self.traits.channel_keeping and source is not None:
            times = self.traits.channel_keeping[api]
            given = const_value(ctor.args[names.index(times)]) if times in names else 1
            recipe = self.of(source) if given == 1 else None
        self.set(target, recipe)

    def after_assign(self, stmt: Operation) -> None:
        """Any other statement: a copy keeps the count, anything else forgets it."""
        for o in stmt.walk():
            if isinstance(o, pysrc.AssignOp):
                self.set(o.target.data, self.of(o.value) if isinstance(o.value.owner, pysrc.NameOp) else None)

    def merge(self, then: dict[str, Recipe], orelse: dict[str, Recipe]) -> tuple[list[Operation], list[Operation]]:
        """After an ``if``: counts the branches agree on stay; where they differ, each
        branch's ``__init__`` half assigns ``<var>_channels`` (the ops returned) and the
        count is that variable."""
        then_ops: list[Operation] = []
        else_ops: list[Operation] = []
        self.known = {}
        for var in then.keys() & orelse.keys():
            if then[var] is orelse[var]:
                self.known[var] = then[var]
                continue
            name = f"{var}_channels"
            self.merged.add(name)
            then_ops += assign(name, then[var])
            else_ops += assign(name, orelse[var])
            self.known[var] = name_recipe(name)
        return then_ops, else_ops


def drop_unread(scope: Operation, names: set[str]) -> None:
    """Erase the assignments to ``names`` (``merge``'s variables) that nothing in ``scope``
    reads: the layers built after the branches did not need the count."""
    stmts = [o for o in scope.walk() if isinstance(o, pysrc.AssignOp) and o.target.data in names]
    read = {o.id.data for o in scope.walk() if isinstance(o, pysrc.NameOp)}
    for stmt in stmts:
        if stmt.target.data in read:
            continue
        owner = stmt.parent_op()
        for o in (*operand_ops(stmt), stmt):
            o.detach()
            o.erase(safe_erase=False)
        if isinstance(owner, pysrc.IfOp) and not any(
                isinstance(o, pysrc._Statement) for r in owner.regions for b in r.blocks for o in b.ops):
            for o in (*operand_ops(owner), owner):  # an ``if`` left with nothing to do
                o.detach()
                o.erase(safe_erase=False)


def self_assign(field: str, recipe: Recipe, comment: str) -> list[Operation]:
    """``self.<field> = <count>``, with a comment line above it."""
    ops = assign(f"self.{field}", recipe)
    ops[-1].leading = StringAttr(json.dumps([comment]))
    return ops


def statement_reads(stmt: Operation, name: str) -> bool:
    return any(isinstance(o, pysrc.NameOp) and o.id.data == name for e in (*operand_ops(stmt), stmt) for o in e.walk())
