"""``raise-train-step{source=S framework=T}``: a step written in S's style -> the hub's.

The hub spells one optimisation step the imperative way (``zero_grad``, the loss,
``backward``, an optional ``hub.clip_grad_norm``, ``step``) and binds the optimizer to the
parameters it updates when it is built (``hub.Adam(params=model.parameters(), ...)``).
``bind-optimizer`` and ``rewrite-train-step`` take that form to any target; this pass
brings a source step to it, as S's training traits say.

``grad_closure`` (optax / flax nnx)::

    def loss_fn(model):
        <statements computing loss>
        return loss
    loss, grads = nnx.value_and_grad(loss_fn)(model)
    grads, _ = optax.clip_by_global_norm(max_norm).update(grads, optax.EmptyState())  # optional
    optimizer.update(model, grads)

with ``nnx.Optimizer(model, tx, wrt=nnx.Param)`` binding ``tx`` to ``model``.

``gradient_tape`` (TensorFlow / Keras)::

    with tf.GradientTape() as tape:
        <statements computing loss>
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, max_norm)  # optional
    optimizer.apply_gradients(zip(grads, model.trainable_variables))

whose optimizer takes the variables at each update: an optimizer built where a name of a
stepped model is in scope (``def make_optimizer(model)``) is bound to that model's
parameters. A step that does not fit wholly stays as written (its APIs marked by
``raise-fw-to-hub``), so nothing is half converted.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import TrainingTraits
from switcheroo.passes.rewrite_train_step import Builder, _groups, _name, _names_read
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass


def _fw_call(v: SSAValue | None, api: str | None) -> fw.CallOp | None:
    op = v.owner if v is not None else None
    return op if api and isinstance(op, fw.CallOp) and op.api.data == api else None


def _method(v: SSAValue, method: str) -> tuple[SSAValue, list[SSAValue]] | None:
    """``X.method(args)`` -> (X, args)."""
    call = v.owner
    if isinstance(call, pysrc.CallOp) and isinstance(call.callee.owner, pysrc.AttrOp) \
            and call.callee.owner.attr.data == method:
        return call.callee.owner.obj, list(call.args)
    return None


def _targets(stmt: Operation) -> list[str]:
    if not isinstance(stmt, pysrc.AssignOp):
        return []
    return [t.strip() for t in stmt.target.data.strip("()").split(",")]


def _variables(v: SSAValue, attr: str) -> str | None:
    """``model.<attr>`` -> ``model``."""
    op = v.owner
    return _name(op.obj) if isinstance(op, pysrc.AttrOp) and op.attr.data == attr else None


@dataclass
class Found:
    """One source step: the statements it spans and what the hub's step needs."""

    first: int
    last: int
    body: Block
    loss: str
    model: str
    optimizer: str
    max_norm: SSAValue | None
    gone: set[str]


