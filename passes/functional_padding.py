"""Framework helpers and input-dependent padding in a lifted functional model.

``keras.applications`` pads before a strided convolution by an amount computed from the
input's size: ``layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3))(x)``. A
module class builds its layers before it sees a tensor, so such a padding is applied in
the forward method, as the pad function with numpy's ``pad_width``
(``functional_model.padding_layers``)::

    (top, bottom), (left, right) = correct_pad(x, 3)
    x = keras.ops.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))

and the framework's helper is replaced by a copy written without the framework
(``functional_model.helper_functions``, from ``passes/scaffolds``), so that the output
does not import the source framework for it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.odl import FunctionalModelTraits
from switcheroo.passes import scaffolds
from switcheroo.passes.functional_channels import deps_within, recipe_of
from switcheroo.passes.fw_common import const_value
from xdsl.dialects import builtin
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

if TYPE_CHECKING:
    from switcheroo.passes.lift_functional_model import _Lifter

_OBJ = pysrc.ObjectType()
_TENSOR = pysrc.TensorType()


def _helper_def(file_name: str, name: str, framework: str) -> list[Operation]:
    """The statements defining function ``name`` of ``passes/scaffolds/<file_name>``."""
    from switcheroo.frontends.python.lower import lower_python

    found = scaffolds.file_classes(file_name).get(name)
    if found is None:
        return []
    parsed = lower_python(found.template, f"<{name}>", framework, own_scaffolds=False)
    top = next(o for o in parsed.body.block.ops if isinstance(o, pysrc.ModuleOp))
    ops = [o for o in top.body.block.ops if not isinstance(o, pysrc.OpaqueStmtOp)]
    for op in ops:
        op.detach()
        for inner in op.walk():
            inner.properties.pop("loc", None)
        if isinstance(op, pysrc._Statement):
            op.leading = StringAttr(json.dumps(["", ""]))
    return ops


def insert_helpers(module: builtin.ModuleOp, traits: FunctionalModelTraits, framework: str) -> None:
    """Calls of the framework helpers the traits name call a copy defined in the module."""
    top = next((o for o in module.body.block.ops if isinstance(o, pysrc.ModuleOp)), None)
    if top is None:
        return
    defined = {o.sym_name.data for o in top.body.block.ops if isinstance(o, (pysrc.FuncOp, pysrc.ClassOp))}
    added: list[str] = []
    for call in [o for o in top.walk() if isinstance(o, fw.CallOp) and o.api.data in traits.helper_functions]:
        name = call.api.data.rsplit(".", 1)[-1]
        if name in defined and name not in added:
            continue  # the module has a function of that name: the call stays, marked
        if name not in added:
            ops = _helper_def(traits.helper_functions[call.api.data], name, framework)
            if not ops:
                continue
            anchor = next(o for o in top.body.block.ops if isinstance(o, (pysrc.FuncOp, pysrc.ClassOp)))
            top.body.block.insert_ops_before(ops, anchor)
            added.append(name)
        ref = pysrc.NameOp.create(properties={"id": StringAttr(name)}, result_types=[_OBJ])
        local = pysrc.CallOp.create(operands=[ref.result, *call.args], properties={"arg_names": call.arg_names},
                                    result_types=[call.result.type])
        block = call.parent_block()
        assert block is not None
        block.insert_ops_before([ref, local], call)
        call.result.replace_all_uses_with(local.result)
        call.detach()
        call.erase()


def _name(name: str) -> pysrc.NameOp:
    return pysrc.NameOp.create(properties={"id": StringAttr(name)}, result_types=[_OBJ])


def _tuple(items: list[SSAValue]) -> pysrc.TupleOp:
    return pysrc.TupleOp.create(operands=items, properties={"kind": StringAttr("tuple")}, result_types=[_OBJ])


def split_runtime_padding(lifter: _Lifter, stmt: pysrc.AssignOp, call: pysrc.CallOp, ctor: fw.CallOp,
                          exprs: list[Operation]) -> tuple[list[Operation], list[Operation]] | None:
    """``x = ZeroPadding2D(padding=f(x))(x)`` -> the pad function in the forward method,
    when the layer's one argument (``name=`` aside) reads a tensor; None otherwise."""
    pad_api = lifter.traits.padding_layers.get(ctor.api.data)
    args = [a for a, n in zip(ctor.args, ctor.arg_names.data) if n.data != lifter.traits.name_arg]
    if pad_api is None or len(args) != 1 or len(call.args) != 1:
        return None
    pad_ops = deps_within(args[0], exprs)
    reads = {o.id.data for o in pad_ops if isinstance(o, pysrc.NameOp)}
    if not reads & lifter.tensors:
        return None
    ctor_ops = deps_within(ctor.result, exprs)
    rest = [o for o in exprs if o not in ctor_ops and o is not call]
    for o in (*exprs, stmt):
        o.detach()
    unpack = pysrc.AssignOp.create(operands=[args[0]], properties={"target": StringAttr("(top, bottom), (left, right)"),
                                                                   **({"loc": stmt.loc} if stmt.loc else {})})
    # numpy's pad_width for NHWC: nothing on the batch and channel axes.
    zeros = [pysrc.ConstOp.create(properties={"code": StringAttr("0")}, result_types=[_OBJ]) for _ in range(4)]
    sides = [_name(n) for n in ("top", "bottom", "left", "right")]
    pairs = [_tuple([zeros[0].result, zeros[1].result]), _tuple([sides[0].result, sides[1].result]),
             _tuple([sides[2].result, sides[3].result]), _tuple([zeros[2].result, zeros[3].result])]
    width = _tuple([p.result for p in pairs])
    pad = fw.CallOp.create(operands=[call.args[0], width.result], result_types=[_TENSOR],
                           properties={"framework": StringAttr(lifter.framework), "api": StringAttr(pad_api),
                                       "arg_names": pysrc.strs(["", ""]), **({"loc": ctor.loc} if ctor.loc else {})})
    assign = pysrc.AssignOp.create(operands=[pad.result], properties=dict(stmt.properties))
    for o in (stmt, call, *reversed([o for o in ctor_ops if o not in pad_ops])):
        o.erase(safe_erase=False)
    lifter.tensors.add(assign.target.data)
    return [], [*pad_ops, unpack, *rest, *zeros, *sides, *pairs, width, pad, assign]


