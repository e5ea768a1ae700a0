"""``bind-optimizer{framework=T}``: where an optimizer meets the parameters it updates.

torch binds them at construction (``Adam(model.parameters(), lr=...)``). A target whose
optimizer is a pure gradient transformation (optax) binds them through an optimizer
state object named by its training traits (``nnx.Optimizer(model, optax.adam(...),
wrt=nnx.Param)``); a target whose optimizer takes the variables at each update
(``apply_gradients``) needs no binding at all. Either way the ``params`` argument leaves
the optimizer op, so lowering never has to drop a value it cannot express.

A torch LR scheduler reads its initial rate from the optimizer it wraps
(``StepLR(opt, step_size=...)``); an optax, Keras or MLX schedule takes it as an argument
(``optax.exponential_decay(init_value=...)``). Where the target keeps the schedule's
``base_lr``, it is bound to the wrapped optimizer's learning rate (its default when the
source leaves it out).
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.fw_common import OBJ, RootWalker, make_const, spec_filter, target_variant
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)


def module_of_parameters(v: SSAValue) -> SSAValue | None:
    """``X.parameters()`` -> ``X`` (the module whose parameters are meant)."""
    call = v.owner
    if isinstance(call, pysrc.CallOp) and not call.args and isinstance(call.callee.owner, pysrc.AttrOp) \
            and call.callee.owner.attr.data == "parameters":
        return call.callee.owner.obj
    return None


@dataclass
class BindOptimizer(RewritePattern):
    framework: str

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: hub.HubOp, rewriter: PatternRewriter) -> None:
        spec = op.spec
        named = op.named_args()
        if spec.kind.value != "optimizer" or "params" not in named:
            return
        found = target_variant(spec, self.framework)
        if found is None or "params" not in found[1].drop_args:
            return  # the target takes the parameters itself: lowering passes them on
        model = module_of_parameters(named["params"][0])
        if model is None:
            return  # not X.parameters(): lowering reports what it cannot drop
        training = load_ontology().traits[self.framework].training
        names = [n.data for n in op.arg_names.data]
        keep = [i for i, n in enumerate(names) if n != "params"]
        opt = type(op).create(
            operands=[op.args[i] for i in keep],
            properties={**op.properties, "arg_names": ArrayAttr([StringAttr(names[i]) for i in keep])},
            result_types=[r.type for r in op.res],
        )
        new_ops = [opt]
        if training is not None and training.optimizer_wrapper:
            # nnx.Optimizer(model, tx, wrt=nnx.Param): the state object the step updates.
            args, arg_names = [model, opt.res[0]], ["", ""]
            if training.optimizer_wrt:
                wrt = fw.RefOp.create(properties={"framework": StringAttr(self.framework),
                                                  "api": StringAttr(training.optimizer_wrt)},
                                      result_types=[OBJ])
                new_ops.append(wrt)
                args.append(wrt.results[0])
                arg_names.append("wrt")
            props = {"framework": StringAttr(self.framework), "api": StringAttr(training.optimizer_wrapper),
                     "arg_names": ArrayAttr([StringAttr(n) for n in arg_names])}
            if op.loc is not None:
                props["loc"] = op.loc
            new_ops.append(fw.CallOp.create(operands=args, properties=props, result_types=[OBJ]))
        rewriter.replace(op, new_ops, [new_ops[-1].results[0]])


def optimizer_op(v: SSAValue) -> hub.HubOp | None:
    """The hub optimizer ``v`` is: built right there, or the last one assigned to the name
    ``v`` reads earlier in the same block (``opt = SGD(...)`` ... ``StepLR(opt)``)."""
    owner = v.owner
    if isinstance(owner, pysrc.NameOp):
        cur = owner.prev_op
        while cur is not None and not (isinstance(cur, pysrc.AssignOp) and cur.target.data == owner.id.data):
            cur = cur.prev_op
        owner = cur.value.owner if cur is not None else None
    if isinstance(owner, hub.HubOp) and owner.spec.kind.value == "optimizer":
        return owner
    return None


@dataclass
class BindScheduleRate(RewritePattern):
    """``StepLR(opt, ...)`` -> ``StepLR(..., base_lr=<opt's learning rate>)`` where the
    target's schedule takes the initial rate itself (and so not the optimizer)."""

    framework: str

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: hub.HubOp, rewriter: PatternRewriter) -> None:
        spec = op.spec
        named = op.named_args()
        if spec.kind.value != "schedule" or spec.arg("base_lr") is None or "base_lr" in named \
                or "optimizer" not in named:
            return
        found = target_variant(spec, self.framework)
        if found is None or "base_lr" in found[1].drop_args:
            return  # the target reads it from the optimizer (torch)
        opt = optimizer_op(named["optimizer"][0])
        if opt is None:
            return  # not an optimizer built here: lowering keeps the call, marked
        new_ops: list = []
        rate = opt.named_args().get("learning_rate")
        if rate is not None:
            value = rate[0]
        elif (default := opt.spec.arg("learning_rate")) is not None and default.has_default:
            new_ops = make_const(default.default)
            value = new_ops[-1].results[0]
        else:
            return
        names = [n.data for n in op.arg_names.data]
        keep = [i for i, n in enumerate(names) if n != "optimizer"]
        sched = type(op).create(
            operands=[*(op.args[i] for i in keep), value],
            properties={**op.properties,
                        "arg_names": ArrayAttr([StringAttr(n) for n in [*(names[i] for i in keep), "base_lr"]])},
            result_types=[r.type for r in op.res],
        )
        rewriter.replace(op, [*new_ops, sched], [sched.res[0]])


@dataclass(frozen=True)
class BindOptimizerPass(ModulePass):
    """Move the optimizer's parameter binding to where the target does it."""

    name = "bind-optimizer"
    framework: str = "jax"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        # Schedules first: they read the rate off the optimizer op before it is rebound.
        # Each walker visits only the ops of the specs its pattern looks at.
        schedules = spec_filter(lambda s: s.kind.value == "schedule" and s.arg("base_lr") is not None)
        RootWalker(BindScheduleRate(self.framework), apply_recursively=False, root=hub.HubOp,
                   accept=schedules).rewrite_module(op)
        RootWalker(BindOptimizer(self.framework), apply_recursively=False, root=hub.HubOp,
                   accept=spec_filter(lambda s: s.kind.value == "optimizer")).rewrite_module(op)
