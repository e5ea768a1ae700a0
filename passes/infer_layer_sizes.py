"""``infer-layer-sizes{source=S input-shapes=...}``: the input sizes a Keras layer leaves out.

Keras builds a layer on its first call, so ``layers.Dense(units)`` names no
``in_features``; a target with no lazy layers (Flax NNX, JAX, MLX, NumPy) needs it, and
PyTorch has no lazy ``LSTM`` or ``LayerNorm``. After raising, this pass

1. folds ``self.X.build(shape)`` of a wrapper (``WeightNorm(Dense(12))``) into the layer it
   wraps, by that layer's ``build_shape`` (the raise folds it for a plain layer);
2. walks each model class's forward method from the shapes of its inputs
   (:mod:`layer_shapes`) and gives each layer whose input size is missing the size its
   input has there. The inputs' shapes come from the ``input-shapes`` option
   (``swc-translate --input-shape 8x784``; ``MLP:8x784`` names the class, ``?x784`` leaves
   the batch open) or from ``model.build((None, 784))`` after ``model = MLP(...)`` at
   module level. Sizes the layers themselves state are followed without any input shape
   (``self.fc2(relu(self.fc1(x)))``: ``fc2`` takes ``fc1``'s ``out_features``);
3. marks (``size_from_input``) each layer that states an input size no layer before it
   carries: a target whose layers infer it (Keras) then writes ``self.X.build(...)`` in the
   constructor (``deferred_build``), so the size stays in its code.

A layer whose size stays unknown is left as it is: lowering keeps it marked unmapped.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import partial

from switcheroo.diagnostics import SwcError
from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.compose import parse
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes import analysis_common
from switcheroo.passes.fw_common import OBJ, chain, class_method
from switcheroo.passes.layer_features import _erase_statement, _portable
from switcheroo.passes.layer_shapes import (
    IN_FEATURES,
    INPUT_SHAPE,
    MARK,
    Scaled,
    Shape,
    ShapeWalk,
    at,
    literal,
)
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr, UnitAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

_DIMS = re.compile(r"^(\?|None|\d+)(x(\?|None|\d+))*$")


class InputShapeError(SwcError):
    """An ``--input-shape`` the pass cannot read (one line)."""


def parse_input_shapes(entries: tuple[str, ...]) -> dict[str, list[Shape]]:
    """``("MLP:8x784",)`` -> ``{"MLP": [(8, 784)]}``; shapes without a class go under ``""``."""
    out: dict[str, list[Shape]] = {}
    for entry in entries:
        cls, _, dims = entry.strip().rpartition(":")
        if not _DIMS.match(dims):
            raise InputShapeError(f"error: --input-shape {entry!r}: expected dimensions like 8x784 or ?x784, "
                                  f"optionally after a class name (MLP:8x784)")
        shape = tuple(None if d in ("?", "None") else int(d) for d in dims.split("x"))
        out.setdefault(cls, []).append(shape)
    return out


def _ctors(cls: pysrc.ClassOp) -> dict[str, Operation]:
    """``self.X = <op>`` in the class, for attributes assigned once."""
    seen: dict[str, list[Operation]] = {}
    for op in pysrc.ops_of(cls, pysrc.AssignOp):
        if op.target.data.startswith("self.") and op.target.data.count(".") == 1 and isinstance(
                owner := op.value.owner, Operation):
            seen.setdefault(op.target.data[5:], []).append(owner)
    return {a: ops[0] for a, ops in seen.items() if len(ops) == 1}


def _set_arg(layer: hub.HubOp, name: str, value: SSAValue) -> None:
    """Add argument ``name`` to ``layer`` in the spec's order."""
    rank = {n: i for i, n in enumerate(layer.spec.arg_names)}
    pairs = sorted([*zip([n.data for n in layer.arg_names.data], layer.args), (name, value)],
                   key=lambda p: rank[p[0]])
    layer.operands = [v for _, v in pairs]
    layer.arg_names = ArrayAttr([StringAttr(n) for n, _ in pairs])


def _copy_dim(dim: object, init: pysrc.FuncOp, at: Operation) -> list[Operation] | None:
    """Ops computing ``dim`` in ``__init__``: a literal, or a copy of the expression that
    states it there (a parameter of ``__init__``, arithmetic on such)."""
    if isinstance(dim, int):
        return [pysrc.ConstOp.create(properties={"code": StringAttr(str(dim))}, result_types=[OBJ])]
    if isinstance(dim, Scaled):
        value = _copy_dim(dim.value, init, at)
        if value is None:
            return None
        factor = _copy_dim(dim.factor, init, at)
        assert factor is not None
        op = pysrc.BinOp.create(operands=[factor[-1].results[0], value[-1].results[0]],
                                properties={"operator": StringAttr("*")}, result_types=[OBJ])
        return [*factor, *value, op]
    if not isinstance(dim, SSAValue):
        return None
    owner = dim.owner
    if isinstance(owner, pysrc.BinOp) and owner.operator.data in ("+", "-", "*", "//"):
        lhs, rhs = _copy_dim(owner.lhs, init, at), _copy_dim(owner.rhs, init, at)
        if lhs is None or rhs is None:
            return None
        op = pysrc.BinOp.create(operands=[lhs[-1].results[0], rhs[-1].results[0]],
                                properties={"operator": owner.operator}, result_types=[dim.type])
        return [*lhs, *rhs, op]
    copy = _readable(dim, init, at)
    return [copy] if copy is not None else None


