"""Layout permutations around the hub functions a target computes in another layout.

A layer's ``layout_map`` is applied by ``convert-layouts`` to its ``hub.apply``; a function
variant may carry one too (``max_pool2d: {api: flax.nnx.max_pool, layout_map: {args:
{input: NCHW->NHWC}, return: NHWC->NCHW}}``): each standard argument it names is permuted
before the call and the result permuted back, so the converted function takes and returns
what the source's did (a ``compose`` spells its own transposes: the verifier reads it so). The permutations are ordinary ``hub.permute_dims`` ops, which
``convert-layouts`` then folds with their neighbours (``conv -> relu -> max_pool2d`` keeps
one pair). Every op is wrapped once: the ops are collected before any is rewritten. An op
whose lowering would refuse its arguments (``padding=1`` for a target that pads only
'valid') is left alone: it is kept as the source's call, which takes the source's layout.
"""

from __future__ import annotations

from collections.abc import Callable

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.passes.fw_common import target_variant
from switcheroo.passes.layer_plugins import PluginRefusal
from xdsl.dialects import builtin
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter


def _lowers(op: hub.HubOp, spec: OpSpec, variant: Variant, framework: str) -> bool:
    """Whether ``lower-hub-to-fw`` takes the op's arguments (a probe build, then dropped)."""
    from switcheroo.passes.layer_build import BuildRefusal
    from switcheroo.passes.lower_hub_to_fw import Unlowerable, build_call, check_dropped

    named = op.named_args()
    try:
        check_dropped(spec, variant, framework, named)
        build_call(spec, variant, framework, named, op)
    except (Unlowerable, PluginRefusal, BuildRefusal):
        return False
    return True


def wrap_function_layouts(module: builtin.ModuleOp, framework: str,
                          relayout: Callable[[SSAValue, str], list[Operation]]) -> None:
    """Permute the arguments and result of each hub function whose ``framework`` variant
    has a ``layout_map``; ``relayout(value, "NCHW->NHWC")`` builds one permutation."""
    for op in pysrc.ops_of(module, hub.HubOp):
        found = target_variant(op.spec, framework)
        lm = found[1].layout_map if found else None
        names = [n.data for n in op.arg_names.data]
        if lm is None or found[1].compose is not None or not any(n in lm.args for n in names) \
                or not _lowers(op, op.spec, found[1], found[0]):
            continue
        operands = list(op.args)
        for i, name in enumerate(names):
            if name in lm.args:
                moved = relayout(operands[i], lm.args[name])
                Rewriter.insert_op(moved, InsertPoint.before(op))
                operands[i] = moved[-1].results[0]
        op.operands = operands
        if lm.return_ and op.res:
            result = op.res[0]
            back = relayout(result, lm.return_)
            last = back[-1]
            result.replace_uses_with_if(last.results[0], lambda use, last=last: use.operation is not last)
            Rewriter.insert_op(back, InsertPoint.after(op))
