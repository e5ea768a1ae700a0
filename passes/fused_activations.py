"""A layer's fused activation (Keras ``Dense(64, activation="relu")``) as its own call.

Only Keras fuses an activation into a layer's constructor; the hub's layers have none.
So, before raising, in a module class whose constructor builds ``self.X`` with a fused
activation the traits name (``functional_model.activations``) and whose methods only ever
call ``self.X(...)``, the argument goes and each call is wrapped in the activation's own
call, in the source's terms (``keras.ops.relu(self.X(h))``): the forward-model half of
``lift_functional_model``'s rewrite, for subclassed models. ``"linear"`` (or ``None``) is
no call at all. A weightless layer that is one function of its input
(``self.pool = layers.GlobalAveragePooling2D()``, ``functional_model.functional_layers``)
becomes that function at each call (``keras.ops.mean(h, axis=(1, 2))``) and the layer
goes. A layer used any other way (passed along, put in a list) or an activation the table
does not name is left as it is, and stays marked unmapped.
"""

from __future__ import annotations

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.functional_layers import function_call, functional_form
from switcheroo.passes.fw_common import chain, class_method, const_value, is_const
from switcheroo.passes.layer_features import _erase_statement
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation


def _is_self(op: Operation | None) -> bool:
    return type(op) is pysrc.NameOp and op.id.data == "self"


def unfuse_activations(module: Operation, source: str) -> None:
    """Move fused activations out of layer constructors (see the module docstring)."""
    onto = load_ontology()
    owner = next((f for f in chain(source, onto) if f in onto.traits and onto.traits[f].functional_model
                  and onto.traits[f].functional_model.activation_arg), None)
    if owner is None:
        return
    traits = onto.traits[owner].functional_model
    frameworks = set(chain(source, onto))
    for cls in pysrc.ops_of(module, pysrc.ClassOp):
        init = class_method(cls, "__init__")
        if init is None:
            continue
        assigns: dict[str, list[pysrc.AssignOp]] = {}
        for stmt in pysrc.ops_of(cls, pysrc.AssignOp):
            if stmt.target.data.startswith("self."):
                assigns.setdefault(stmt.target.data[5:], []).append(stmt)
        reads: dict[str, list[pysrc.AttrOp]] = {}
        for attr in pysrc.ops_of(cls, pysrc.AttrOp):
            if _is_self(attr.obj.owner):
                reads.setdefault(attr.attr.data, []).append(attr)
        for name, stmts in assigns.items():
            ctor = stmts[0].value.owner
            if len(stmts) != 1 or type(ctor) is not fw.CallOp or ctor.framework.data not in frameworks:
                continue
            if (form := functional_form(ctor, traits)) is not None:
                _as_function(stmts[0], form, owner, reads.get(name, []))
                continue
            names = [n.data for n in ctor.arg_names.data]
            if traits.activation_arg not in names:
                continue
            at = names.index(traits.activation_arg)
            arg = ctor.args[at]
            value = const_value(arg) if is_const(arg) else None
            key = "linear" if is_const(arg) and value is None else value
            if not isinstance(key, str) or key not in traits.activations:
                continue
            calls = []
            for attr in reads.get(name, []):
                uses = list(attr.result.uses)
                if not uses or any(type(u.operation) is not pysrc.CallOp or u.index != 0 for u in uses):
                    break
                calls += [u.operation for u in uses]
            else:
                api = traits.activations[key]
                ctor.operands = [v for i, v in enumerate(ctor.operands) if i != at]
                ctor.properties["arg_names"] = pysrc.strs([n for i, n in enumerate(names) if i != at])
                if not arg.uses and isinstance(arg.owner, Operation):
                    arg.owner.detach()
                    arg.owner.erase()
                if api:
                    for call in calls:
                        _wrap(call, owner, api)


def _as_function(stmt: pysrc.AssignOp, form, framework: str, reads: list[pysrc.AttrOp]) -> None:
    """A weightless layer (``self.pool = layers.GlobalAveragePooling2D()``) whose every use
    is a call on one input: each call becomes the function (``keras.ops.mean(h, axis=(1,
    2))``) and the layer goes, as the functional lift writes it."""
    calls = []
    for attr in reads:
        uses = list(attr.result.uses)
        if not uses or any(type(u.operation) is not pysrc.CallOp or u.index != 0 or len(u.operation.args) != 1
                           or any(n.data for n in u.operation.arg_names.data) for u in uses):
            return
        calls += [u.operation for u in uses]
    built = [function_call(form, framework, call.args[0], None) for call in calls]
    if not calls or any(b is None for b in built):
        return
    for call, (ops, value) in zip(calls, built, strict=True):
        block = call.parent_block()
        assert block is not None
        block.insert_ops_before(ops, call)
        call.result.replace_all_uses_with(value)
        _erase_statement(call)
    _erase_statement(stmt)


def _wrap(call: pysrc.CallOp, framework: str, api: str) -> None:
    """``call`` -> ``api(call)``, its uses reading the activation's result."""
    uses = list(call.result.uses)  # before the activation reads it too
    act = fw.CallOp.create(
        operands=[call.result],
        properties={"framework": StringAttr(framework), "api": StringAttr(api), "arg_names": pysrc.strs([""])},
        result_types=[pysrc.TensorType()])
    block = call.parent_block()
    assert block is not None
    block.insert_op_after(act, call)
    for use in uses:
        use.operation.operands[use.index] = act.result
