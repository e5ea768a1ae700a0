"""``expand-loss-reduction{framework=T}``: a loss whose target API returns per-example
values gets the reduction the source asked for as its own op.

``torch.nn.functional.cross_entropy(x, y)`` means the mean over the batch; optax's
``softmax_cross_entropy_with_integer_labels`` returns one loss per example. Where the
target's variant declares ``defaults: {reduction: none}`` and the ``reduce_loss`` plugin,
``hub.cross_entropy(x, y, reduction=mean)`` becomes
``hub.mean(hub.cross_entropy(x, y, reduction=none))``, and lowering drops the
``reduction`` the target lacks because it now holds the target's own behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects import hub
from switcheroo.ontology.odl import OpSpec
from switcheroo.passes.fw_common import _NO_VALUE, RootWalker, const_value, make_const, spec_filter, target_variant
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)

# Reduction names of the loss specs -> the hub spec computing them over all elements.
REDUCERS = {"mean": "mean", "sum": "sum"}


@dataclass
class ExpandReduction(RewritePattern):
    framework: str

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: hub.HubOp, rewriter: PatternRewriter) -> None:
        spec = op.spec
        arg = spec.arg("reduction")
        found = target_variant(spec, self.framework)
        if arg is None or found is None or "reduce_loss" not in found[1].requires_plugin:
            return
        target_default = found[1].defaults.get("reduction")
        named = op.named_args()
        given = const_value(named["reduction"][0]) if "reduction" in named else arg.default
        if given is _NO_VALUE or given == target_default or given not in REDUCERS:
            return  # already the target's behaviour, or not a literal we can expand
        # The loss, asked for the target's own reduction ...
        none = make_const(target_default)
        names = [n.data for n in op.arg_names.data]
        operands = list(op.args)
        if "reduction" in names:
            operands[names.index("reduction")] = none[-1].results[0]
        else:
            names.append("reduction")
            operands.append(none[-1].results[0])
            rank = {n: i for i, n in enumerate(spec.arg_names)}
            order = sorted(range(len(names)), key=lambda i: rank[names[i]])
            names, operands = [names[i] for i in order], [operands[i] for i in order]
        loss = type(op).create(
            operands=operands,
            properties={**op.properties, "arg_names": ArrayAttr([StringAttr(n) for n in names])},
            result_types=[r.type for r in op.res],
        )
        # ... then reduced as the source's reduction says.
        reduce = hub.op_for(REDUCERS[given]).create(
            operands=[loss.res[0]],
            properties={"arg_names": ArrayAttr([StringAttr("x")]),
                        **({"loc": op.loc} if op.loc is not None else {})},
            result_types=[r.type for r in op.res],
        )
        rewriter.replace(op, [*none, loss, reduce], [reduce.res[0]])


@dataclass
class FoldReduction(RewritePattern):
    """The inverse: ``hub.mean(hub.cross_entropy(x, y, reduction=none))`` ->
    ``hub.cross_entropy(x, y)`` where the target's loss takes the reduction itself
    (torch's ``F.cross_entropy(logits, y)`` means the mean)."""

    framework: str

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: hub.HubOp, rewriter: PatternRewriter) -> None:
        reducer = {v: k for k, v in REDUCERS.items()}.get(op.SPEC_NAME)
        if reducer is None or list(op.named_args()) != ["x"]:
            return  # not a reduction over all elements
        loss = op.args[0].owner
        if not isinstance(loss, hub.HubOp) or len(list(op.args[0].uses)) != 1:
            return
        arg = loss.spec.arg("reduction")
        found = target_variant(loss.spec, self.framework)
        named = loss.named_args()
        if arg is None or found is None or "reduce_loss" in found[1].requires_plugin \
                or "reduction" in found[1].drop_args or "reduction" not in named \
                or const_value(named["reduction"][0]) != "none":
            return
        names = [n.data for n in loss.arg_names.data]
        at = names.index("reduction")
        operands, new_ops = list(loss.args), []
        if reducer == arg.default:  # the spec's default, written or left out as the target does
            del operands[at], names[at]
        else:
            new_ops = make_const(reducer)
            operands[at] = new_ops[-1].results[0]
        folded = type(loss).create(
            operands=operands,
            properties={**loss.properties, "arg_names": ArrayAttr([StringAttr(n) for n in names])},
            result_types=[r.type for r in op.res])
        none = named["reduction"][0].owner
        rewriter.replace(op, [*new_ops, folded], [folded.res[0]])
        rewriter.erase_op(loss)
        if not any(r.uses for r in none.results):  # the 'none' literal
            rewriter.erase_op(none)


@dataclass(frozen=True)
class ExpandLossReduction(ModulePass):
    """Make a loss's reduction explicit where the target computes per-example losses."""

    name = "expand-loss-reduction"
    framework: str = "jax"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        # Each walker visits only the ops of the specs its pattern looks at.
        reducers = spec_filter(lambda s: s.operation in REDUCERS.values())
        RootWalker(FoldReduction(self.framework), apply_recursively=False, root=hub.HubOp,
                   accept=reducers).rewrite_module(op)
        RootWalker(ExpandReduction(self.framework), apply_recursively=False, root=hub.HubOp,
                   accept=spec_filter(self._reduces_loss)).rewrite_module(op)

    def _reduces_loss(self, spec: OpSpec) -> bool:
        """Whether ``ExpandReduction`` looks at ops of ``spec`` (its first test)."""
        found = target_variant(spec, self.framework)
        return spec.arg("reduction") is not None and found is not None \
            and "reduce_loss" in found[1].requires_plugin
