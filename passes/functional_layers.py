"""Weightless layers of a functional model written as the function they apply.

``lift-functional-model`` gives each layer an attribute and replays its call; a layer with
no weights that is one function of its inputs reads better as that function, and maps to
every framework through the function's own mapping: ``layers.Add()([a, b])`` is
``ops.add(a, b)``, ``layers.GlobalAveragePooling2D()(x)`` is ``ops.mean(x, axis=(1, 2))``.
Which layers, and for which constructor arguments, is ``functional_model.functional_layers``
in the framework traits.
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation, SSAValue

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.odl import FunctionalLayer, FunctionalModelTraits
from switcheroo.passes.fw_common import const_value, is_const, make_const

_TENSOR = pysrc.TensorType()


def functional_form(ctor: fw.CallOp, traits: FunctionalModelTraits) -> FunctionalLayer | None:
    """The function form of the layer ``ctor`` builds, when its arguments are those the form
    stands for (``name=`` aside); None otherwise."""
    form = traits.functional_layers.get(ctor.api.data)
    if form is None:
        return None
    given: dict[str, Any] = {}
    for i, (arg, name) in enumerate(zip(ctor.args, (n.data for n in ctor.arg_names.data))):
        if name == traits.name_arg:
            continue
        key = name or (form.params[i] if i < len(form.params) else None)
        if key is None or key not in form.when or not is_const(arg) or const_value(arg) != form.when[key]:
            return None
        given[key] = const_value(arg)
    return form if given.keys() == form.when.keys() else None


def _tupled(value: Any) -> Any:
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value


def function_call(form: FunctionalLayer, framework: str, arg: SSAValue,
                  loc: Any) -> tuple[list[Operation], SSAValue] | None:
    """Ops computing ``form`` applied to the layer call's argument ``arg``, and the result;
    None when a list input is not a list display."""
    props = {"framework": StringAttr(framework), "api": StringAttr(form.api or ""),
             **({"loc": loc} if loc is not None else {})}
    ops: list[Operation] = []
    if form.inputs == "list":
        items = arg.owner
        if not isinstance(items, pysrc.TupleOp) or items.kind.data not in ("list", "tuple") or not items.elts:
            return None
        acc = items.elts[0]
        for nxt in items.elts[1:]:
            if form.operator is not None:
                step: Operation = pysrc.BinOp.create(operands=[acc, nxt], result_types=[_TENSOR],
                                                     properties={"operator": StringAttr(form.operator)})
            else:
                step = fw.CallOp.create(operands=[acc, nxt], result_types=[_TENSOR],
                                        properties={**props, "arg_names": ArrayAttr([StringAttr("")] * 2)})
            ops.append(step)
            acc = step.results[0]
        return ops, acc
    if form.api is None:
        return None
    operands, names = [arg], [""]
    for key, value in form.args.items():
        built = make_const(_tupled(value))
        ops += built
        operands.append(built[-1].results[0])
        names.append(key)
    call = fw.CallOp.create(operands=operands, result_types=[_TENSOR],
                            properties={**props, "arg_names": ArrayAttr([StringAttr(n) for n in names])})
    return [*ops, call], call.result