@dataclass
class StepRaiser:
    training: TrainingTraits

    def closure(self, stmts: list[Operation], i: int) -> Found | None:
        t = self.training
        fn = stmts[i]
        if not isinstance(fn, pysrc.FuncOp) or len(fn.params.data) != 1 or i + 2 >= len(stmts):
            return None
        ret = list(fn.body.block.ops)[-1]
        loss = _name(ret.operands[0]) if isinstance(ret, pysrc.ReturnOp) and len(ret.operands) == 1 else None
        grad_call = stmts[i + 1]
        names = _targets(grad_call)
        if loss is None or len(names) != 2 or names[0] != loss:
            return None
        outer = grad_call.value.owner
        grad = _fw_call(outer.callee, t.grad) if isinstance(outer, pysrc.CallOp) else None
        if grad is None or len(grad.args) != 1 or _name(grad.args[0]) != fn.sym_name.data \
                or len(outer.args) != 1 or _name(outer.args[0]) != fn.params.data[0].data:
            return None  # has_aux, argnums, or a closure over another name: kept as written
        model, grads, k, max_norm = _name(outer.args[0]), names[1], i + 2, None
        clip = _method(stmts[k].value, "update") if isinstance(stmts[k], pysrc.AssignOp) else None
        if clip is not None and _targets(stmts[k]) == [grads, "_"]:
            factory = _fw_call(clip[0], t.clip_transform)
            args = clip[1]
            if factory is None or len(factory.args) != 1 or len(args) != 2 or _name(args[0]) != grads \
                    or _fw_call(args[1], t.empty_state) is None:
                return None
            max_norm, k = factory.args[0], k + 1
        upd = _method(stmts[k].value, t.update) if k < len(stmts) and isinstance(stmts[k], pysrc.ExprStmtOp) else None
        if upd is None or [_name(a) for a in upd[1]] != [model, grads] or _name(upd[0]) is None:
            return None
        return Found(i, k, fn.body.block, loss, model, _name(upd[0]), max_norm, {grads, fn.sym_name.data})

    def tape(self, stmts: list[Operation], i: int) -> Found | None:
        t = self.training
        var = t.variables or "trainable_variables"
        w = stmts[i]
        if not isinstance(w, pysrc.WithOp) or len(w.operands) != 1 or len(w.as_names.data) != 1 \
                or _fw_call(w.operands[0], t.grad) is None or i + 2 >= len(stmts):
            return None
        tape = w.as_names.data[0].data
        names = _targets(stmts[i + 1])
        got = _method(stmts[i + 1].value, "gradient") if len(names) == 1 else None
        if got is None or _name(got[0]) != tape or len(got[1]) != 2:
            return None
        loss, model, grads = _name(got[1][0]), _variables(got[1][1], var), names[0]
        if loss is None or model is None:
            return None
        k, max_norm = i + 2, None
        clip = _fw_call(stmts[k].value, t.clip_global_norm) if isinstance(stmts[k], pysrc.AssignOp) else None
        if clip is not None:
            if _targets(stmts[k]) != [grads, "_"] or len(clip.args) != 2 or _name(clip.args[0]) != grads:
                return None
            max_norm, k = clip.args[1], k + 1
        upd = _method(stmts[k].value, t.update) if k < len(stmts) and isinstance(stmts[k], pysrc.ExprStmtOp) else None
        if upd is None or len(upd[1]) != 1 or _name(upd[0]) is None:
            return None
        pairs = upd[1][0].owner
        if not (isinstance(pairs, pysrc.CallOp) and _name(pairs.callee) == "zip" and len(pairs.args) == 2
                and _name(pairs.args[0]) == grads and _variables(pairs.args[1], var) == model):
            return None
        return Found(i, k, w.body.block, loss, model, _name(upd[0]), max_norm, {grads, tape})

    def run(self, block: Block, models: set[str]) -> None:
        find = self.closure if self.training.style == "grad_closure" else self.tape
        i = 0
        while True:
            groups = _groups(block)
            stmts = [g[-1] for g in groups]
            if i >= len(stmts):
                return
            found = find(stmts, i)
            # The gradients, the tape and the closure go: nothing later may read them.
            if found is None or _names_read(groups[found.last + 1:]) & found.gone:
                i += 1
                continue
            self.rewrite(block, groups, found)
            models.add(found.model)
            i = found.first + 1

    def rewrite(self, block: Block, groups: list[list[Operation]], st: Found) -> None:
        b = Builder("hub")
        anchor = groups[st.first][-1]
        b.expr(b.call(b.attr(b.name(st.optimizer), "zero_grad")))
        ret = [op for op in st.body.ops if isinstance(op, pysrc.ReturnOp)]
        for op in ret:  # the closure's ``return loss`` and its operand go
            operand = op.operands[0].owner if op.operands else None
            op.detach()
            op.erase()
            if operand is not None and not operand.results[0].uses:
                operand.detach()
                operand.erase()
        for op in list(st.body.ops):
            op.detach()
            b.ops.append(op)
        b.expr(b.call(b.attr(b.name(st.loss), "backward")))
        if st.max_norm is not None:
            norm = b.add(st.max_norm.owner.clone())
            params = b.call(b.attr(b.name(st.model), "parameters"))
            b.add(hub.op_for("clip_grad_norm").create(
                operands=[params, norm], properties={"arg_names": pysrc.strs(["params", "max_norm"])},
                result_types=[pysrc.ObjectType()]))
            b.expr(b.ops[-1].results[0])
        b.expr(b.call(b.attr(b.name(st.optimizer), "step")))
        stmts = [op for op in b.ops if isinstance(op, pysrc._Statement)]
        if anchor.leading is not None:
            stmts[0].properties["leading"] = anchor.leading
        for op in stmts:
            if op.loc is None and anchor.loc is not None:
                op.properties["loc"] = anchor.loc
        insert_at = groups[st.last + 1][0] if st.last + 1 < len(groups) else None
        for op in b.ops:
            if insert_at is not None:
                block.insert_op_before(op, insert_at)
            else:
                block.add_op(op)
        for g in reversed(groups[st.first:st.last + 1]):
            for op in reversed(g):
                op.detach()
                op.erase(safe_erase=False)