def _pad_statements(lifter: _Lifter, source: str, target: str, amounts: SSAValue,
                    loc: dict) -> list[Operation]:
    """``(top, bottom), (left, right) = <amounts>`` and ``target = pad(source, ...)``."""
    unpack = pysrc.AssignOp.create(operands=[amounts], properties={"target": StringAttr("(top, bottom), (left, right)"),
                                                                   **loc})
    zeros = [pysrc.ConstOp.create(properties={"code": StringAttr("0")}, result_types=[_OBJ]) for _ in range(4)]
    sides = [_name(n) for n in ("top", "bottom", "left", "right")]
    pairs = [_tuple([zeros[0].result, zeros[1].result]), _tuple([sides[0].result, sides[1].result]),
             _tuple([sides[2].result, sides[3].result]), _tuple([zeros[2].result, zeros[3].result])]
    width = _tuple([p.result for p in pairs])
    read = pysrc.NameOp.create(properties={"id": StringAttr(source)}, result_types=[_TENSOR])
    pad_api = next(iter(lifter.traits.padding_layers.values()))
    pad = fw.CallOp.create(operands=[read.result, width.result], result_types=[_TENSOR],
                           properties={"framework": StringAttr(lifter.framework), "api": StringAttr(pad_api),
                                       "arg_names": pysrc.strs(["", ""]), **loc})
    assign = pysrc.AssignOp.create(operands=[pad.result], properties={"target": StringAttr(target)})
    return [unpack, *zeros, *sides, *pairs, width, read, pad, assign]


def same_padding_prelude(lifter: _Lifter, stmt: pysrc.AssignOp, call: pysrc.CallOp, ctor: fw.CallOp,
                         exprs: list[Operation]) -> tuple[list[Operation], int, list[Operation]] | None:
    """``x = Conv2D(..., strides=2, padding="same")(t)`` for a target that pads "same"
    only with stride 1: the statements padding ``t`` into ``x`` as Keras would (before
    the layer's call, which then reads ``x``), the index of the layer's padding argument
    and the ops of the ``"valid"`` that replaces it; None when not needed or not known."""
    params = lifter.traits.same_padding_layers.get(ctor.api.data)
    helper = lifter.traits.same_padding_helper
    if not lifter.pad_same_at_call or params is None or helper is None or not isinstance(
            source := call.args[0].owner if len(call.args) == 1 else None, pysrc.NameOp):
        return None
    names = [n.data for n in ctor.arg_names.data]

    def arg(name: str) -> int | None:
        if name in names:
            return names.index(name)
        pos = params.index(name) if name in params else len(names)
        return pos if pos < len(names) and names[pos] == "" else None

    at = arg("padding")
    padding = const_value(ctor.args[at]) if at is not None else None
    stride_at = arg("strides")
    stride = const_value(ctor.args[stride_at]) if stride_at is not None else 1
    if not isinstance(padding, str) or padding.lower() != "same" or stride in (1, (1, 1), [1, 1]):
        return None
    kernel_at, dilation_at = arg("kernel_size"), arg("dilation_rate")
    values = [recipe_of(ctor.args[i], exprs) if i is not None else None
              for i in (kernel_at, stride_at, *([dilation_at] if dilation_at is not None else []))]
    if any(v is None for v in values) or at is None:
        return None
    defs = _helper_def(helper, "same_padding", lifter.framework)
    top = lifter.module.body.block.first_op
    assert isinstance(top, pysrc.ModuleOp)
    if defs and not any(isinstance(o, pysrc.FuncOp) and o.sym_name.data == "same_padding" for o in top.body.block.ops):
        anchor = next(o for o in top.body.block.ops if isinstance(o, (pysrc.FuncOp, pysrc.ClassOp)))
        top.body.block.insert_ops_before(defs, anchor)
    ops: list[Operation] = [ref := _name("same_padding"), read := pysrc.NameOp.create(
        properties={"id": source.id}, result_types=[_TENSOR])]
    args = [read.result]
    for recipe in values:
        assert recipe is not None
        ops += list(recipe)
        args.append(recipe[-1].results[0])
    amounts = pysrc.CallOp.create(operands=[ref.result, *args], properties={"arg_names": pysrc.strs([""] * len(args))},
                                  result_types=[_OBJ])
    ops.append(amounts)
    loc = {"loc": stmt.loc} if stmt.loc else {}
    ops += _pad_statements(lifter, source.id.data, stmt.target.data, amounts.result, loc)
    valid = pysrc.ConstOp.create(properties={"code": StringAttr('"valid"')}, result_types=[_OBJ])
    return ops, at, [valid]
