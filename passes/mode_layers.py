"""Mode-dependent functional calls the target cannot spell become layers of the module.

``F.dropout(x, p=self.drop_rate, training=self.training)`` in a module's method drops
only while the module trains. A target with no functional dropout that follows the
module's mode (Flax NNX: dropout is the ``nnx.Dropout`` layer, which draws its key from
the ``rngs`` it was built with and is switched by ``model.eval()``) needs the layer form.
So, before raising, such a call becomes a layer member, in the source framework's own
terms (valid source code too):

- ``self.dropout = nn.Dropout(p=self.drop_rate)`` is appended to ``__init__`` (the rate
  expression re-read there: it may only read ``self`` attributes and literals);
- the call becomes ``self.dropout(x)``, which follows ``model.train()``/``model.eval()``
  as the functional call followed ``self.training``.

Only a call whose mode argument is the module's own training flag is rewritten: a call
that always drops (no ``training=``) or never does keeps its meaning only as it is.
What maps to what is data: the functional spec and its layer spec (``FUNCTION_LAYERS``),
the argument names from the source's ontology variants, the flag from its traits.
"""

from __future__ import annotations

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.fw_common import target_variant
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

# functional spec -> (layer spec, the std arg both share: the rate)
FUNCTION_LAYERS = {"dropout": ("Dropout", "rate")}


def _is_self(v: SSAValue) -> bool:
    return isinstance(v.owner, pysrc.NameOp) and v.owner.id.data == "self"


def _flag_read(v: SSAValue, flag: str) -> bool:
    """``self.<flag>``."""
    op = v.owner
    return isinstance(op, pysrc.AttrOp) and op.attr.data == flag and _is_self(op.obj)


def _portable(v: SSAValue) -> bool:
    """An expression of literals and ``self`` attributes, so it reads the same at the end
    of ``__init__``."""
    op = v.owner
    if isinstance(op, pysrc.ConstOp) or (isinstance(op, pysrc.AttrOp) and _is_self(op.obj)):
        return True
    if isinstance(op, pysrc.BinOp | pysrc.UnaryOp) and not op.regions:
        return all(_portable(o) for o in op.operands)
    return False


def _clone(v: SSAValue, into: list[Operation]) -> SSAValue:
    """A copy of the ops computing ``v`` (operands first), appended to ``into``."""
    op = v.owner
    assert isinstance(op, Operation)
    operands = [_clone(o, into) for o in op.operands]
    new = op.clone()
    new.operands = operands
    into.append(new)
    return new.results[list(op.results).index(v)]


def _free_attr(cls: pysrc.ClassOp, base: str) -> str:
    taken = {o.target.data for o in pysrc.ops_of(cls, pysrc.AssignOp)}
    taken |= {o.attr.data for o in pysrc.ops_of(cls, pysrc.AttrOp)}
    name, n = base, 1
    while f"self.{name}" in taken or name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def hoist_mode_layers(module: Operation, source: str, target: str) -> None:
    """Rewrite each mode-following functional call (see the module docstring)."""
    onto = load_ontology()
    traits = onto.traits.get(source)
    flag = traits.training_flag if traits else None
    if flag is None:
        return
    for fn_spec, (layer_spec, rate) in FUNCTION_LAYERS.items():
        fn_var = onto.specs[fn_spec].variants.get(source) if fn_spec in onto.specs else None
        layer_var = onto.specs[layer_spec].variants.get(source) if layer_spec in onto.specs else None
        if fn_var is None or layer_var is None or fn_var.api is None or layer_var.api is None:
            continue
        if target_variant(onto.specs[fn_spec], target) is not None \
                or target_variant(onto.specs[layer_spec], target) is None:
            continue  # the target spells the functional form itself, or not the layer either
        rate_arg = layer_var.args.get(rate, rate)
        for call in [o for o in pysrc.ops_of(module, fw.CallOp) if o.api.data == fn_var.api]:
            _hoist(call, layer_var.api, rate_arg, flag, layer_spec.lower())


def _hoist(call: fw.CallOp, layer_api: str, rate_arg: str, flag: str, member: str) -> None:
    names = [n.data for n in call.arg_names.data]
    if not names or names[0] != "" or any(n not in ("", rate_arg, flag) for n in names[1:]):
        return  # inplace=, *args: not the plain form
    order = ["x", rate_arg, flag]  # the functional's positional order (positionals come first)
    args = {n or order[i]: a for i, (n, a) in enumerate(zip(names, call.args, strict=True))}
    if flag not in args or not _flag_read(args[flag], flag):
        return
    rate_value = args.get(rate_arg)
    if rate_value is not None and not _portable(rate_value):
        return
    cls = call.parent_op()
    while cls is not None and not isinstance(cls, pysrc.ClassOp):
        cls = cls.parent_op()
    init = next((f for f in cls.body.block.ops if isinstance(f, pysrc.FuncOp) and f.sym_name.data == "__init__"),
                None) if cls is not None else None
    if init is None or init.is_ancestor(call):
        return
    attr = _free_attr(cls, member)
    # __init__: self.<attr> = <layer>(<rate>=<rate re-read>)
    built: list[Operation] = []
    layer_args = [_clone(rate_value, built)] if rate_value is not None else []
    props = {"framework": call.framework, "api": StringAttr(layer_api),
             "arg_names": pysrc.strs([rate_arg] if layer_args else [])}
    if call.loc is not None:
        props["loc"] = call.loc
    layer = fw.CallOp.create(operands=layer_args, properties=props, result_types=[pysrc.LayerType()])
    assign_props = {"target": StringAttr(f"self.{attr}")}
    if call.loc is not None:
        assign_props["loc"] = call.loc
    assign = pysrc.AssignOp.create(operands=[layer.results[0]], properties=assign_props)
    init.body.block.add_ops([*built, layer, assign])
    # the call: self.<attr>(x)
    me = pysrc.NameOp.create(properties={"id": StringAttr("self")}, result_types=[pysrc.ObjectType()])
    layer_ref = pysrc.AttrOp.create(operands=[me.results[0]], properties={"attr": StringAttr(attr)},
                                 result_types=[pysrc.LayerType()])
    applied = pysrc.CallOp.create(operands=[layer_ref.results[0], args["x"]],
                                  properties={"arg_names": pysrc.strs([""])}, result_types=[pysrc.TensorType()])
    block = call.parent_block()
    assert block is not None
    block.insert_ops_before([me, layer_ref, applied], call)
    call.results[0].replace_all_uses_with(applied.results[0])
    dead = [o.owner for o in call.args if isinstance(o.owner, Operation)]
    call.detach()
    call.erase()
    _erase_unused(dead)


def _erase_unused(ops: list[Operation]) -> None:
    for op in ops:
        if all(not r.uses for r in op.results) and op.parent is not None:
            producers = [o.owner for o in op.operands if isinstance(o.owner, Operation)]
            op.detach()
            op.erase()
            _erase_unused(producers)
