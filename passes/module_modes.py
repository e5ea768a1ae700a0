"""``model.eval()`` / ``model.train()`` / ``model.train(False)``: a module's mode switches.

The frontend keeps a method call on a plain value as Python (``pysrc.call`` of
``pysrc.attr``), so these are found here, at lowering time, and checked against the
``train_mode`` / ``eval_mode`` mappings of the source and the target:

- the receiver is known to be a module (a layer attribute, ``self`` in a module class, a
  name bound to a module class of the file, a parameter annotated as a module): the call is
  spelled as the target's method (``.train(False)`` as ``.eval()`` where the target's
  ``train`` takes no mode); a target without the method (Keras passes ``training=`` per
  call) keeps it, marked ``# swc: unmapped <api>`` and reported;
- the receiver is unknown (a parameter ``model``): left as it is, silently only where the
  target spells the same call the same way, otherwise with a warning.
"""

from __future__ import annotations

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from switcheroo.passes.fw_common import const_value, target_variant
from switcheroo.passes.scan_leftovers import _mark as mark_statement
from xdsl.dialects import builtin
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

TRAIN, EVAL = "train_mode", "eval_mode"
_MODULE_SPEC = "Module"


def _method(api: str) -> str:
    return api.rsplit(".", 1)[-1]


def _source_methods(source: str) -> dict[str, str]:
    """Source method name -> mode spec (torch: train -> train_mode, eval -> eval_mode)."""
    specs = load_ontology().specs
    out: dict[str, str] = {}
    for name in (TRAIN, EVAL):
        variant = specs[name].variants.get(source) if name in specs else None
        if variant is not None:
            out.setdefault(_method(variant.api), name)
    return out


def _module_classes(classes: list[pysrc.ClassOp]) -> set[str]:
    return {o.sym_name.data for o in classes if any(_is_module_base(b) for b in o.bases)}


def _is_module_base(v: SSAValue) -> bool:
    return isinstance(v.owner, hub.HubOp) and v.owner.SPEC_NAME == _MODULE_SPEC


def _enclosing(op: Operation, kind: type) -> Operation | None:
    cur = op.parent_op()
    while cur is not None and not isinstance(cur, kind):
        cur = cur.parent_op()
    return cur


def known_module(recv: SSAValue, classes: set[str]) -> bool:
    """Whether the receiver is a module by what the file says (see module docstring)."""
    if isinstance(recv.type, pysrc.LayerType):
        return True
    owner = recv.owner
    if not isinstance(owner, pysrc.NameOp):
        return False
    name = owner.id.data
    func = _enclosing(owner, pysrc.FuncOp)
    if func is None:
        return False
    if name == "self":
        cls = _enclosing(func, pysrc.ClassOp)
        return cls is not None and any(_is_module_base(b) for b in cls.bases)
    for param, pname in zip(func.params.data, func.param_names.data, strict=True):
        if pname.data == name and param.data.partition(":")[2].strip() == f"{{{{{_MODULE_SPEC}}}}}":
            return True
    for o in pysrc.ops_of(func, pysrc.AssignOp):
        if o.target.data == name:
            value = o.value.owner  # net = Net(): the first binding decides
            return isinstance(value, pysrc.CallOp) and isinstance(value.callee.owner, pysrc.NameOp) \
                and value.callee.owner.id.data in classes
    return False


def lower_modes(module: builtin.ModuleOp, source: str, framework: str) -> None:
    """Rewrite or flag every mode switch of a module (see module docstring)."""
    methods = _source_methods(source)
    if not methods or source == framework:
        return
    specs = load_ontology().specs
    found = pysrc.ops_of(module, (pysrc.ClassOp, pysrc.CallOp))  # one walk for both
    classes = _module_classes([o for o in found if type(o) is pysrc.ClassOp])
    for call in [o for o in found if type(o) is pysrc.CallOp]:
        attr = call.callee.owner
        if not isinstance(attr, pysrc.AttrOp) or attr.attr.data not in methods:
            continue
        spec_name = methods[attr.attr.data]
        names = [n.data for n in call.arg_names.data]
        if spec_name == TRAIN and call.args:
            mode = const_value(call.args[0]) if names[0] in ("", "mode") and len(names) == 1 else None
            if mode is not True and mode is not False:
                continue  # train(flag): not a literal mode, left alone
            spec_name = TRAIN if mode else EVAL
        elif call.args:
            continue
        src_api = specs[spec_name].variants[source].api
        found = target_variant(specs[spec_name], framework)
        loc = statement_loc(call)
        if not known_module(attr.obj, classes):
            if found is None or _method(found[1].api) != attr.attr.data or call.args:
                add_diagnostic(module, loc, "warning", f"{attr.attr.data}() on a value not known to be a module: "
                               f"{framework} {'spells ' + _method(found[1].api) + '()' if found else 'has no such method'}")
            continue
        if found is None:
            flag = load_ontology().traits[framework].training_flag
            how = f"pass {flag}= to each call instead" if flag else "its modules do inference only"
            add_diagnostic(module, loc, "warning", f"unmapped {src_api}: {framework} modules have no train/eval "
                           f"mode; {how}")
            mark_statement(call, src_api)
            continue
        attr.properties["attr"] = StringAttr(_method(found[1].api))
        if call.args:
            arg = call.args[0]
            call.operands = [call.callee]
            call.properties["arg_names"] = pysrc.strs([])
            if not arg.uses and arg.owner is not None and isinstance(arg.owner, Operation):
                arg.owner.parent_block().erase_op(arg.owner)

