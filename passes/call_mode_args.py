"""A layer call's per-call mode argument, where the target's layers follow the module's mode.

Keras passes the mode to each call of a mode-dependent layer (``self.drop(h,
training=training)``, ``inject_training_flag`` on its variant); a torch, Flax NNX or MLX
layer takes no such argument and follows ``model.train()`` / ``model.eval()``. So, where
the source's variant of the layer passes the flag and the target's does not, a call whose
flag is the method's own parameter of that name (the mode it was called in) drops it,
with a note; any other value (``training=True``: a mode fixed per call) cannot be said so
and the call is reported, its line marked. A target whose modules have no mode (no
``train_mode`` mapping: Keras, TensorFlow) keeps the argument.
"""

from __future__ import annotations

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from switcheroo.passes.function_rngs import _enclosing_func
from switcheroo.passes.fw_common import target_variant
from switcheroo.passes.untyped_methods import _statement, mark_line
from xdsl.dialects import builtin

_PLUGIN = "inject_training_flag"


def drop_mode_arguments(module: builtin.ModuleOp, source: str, target: str) -> None:
    """Drop (or report) the per-call mode arguments ``target``'s layers do not take."""
    onto = load_ontology()
    traits = onto.traits.get(source)
    flag = traits.training_flag if traits is not None else None
    train = onto.specs.get("train_mode")
    if not flag or train is None or target_variant(train, target) is None:
        return  # the target's modules have no mode: its layers take the flag per call too
    for apply in pysrc.ops_of(module, hub.ApplyOp):
        names = [n.data for n in apply.arg_names.data]
        if flag not in names:
            continue
        spec = onto.specs.get(apply.layer.data)
        src_variant = spec.variants.get(source) if spec is not None else None
        if src_variant is None or _PLUGIN not in src_variant.requires_plugin:
            continue
        at = names.index(flag)
        value = apply.args[at]
        func = _enclosing_func(apply)
        loc = statement_loc(apply)
        mirrors = isinstance(value.owner, pysrc.NameOp) and value.owner.id.data == flag and func is not None \
            and flag in [p.data for p in func.param_names.data]
        if not mirrors:
            api = src_variant.api
            add_diagnostic(module, loc, "warning", f"unmapped {api}: {flag}= fixed per call has no {target} "
                           f"equivalent (its layers follow the module's mode)")
            stmt = _statement(apply)
            if stmt is not None:
                mark_line(stmt, api)
            continue
        apply.operands = [v for i, v in enumerate(apply.operands) if i != at]
        apply.arg_names = pysrc.strs([n for i, n in enumerate(names) if i != at])
        add_diagnostic(module, loc, "note", f"{flag}= left out of the {apply.layer.data} call: {target} layers "
                       f"follow the module's mode (train() / eval())")