def _readable(value: SSAValue, init: pysrc.FuncOp, at: Operation) -> Operation | None:
    """A copy of ``value``'s op that reads the same before ``at`` in ``__init__``: a literal,
    a parameter, or a local assigned once before ``at`` (``width = planes * 4``)."""
    copy = _portable(value, init)
    owner = value.owner
    if copy is not None or not isinstance(owner, pysrc.NameOp):
        return copy
    writes = [o for o in init.walk() if isinstance(o, pysrc.AssignOp) and o.target.data == owner.id.data]
    top = at
    while top.parent_op() is not init and top.parent_op() is not None:
        top = top.parent_op()
    body = list(init.body.block.ops)
    if len(writes) != 1 or writes[0].parent_op() is not init or top not in body \
            or body.index(writes[0]) > body.index(top):
        return None
    return pysrc.NameOp.create(properties={"id": owner.id}, result_types=[value.type])


def _inner_layer(layer: Operation | None) -> hub.HubOp | None:
    """The layer a wrapper of one layer wraps, through wrappers (``WeightNorm(Dense)``)."""
    while isinstance(layer, hub.HubOp):
        inner = [v.owner for v in layer.args if isinstance(v.owner, hub.HubOp) and v.owner.spec.kind.value == "layer"]
        if layer.SPEC_NAME == "Sequential" and inner:
            layer = inner[0]  # a Sequential's input is its first member's
            continue
        if len(inner) != 1 or layer.SPEC_NAME in IN_FEATURES:
            return layer
        layer = inner[0]
    return None


def fold_wrapped_builds(cls: pysrc.ClassOp, init: pysrc.FuncOp) -> None:
    """``self.X.build(shape)`` the raise left: of a wrapper (``WeightNorm(Dense(12))``) or a
    ``Sequential`` (its first member's input), or of a layer whose ``build_shape`` has
    another rank than the call's (``BatchNormalization`` over images). The size goes to the
    layer, by its source variant's ``build_shape``, and the call goes."""
    ctors: dict[str, Operation] | None = None  # read at the first build call, before any change
    for stmt in [s for s in init.body.block.ops if isinstance(s, pysrc.ExprStmtOp)]:
        call = stmt.value.owner
        if not (isinstance(call, pysrc.CallOp) and len(call.args) == 1 and isinstance(m := call.callee.owner, pysrc.AttrOp)
                and m.attr.data == "build" and isinstance(a := m.obj.owner, pysrc.AttrOp)
                and isinstance(s := a.obj.owner, pysrc.NameOp) and s.id.data == "self"):
            continue
        if ctors is None:
            ctors = _ctors(cls)
        layer = _inner_layer(ctors.get(a.attr.data))
        feature = IN_FEATURES.get(layer.SPEC_NAME) if layer is not None else None
        shape = call.args[0].owner
        if layer is None or feature is None or not isinstance(shape, pysrc.TupleOp) or not shape.elts:
            continue
        if feature[0] not in layer.named_args():
            # the size sits where the source's build_shape names it (last in a channels-last shape)
            hit = load_ontology().lookup_api(layer.src_framework.data, layer.src_api.data) \
                if layer.src_framework is not None and layer.src_api is not None else None
            want = parse(hit[1].build_shape) if hit is not None and hit[1].build_shape else None
            if not isinstance(want, ast.Tuple) or not want.elts:
                continue
            names = [e.id if isinstance(e, ast.Name) else None for e in want.elts]
            at = names.index(feature[0]) if len(names) == len(shape.elts) and feature[0] in names else \
                -1 if names[-1] == feature[0] else None
            ops = _copy_dim(shape.elts[at], init, layer) if at is not None else None
            if ops is None:
                continue
            layer.parent_block().insert_ops_before(ops, layer)
            _set_arg(layer, feature[0], ops[-1].results[0])
        _erase_statement(stmt)  # the layer states its size: a target building lazily re-adds the call


def _module_builds(module: pysrc.ModuleOp, models: set[str]) -> dict[str, list[Shape]]:
    """``model = MLP(...)`` then ``model.build((None, 784))`` at module level: MLP's input.
    The call goes: the layers get their sizes from it (a target building lazily writes
    them as ``build`` calls of its layers, a Flax NNX module has no ``build``)."""
    made: dict[str, str] = {}
    out: dict[str, list[Shape]] = {}
    for op in list(module.body.block.ops):
        if isinstance(op, pysrc.AssignOp) and isinstance(call := op.value.owner, pysrc.CallOp) \
                and isinstance(c := call.callee.owner, pysrc.NameOp) and c.id.data in models:
            made[op.target.data] = c.id.data
        elif isinstance(op, pysrc.ExprStmtOp) and isinstance(call := op.value.owner, pysrc.CallOp) \
                and isinstance(m := call.callee.owner, pysrc.AttrOp) and m.attr.data == "build" \
                and isinstance(obj := m.obj.owner, pysrc.NameOp) and obj.id.data in made and len(call.args) == 1:
            shape = literal(call.args[0])
            if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
                out.setdefault(made[obj.id.data], []).append(shape)
                _erase_statement(op)
    return out


