"""``convert-init-loops{source=torch framework=flax_nnx}``: weight-init loops over sub-modules.

A constructor that ends by visiting its sub-modules and re-drawing their weights
(torchvision's vgg, resnet, squeezenet and densenet do)::

    for m in self.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

is written with the target's walk, classes and parameter names, each fill an init
function called with a key of the constructor's RNG stream::

    for _, m in nnx.iter_modules(self):
        if isinstance(m, nnx.Conv):
            m.kernel[...] = jax.nn.initializers.variance_scaling(2.0, "fan_out", "normal")(
                rngs.params(), m.kernel.shape, m.kernel.dtype)

It runs on the hub IR, after ``raise-fw-to-hub`` and before ``lower-hub-to-fw``: the fills
are hub initializer ops already, restated (:mod:`init_rules`) as initializers the target
maps exactly, and ``lower-hub-to-fw`` spells them. What differs between frameworks is data:
the walks are the frameworks' ``module_walk`` traits, the classes the layer specs' variants,
the parameter names and layouts the weight rules. A loop is converted whole or not at all:
a class test, an attribute or a fill that cannot be followed leaves it as it was, its source
APIs marked by the later passes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology import snapshots
from switcheroo.ontology.loader import Ontology, load_ontology
from switcheroo.ontology.odl import ModuleWalkTraits
from switcheroo.passes import init_rules
from switcheroo.passes.fw_common import (
    OBJ,
    const_value,
    make_const,
    operand_ops,
    target_variant,
    values_equal,
)
from switcheroo.passes.layer_attrs import layer_attrs
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter


@dataclass(frozen=True)
class _Kind:
    """What a type test proves the loop variable is: layers of these hub specs, or an
    instance of a module class of the file."""

    layers: tuple[str, ...] = ()
    cls: pysrc.ClassOp | None = None


@dataclass
class _Plan:
    """The edits of one loop, collected before any is made."""

    classes: dict[fw.RefOp, tuple[str, str]] = field(default_factory=dict)  # ref -> (framework, api)
    params: dict[pysrc.AttrOp, tuple[str, tuple[str, ...], tuple]] = field(default_factory=dict)
    fills: list[tuple[hub.HubOp, pysrc.AttrOp, str, dict[str, Any]]] = field(default_factory=list)


def _name_is(v: SSAValue, ident: str) -> bool:
    return isinstance(v.owner, pysrc.NameOp) and v.owner.id.data == ident


def _type_test(cond: SSAValue, var: str) -> pysrc.CallOp | None:
    """``isinstance(var, C)``, alone or first in an ``and``."""
    op = cond.owner
    if isinstance(op, pysrc.BinOp) and op.operator.data == "and":
        return _type_test(op.lhs, var)
    if (isinstance(op, pysrc.CallOp) and _name_is(op.callee, "isinstance") and len(op.args) == 2
            and _name_is(op.args[0], var)):
        return op
    return None


def _param_text(attr: pysrc.AttrOp) -> str:
    parts = [attr.attr.data]
    obj = attr.obj
    while isinstance(obj.owner, pysrc.AttrOp):
        parts.append(obj.owner.attr.data)
        obj = obj.owner.obj
    assert isinstance(obj.owner, pysrc.NameOp)
    return ".".join([obj.owner.id.data, *reversed(parts)])


def _chain(text: str) -> list[Operation]:
    """Ops reading ``a.b.c``; the last gives the value."""
    head, *attrs = text.split(".")
    ops: list[Operation] = [pysrc.NameOp.create(properties={"id": StringAttr(head)}, result_types=[OBJ])]
    for a in attrs:
        ops.append(pysrc.AttrOp.create(operands=[ops[-1].results[0]], properties={"attr": StringAttr(a)},
                                       result_types=[OBJ]))
    return ops


def _call(callee: Operation, args: list[Operation]) -> pysrc.CallOp:
    return pysrc.CallOp.create(operands=[callee.results[0], *(a.results[0] for a in args)],
                               properties={"arg_names": ArrayAttr([StringAttr("") for _ in args])},
                               result_types=[OBJ])


def _erase_dead(ops: list[Operation]) -> None:
    """Erase the expression ops among ``ops`` whose results are no longer used."""
    changed = True
    while changed:
        changed = False
        for op in list(ops):
            if op.parent is not None and all(not r.uses for r in op.results):
                operands = [o.owner for o in op.operands if isinstance(o.owner, Operation)]
                Rewriter.erase_op(op)
                ops.remove(op)
                ops.extend(o for o in operands if o not in ops)
                changed = True


@dataclass(frozen=True)
class ConvertInitLoops(ModulePass):
    """Convert weight-init loops over a module's sub-modules (see the module docstring)."""

    name = "convert-init-loops"
    source: str = "torch"
    framework: str = "flax_nnx"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        onto = load_ontology()
        src, dst = onto.traits.get(self.source), onto.traits.get(self.framework)
        if src is None or dst is None or not (walk := src.module_walk) or not walk.method:
            return
        into = dst.module_walk
        stream = dst.rngs_streams.get("init")
        if not (into and into.function and into.param_write and stream):
            return
        found = pysrc.ops_of(op, (pysrc.ClassOp, pysrc.ForOp))  # one walk for both
        classes = {c.sym_name.data: c for c in found if type(c) is pysrc.ClassOp}
        for loop in [o for o in found if type(o) is pysrc.ForOp]:
            if self._walks_modules(loop, walk) and (plan := self._plan(loop, onto, classes)) is not None:
                self._rewrite(loop, plan, into, stream)

    @staticmethod
    def _walks_modules(loop: pysrc.ForOp, walk: ModuleWalkTraits) -> bool:
        """``for m in self.<method>():`` directly in a class's ``__init__``."""
        call = loop.iter.owner
        func = loop.parent_op()
        while func is not None and not isinstance(func, pysrc.FuncOp):
            func = func.parent_op()
        return (isinstance(call, pysrc.CallOp) and not call.args and isinstance(call.callee.owner, pysrc.AttrOp)
                and call.callee.owner.attr.data == walk.method and _name_is(call.callee.owner.obj, "self")
                and loop.target.data.isidentifier() and isinstance(func, pysrc.FuncOp)
                and func.sym_name.data == "__init__" and isinstance(func.parent_op(), pysrc.ClassOp))

    def _kind(self, cls_value: SSAValue, onto: Ontology, classes: dict[str, pysrc.ClassOp],
              plan: _Plan) -> _Kind | None:
        """The kind a type test's class operand proves; its refs' target classes go to the plan."""
        owner = cls_value.owner
        refs = ([v.owner for v in owner.elts] if isinstance(owner, pysrc.TupleOp) else [owner])
        if len(refs) == 1 and isinstance(owner, pysrc.NameOp):
            return _Kind(cls=classes[owner.id.data]) if owner.id.data in classes else None
        layers = []
        for ref in refs:
            if not (isinstance(ref, fw.RefOp) and ref.framework.data == self.source):
                return None
            found = onto.lookup_api(self.source, ref.api.data)
            if found is None or found[0].kind.value != "layer":
                return None
            target = target_variant(found[0], self.framework)
            snapshot = snapshots.find(target[0], target[1].api) if target else None
            if snapshot is None or snapshot.kind(target[1].api) != "c":
                return None  # no class to test against (flax's max_pool is a function)
            plan.classes[ref] = (target[0], target[1].api)
            layers.append(found[0].operation)
        return _Kind(layers=tuple(layers))

    def _rename(self, layers: tuple[str, ...], name: str, onto: Ontology) -> tuple[str, tuple] | None:
        """The target's name of parameter ``name`` of every one of ``layers``, and its layout ops."""
        found = set()
        for layer in layers:
            spec = onto.specs[layer]
            source, target = spec.variants.get(self.source), target_variant(spec, self.framework)
            if source is None or target is None:
                return None
            found.add(init_rules.rename_param((self.source, source.api), (self.framework, target[1].api),
                                              layer, name))
        return found.pop() if len(found) == 1 and None not in found else None

    def _plan(self, loop: pysrc.ForOp, onto: Ontology, classes: dict[str, pysrc.ClassOp]) -> _Plan | None:
        var = loop.target.data
        plan = _Plan()
        kind_of: dict[Operation, _Kind] = {}
        for op in loop.body.walk():  # outer tests first, so inner ones win
            if isinstance(op, pysrc.IfOp) and (test := _type_test(op.cond, var)) is not None:
                kind = self._kind(test.args[1], onto, classes, plan)
                if kind is None:
                    return None
                for inner in [*operand_ops(op), *op.then.walk()]:
                    kind_of[inner] = kind
        for op in loop.body.walk():
            if not (isinstance(op, pysrc.AttrOp) and _name_is(op.obj, var)):
                continue
            kind = kind_of.get(op)
            if kind is None:
                return None
            if kind.layers:
                params = [(op, kind.layers)]
            else:  # m.bn3.weight: a layer attribute of a class of the file, then its parameter
                layer = layer_attrs(kind.cls)[0].get(op.attr.data)
                uses = [u.operation for u in op.result.uses]
                if layer is None or not all(isinstance(u, pysrc.AttrOp) for u in uses):
                    return None
                params = [(u, (layer,)) for u in uses]
            for attr, layers in params:
                renamed = self._rename(layers, attr.attr.data, onto)
                if renamed is None:
                    return None
                plan.params[attr] = (renamed[0], layers, renamed[1])
        for op in loop.body.walk():
            if isinstance(op, (fw.RefOp, fw.CallOp)) and op.framework.data == self.source and op not in plan.classes:
                return None  # a source API the loop would keep
            if isinstance(op, hub.HubOp) and op.spec.kind.value == "initializer":
                fill = self._fill(op, plan, onto)
                if fill is None:
                    return None
                plan.fills.append(fill)
        return plan

    def _fill(self, op: hub.HubOp, plan: _Plan, onto: Ontology
              ) -> tuple[hub.HubOp, pysrc.AttrOp, str, dict[str, Any]] | None:
        """(op, the parameter it fills, the target's initializer spec and arguments)."""
        named = op.named_args()
        tensor = named.get("tensor", [None])[0]
        uses = [u.operation for u in op.results[0].uses] if op.results else []
        if (tensor is None or tensor.owner not in plan.params or len(uses) != 1
                or not isinstance(uses[0], pysrc.ExprStmtOp)):
            return None
        args = {n: const_value(vs[0]) for n, vs in named.items() if n != "tensor"}
        restated = init_rules.restate(op.SPEC_NAME, args)
        if restated is None:
            return None
        spec_name, new_args = restated
        if spec_name == "variance_scaling":
            axes = init_rules.fan_axes(plan.params[tensor.owner][2])
            if axes is None:
                return None
            new_args |= {"in_axis": axes[0], "out_axis": axes[1]}
        spec = onto.specs[spec_name]
        target = target_variant(spec, self.framework)
        if target is None:
            return None
        for n, arg in [(a.name, a) for a in spec.std_args if a.has_default]:
            if n in new_args and values_equal(new_args[n], arg.default):
                del new_args[n]  # said only where it differs from the default
            elif n in new_args and n in target[1].drop_args:
                return None
        return op, tensor.owner, spec_name, new_args

    def _rewrite(self, loop: pysrc.ForOp, plan: _Plan, into: ModuleWalkTraits, stream: str) -> None:
        for ref, (framework, api) in plan.classes.items():
            ref.properties.update(framework=StringAttr(framework), api=StringAttr(api))
            ref.properties.pop("unmapped", None)
        for attr, (name, _, _) in plan.params.items():
            attr.properties["attr"] = StringAttr(name)
        for op, param, spec_name, args in plan.fills:
            stmt = next(iter(op.results[0].uses)).operation
            ops: list[Operation] = []
            operands, names = [], []
            for n, v in args.items():
                # strings double-quoted, as the files these loops come from write them
                ops += ([pysrc.ConstOp.create(properties={"code": StringAttr(json.dumps(v))}, result_types=[OBJ])]
                        if isinstance(v, str) else make_const(v))
                operands.append(ops[-1].results[0])
                names.append(n)
            props: dict[str, Any] = {"arg_names": ArrayAttr([StringAttr(n) for n in names])}
            props |= {k: op.properties[k] for k in ("src_framework", "src_api", "loc") if k in op.properties}
            init = hub.op_for(spec_name).create(operands=operands, properties=props, result_types=[OBJ])
            text = _param_text(param)
            key = _chain(f"rngs.{stream}")
            shape, dtype = _chain(f"{text}.shape"), _chain(f"{text}.dtype")
            key_call = _call(key[-1], [])
            value = _call(init, [key_call, shape[-1], dtype[-1]])
            assign = pysrc.AssignOp.create(
                operands=[value.results[0]],
                properties={"target": StringAttr(into.param_write.format(param=text)),
                            **{k: v for k, v in stmt.properties.items() if k in ("leading", "trailing", "loc")}})
            Rewriter.insert_op([*ops, init, *key, key_call, *shape, *dtype, value, assign], InsertPoint.before(stmt))
            dead = [*operand_ops(stmt), op]
            Rewriter.erase_op(stmt)
            _erase_dead(dead)
        call = loop.iter.owner
        assert isinstance(call, pysrc.CallOp) and isinstance(call.callee.owner, pysrc.AttrOp)
        this = call.callee.owner.obj
        walk = fw.CallOp.create(operands=[this], properties={
            "framework": StringAttr(self.framework), "api": StringAttr(into.function),
            "arg_names": ArrayAttr([StringAttr("")])}, result_types=[OBJ])
        Rewriter.insert_op(walk, InsertPoint.before(call))
        loop.operands[0] = walk.results[0]
        _erase_dead([call])
        if into.yields_path:
            loop.properties["target"] = StringAttr(f"_, {loop.target.data}")