def _bind(opt: hub.HubOp, model: SSAValue | str, before: Operation) -> hub.HubOp:
    """``opt`` rebuilt with ``params=<model>.parameters()`` first, inserted before ``before``."""
    b = Builder("hub")
    target = b.name(model) if isinstance(model, str) else model
    params = b.call(b.attr(target, "parameters"))
    new = type(opt).create(
        operands=[params, *opt.args],
        properties={**opt.properties,
                    "arg_names": ArrayAttr([StringAttr("params"), *opt.arg_names.data])},
        result_types=[r.type for r in opt.res])
    for op in [*b.ops, new]:
        before.parent_block().insert_op_before(op, before)
    return new


def _is_optimizer(op: Operation) -> bool:
    return isinstance(op, hub.HubOp) and op.spec.kind.value == "optimizer"


def unwrap_optimizers(module: Operation, wrapper: str) -> None:
    """``nnx.Optimizer(model, tx, wrt=...)`` -> ``tx`` bound to ``model.parameters()``."""
    for call in [o for o in module.walk() if isinstance(o, fw.CallOp) and o.api.data == wrapper]:
        if len(call.args) < 2 or not _is_optimizer(call.args[1].owner) \
                or any(n.data not in ("", "wrt") for n in call.arg_names.data):
            continue
        model, tx = call.args[0], call.args[1].owner
        new = _bind(tx, model, call)
        call.results[0].replace_all_uses_with(new.results[0])
        dead = [o.owner for o in call.args]
        call.detach()
        call.erase()
        for op in [tx, *dead]:
            if isinstance(op, Operation) and op.parent is not None and not any(r.uses for r in op.results):
                op.detach()
                op.erase()


def bind_in_scope(module: Operation, models: set[str]) -> None:
    """An optimizer built without parameters inside a function taking a stepped model's name
    (``def make_optimizer(model)``) is bound to that model."""
    for op in [o for o in module.walk() if _is_optimizer(o) and "params" not in o.named_args()]:
        func = op.parent_op()
        while func is not None and not isinstance(func, pysrc.FuncOp):
            func = func.parent_op()
        names = [p.data for p in func.params.data] if func is not None else []
        hits = [n for n in names if n in models]
        if len(hits) != 1:
            continue
        new = _bind(op, hits[0], op)
        op.results[0].replace_all_uses_with(new.results[0])
        op.detach()
        op.erase()


@dataclass(frozen=True)
class RaiseTrainStep(ModulePass):
    """Bring a source's optimisation step to the hub's form (see module docstring)."""

    name = "raise-train-step"
    source: str = "jax"
    framework: str = "torch"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        training = load_ontology().traits[self.source].training
        if self.framework == self.source or training is None or training.style == "imperative":
            return  # nothing to raise, or the step is already written for the target
        if training.optimizer_wrapper:
            unwrap_optimizers(op, training.optimizer_wrapper)
        raiser, models = StepRaiser(training), set()
        blocks = [blk for o in op.walk() for r in o.regions for blk in r.blocks]
        for blk in blocks:
            if blk.parent is not None and any(isinstance(o, pysrc._Statement) for o in blk.ops):
                raiser.run(blk, models)
        if not training.optimizer_wrapper:
            bind_in_scope(op, models)