@dataclass(frozen=True)
class InferLayerSizes(ModulePass):
    """Fill the input sizes of layers from the shapes reaching them (see module docstring)."""

    name = "infer-layer-sizes"
    source: str = "torch"
    input_shapes: tuple[str, ...] = ()
    framework: str = ""
    """The target, when known: marks (step 3) are written only for a target with a layer
    that builds lazily (a variant with ``build_shape``); empty: always."""

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        module = analysis_common.source_module(op)
        if module is None:
            return
        given = parse_input_shapes(self.input_shapes)
        forward = load_ontology().traits[self.source].forward_method
        models = [c for c in module.body.block.ops if isinstance(c, pysrc.ClassOp)
                  and class_method(c, forward) is not None and class_method(c, "__init__") is not None]
        lifted = {c.sym_name.data: next(iter(parse_input_shapes((c.attributes[INPUT_SHAPE].data,)).values()))
                  for c in models if isinstance(c.attributes.get(INPUT_SHAPE), StringAttr)}
        inputs = lifted | _module_builds(module, {c.sym_name.data for c in models})
        if "" in given:
            top = _top_level(models)
            if len(top) == 1:
                inputs[top[0].sym_name.data] = given[""]
            else:
                names = ", ".join(c.sym_name.data for c in top) or "none"
                analysis_common.add_diagnostic(op, "1:1", "warning", f"--input-shape names no class and the file "
                                               f"has {len(top)} model classes ({names}): give it as CLASS:SHAPE")
        inputs |= {k: v for k, v in given.items() if k}
        marks = not self.framework or _builds_lazily(self.framework)
        for cls in models:
            init = class_method(cls, "__init__")
            assert init is not None
            fold_wrapped_builds(cls, init)
            ctors = _ctors(cls)
            shapes = inputs.get(cls.sym_name.data, [])
            if _lacks_size(cls):  # else _fill finds nothing to fill: the walk is skipped
                ShapeWalk(cls, ctors, partial(_fill, init=init)).run(forward, shapes)
            if marks:
                ShapeWalk(cls, ctors, _mark).run(forward, [])


def _lacks_size(cls: pysrc.ClassOp) -> bool:
    """Whether a layer in ``cls`` has no input size yet (what ``_fill`` gives)."""
    for layer in pysrc.ops_of(cls, hub.HubOp):
        feature = IN_FEATURES.get(layer.SPEC_NAME)
        if feature is not None and feature[0] not in layer.named_args():
            return True
    return False


_LAZY: dict[str, bool] = {}


def _builds_lazily(framework: str) -> bool:
    """Whether a layer of ``framework`` (or its fallbacks) builds on its first call, so
    that lowering may write ``self.X.build(...)`` for a layer marked ``size_from_input``."""
    found = _LAZY.get(framework)
    if found is None:
        onto = load_ontology()
        owners = chain(framework, onto)
        found = _LAZY[framework] = any(
            (v := spec.variants.get(owner)) is not None
            and (v.build_shape is not None or (v.lower is not None and v.lower.build_shape is not None))
            for spec in onto.specs.values() for owner in owners)
    return found


def _top_level(models: list[pysrc.ClassOp]) -> list[pysrc.ClassOp]:
    """The model classes no other class of the file builds."""
    names = {c.sym_name.data for c in models}
    used = {n.id.data for c in models for n in pysrc.ops_of(c, pysrc.NameOp) if n.id.data in names}
    return [c for c in models if c.sym_name.data not in used]


def _in_init(layer: Operation, init: pysrc.FuncOp) -> bool:
    parent = layer.parent_op()
    while parent is not None and parent is not init:
        parent = parent.parent_op()
    return parent is init


def _fill(layer: hub.HubOp, shape: Shape, init: pysrc.FuncOp) -> None:
    """Give ``layer`` its input size from ``shape`` when it has none yet."""
    feature = IN_FEATURES.get(layer.SPEC_NAME)
    if feature is None or feature[0] in layer.named_args() or not _in_init(layer, init):
        return
    ops = _copy_dim(at(shape, feature[1]), init, layer)
    if ops is None:
        return
    block = layer.parent_block()
    assert block is not None
    block.insert_ops_before(ops, layer)
    _set_arg(layer, feature[0], ops[-1].results[0])


def _mark(layer: hub.HubOp, shape: Shape) -> None:
    """Note a layer whose stated input size no earlier layer carries."""
    feature = IN_FEATURES.get(layer.SPEC_NAME)
    if feature is None or feature[0] not in layer.named_args():
        return
    if not isinstance(at(shape, feature[1]), (int, SSAValue, Scaled)):
        layer.attributes[MARK] = UnitAttr()
