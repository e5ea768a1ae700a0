"""``rewrite-train-step{framework=T}``: an imperative optimisation step -> the target's.

The source pattern, found in any statement block::

    optimizer.zero_grad()                  # optional
    <statements computing loss>
    loss.backward()
    clip_grad_norm_(params, max_norm)      # optional (hub.clip_grad_norm)
    optimizer.step()

becomes, as the target's training traits say (``grad_closure``)::

    def loss_fn(model):
        <statements computing loss>
        return loss
    loss, grads = nnx.value_and_grad(loss_fn)(model)
    grads, _ = optax.clip_by_global_norm(max_norm).update(grads, optax.EmptyState())
    optimizer.update(model, grads)

or (``gradient_tape``)::

    with tf.GradientTape() as tape:
        <statements computing loss>
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, max_norm)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))

The model is the callee of the first plain call in the loss statements whose name is not
assigned there. A target without training traits keeps ``loss.backward()``, marked
unmapped, so the gap is reported rather than silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import TrainingTraits
from switcheroo.passes.fw_common import OBJ, const_value, values_equal
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass


class Builder:
    """Appends expression and statement ops to a list, returning SSA values."""

    def __init__(self, framework: str):
        self.framework = framework
        self.ops: list[Operation] = []

    def add(self, op: Operation) -> SSAValue:
        self.ops.append(op)
        return op.results[0] if op.results else None

    def name(self, n: str) -> SSAValue:
        return self.add(pysrc.NameOp.create(properties={"id": StringAttr(n)}, result_types=[OBJ]))

    def attr(self, obj: SSAValue, a: str) -> SSAValue:
        return self.add(pysrc.AttrOp.create(operands=[obj], properties={"attr": StringAttr(a)}, result_types=[OBJ]))

    def call(self, callee: SSAValue, *args: SSAValue, names: list[str] | None = None) -> SSAValue:
        return self.add(pysrc.CallOp.create(operands=[callee, *args],
                                            properties={"arg_names": pysrc.strs(names or [""] * len(args))},
                                            result_types=[OBJ]))

    def api(self, api: str, *args: SSAValue, names: list[str] | None = None) -> SSAValue:
        return self.add(fw.CallOp.create(operands=list(args), properties={
            "framework": StringAttr(self.framework), "api": StringAttr(api),
            "arg_names": pysrc.strs(names or [""] * len(args))}, result_types=[OBJ]))

    def ref(self, api: str) -> SSAValue:
        return self.add(fw.RefOp.create(properties={"framework": StringAttr(self.framework),
                                                    "api": StringAttr(api)}, result_types=[OBJ]))

    def assign(self, target: str, value: SSAValue) -> None:
        self.add(pysrc.AssignOp.create(operands=[value], properties={"target": StringAttr(target)}))

    def expr(self, value: SSAValue) -> None:
        self.add(pysrc.ExprStmtOp.create(operands=[value]))


def _method_call(stmt: Operation, method: str) -> SSAValue | None:
    """``X.method()`` as an expression statement -> ``X``."""
    if not isinstance(stmt, pysrc.ExprStmtOp):
        return None
    call = stmt.value.owner
    if isinstance(call, pysrc.CallOp) and not call.args and isinstance(call.callee.owner, pysrc.AttrOp) \
            and call.callee.owner.attr.data == method:
        return call.callee.owner.obj
    if isinstance(call, fw.CallOp) and call.method is not None and call.method.data == method \
            and len(call.args) == 1:
        return call.args[0]
    return None


def _name(v: SSAValue | None) -> str | None:
    return v.owner.id.data if v is not None and isinstance(v.owner, pysrc.NameOp) else None


def _groups(block: Block) -> list[list[Operation]]:
    """The block's ops split per statement: expression ops, then their statement."""
    out: list[list[Operation]] = []
    cur: list[Operation] = []
    for op in block.ops:
        cur.append(op)
        if isinstance(op, pysrc._Statement):
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def _names_read(groups: list[list[Operation]]) -> set[str]:
    return {o.id.data for g in groups for op in g for o in pysrc.ops_of(op, pysrc.NameOp)}


def _assigned(groups: list[list[Operation]]) -> list[str]:
    out = []
    for g in groups:
        stmt = g[-1]
        if isinstance(stmt, pysrc.AssignOp):
            for t in stmt.target.data.replace("(", "").replace(")", "").split(","):
                if t.strip().isidentifier() and t.strip() not in out:
                    out.append(t.strip())
    return out


def _model(groups: list[list[Operation]], assigned: list[str]) -> str | None:
    for g in groups:
        for op in g:
            for o in pysrc.ops_of(op, (pysrc.CallOp, hub.ApplyOp)):
                callee = o.callee if isinstance(o, pysrc.CallOp) else o.args[0]
                n = _name(callee)
                if n is not None and n not in assigned:
                    return n
    return None


@dataclass
class Step:
    zero: int | None
    backward: int
    clip: int | None
    step: int
    loss: str
    optimizer: str


def find_step(groups: list[list[Operation]]) -> Step | None:
    stmts = [g[-1] for g in groups]
    for s, stmt in enumerate(stmts):
        opt = _name(_method_call(stmt, "step"))
        if opt is None:
            continue
        b, clip = s - 1, None
        if b >= 0 and isinstance(stmts[b], pysrc.ExprStmtOp) and isinstance(stmts[b].value.owner, hub.HubOp) \
                and stmts[b].value.owner.SPEC_NAME == "clip_grad_norm":
            clip, b = b, b - 1
        loss = _name(_method_call(stmts[b], "backward")) if b >= 0 else None
        if loss is None:
            continue
        zero = next((z for z in range(b - 1, -1, -1) if _method_call(stmts[z], "zero_grad") is not None), None)
        return Step(zero, b, clip, s, loss, opt)
    return None


@dataclass
class TrainStepRewriter:
    framework: str
    training: TrainingTraits | None
    source: str

    def run(self, block: Block) -> None:
        while True:
            groups = _groups(block)
            found = find_step(groups)
            if found is None or not self.rewrite(block, groups, found):
                return

    def rewrite(self, block: Block, groups: list[list[Operation]], st: Step) -> bool:
        start = 0 if st.zero is None else st.zero + 1
        region = groups[start:st.backward]
        assigned = _assigned(region)
        model = _model(region, assigned)
        clip = groups[st.clip][-1].value.owner if st.clip is not None else None
        max_norm = clip.named_args().get("max_norm", [None])[0] if clip is not None else None
        norm_type = clip.named_args().get("norm_type") if clip is not None else None
        ok = (self.training is not None and model is not None and st.loss in assigned
              and not (norm_type and not values_equal(const_value(norm_type[0]), 2.0))
              and (max_norm is None or isinstance(max_norm.owner, (pysrc.ConstOp, pysrc.NameOp))))
        if not ok:
            self.mark_unmapped(groups[st.backward][-1])
            return False
        later = _names_read(groups[st.step + 1:])
        aux = [n for n in assigned if n != st.loss and n in later]
        b = Builder(self.framework)
        anchor = groups[st.zero if st.zero is not None else start][-1]
        if self.training.style == "grad_closure":
            self.closure(b, block, region, st, model, aux)
        else:
            self.tape(b, block, region, st, model)
        grads = "grads"
        if max_norm is not None:
            self.clip(b, grads, max_norm)
        self.update(b, st.optimizer, model, grads)
        stmts = [op for op in b.ops if isinstance(op, pysrc._Statement)]
        if anchor.leading is not None:
            stmts[0].properties["leading"] = anchor.leading  # the step keeps its comments
        for op in stmts:
            if anchor.loc is not None:
                op.properties["loc"] = anchor.loc
        insert_at = groups[st.step + 1][0] if st.step + 1 < len(groups) else None
        for op in b.ops:
            if insert_at is not None:
                block.insert_op_before(op, insert_at)
            else:
                block.add_op(op)
        # The torch-only statements go: zero_grad, backward, the in-place clip, step.
        for idx in [i for i in (st.zero, st.backward, st.clip, st.step) if i is not None]:
            for op in reversed(groups[idx]):
                op.detach()
                op.erase(safe_erase=False)
        return True

    def closure(self, b: Builder, block: Block, region, st: Step, model: str, aux: list[str]) -> None:
        fn = "loss_fn"
        body = Block()
        for g in region:
            for op in g:
                op.detach()
                body.add_op(op)
        inner = Builder(self.framework)
        loss = inner.name(st.loss)
        if aux:
            extra = [inner.name(n) for n in aux]
            tup = inner.add(pysrc.TupleOp.create(operands=extra, properties={"kind": StringAttr("tuple")},
                                                 result_types=[OBJ]))
            loss = inner.add(pysrc.TupleOp.create(operands=[loss, tup], properties={"kind": StringAttr("tuple")},
                                                  result_types=[OBJ]))
        inner.add(pysrc.ReturnOp.create(operands=[loss]))
        for op in inner.ops:
            body.add_op(op)
        b.add(pysrc.FuncOp.create(properties={"sym_name": StringAttr(fn), "params": pysrc.strs([model]),
                                              "param_names": pysrc.strs([model])}, regions=[Region(body)]))
        grad_fn = b.api(self.training.grad, b.name(fn), *([b.add(pysrc.ConstOp.create(
            properties={"code": StringAttr("True")}, result_types=[OBJ]))] if aux else []),
            names=["", "has_aux"] if aux else [""])
        result = b.call(grad_fn, b.name(model))
        target = f"({st.loss}, ({', '.join(aux)}{',' if len(aux) == 1 else ''})), grads" if aux else f"{st.loss}, grads"
        b.assign(target, result)

    def tape(self, b: Builder, block: Block, region, st: Step, model: str) -> None:
        body = Block()
        for g in region:
            for op in g:
                op.detach()
                body.add_op(op)
        tape_obj = b.api(self.training.grad)
        b.add(pysrc.WithOp.create(operands=[tape_obj], properties={"as_names": pysrc.strs(["tape"])},
                                  regions=[Region(body)]))
        grads = b.call(b.attr(b.name("tape"), "gradient"), b.name(st.loss), self.variables(b, model))
        b.assign("grads", grads)

    def variables(self, b: Builder, model: str) -> SSAValue:
        return b.attr(b.name(model), self.training.variables or "trainable_variables")

    def clip(self, b: Builder, grads: str, max_norm: SSAValue) -> None:
        norm = b.add(max_norm.owner.clone())  # the clip statement and its operands go
        if self.training.clip_global_norm:
            b.assign(f"{grads}, _", b.api(self.training.clip_global_norm, b.name(grads), norm))
        elif self.training.clip_transform and self.training.empty_state:
            transform = b.api(self.training.clip_transform, norm)
            update = b.attr(transform, "update")
            b.assign(f"{grads}, _", b.call(update, b.name(grads), b.api(self.training.empty_state)))

    def update(self, b: Builder, optimizer: str, model: str, grads: str) -> None:
        method = b.attr(b.name(optimizer), self.training.update)
        if self.training.style == "grad_closure":
            b.expr(b.call(method, b.name(model), b.name(grads)))
        else:
            pairs = b.call(b.name("zip"), b.name(grads), self.variables(b, model))
            b.expr(b.call(method, pairs))

    def mark_unmapped(self, stmt: Operation) -> None:
        call = stmt.value.owner
        if isinstance(call, fw.CallOp):
            if call.unmapped is None:
                call.properties["unmapped"] = StringAttr(
                    f"{call.api.data}: no training step for {self.framework} (see rewrite-train-step)")
            return
        recv = call.callee.owner.obj
        new = fw.CallOp.create(operands=[recv], properties={
            "framework": StringAttr(self.source), "api": StringAttr(f"{self.source}.Tensor.backward"),
            "method": StringAttr("backward"), "arg_names": pysrc.strs([""]),
            "unmapped": StringAttr(f"backward: no training step for {self.framework} (see rewrite-train-step)"),
            **({"loc": stmt.loc} if stmt.loc is not None else {})}, result_types=[OBJ])
        stmt.parent_block().insert_op_before(new, stmt)
        stmt.operands = [new.results[0]]
        attr = call.callee.owner
        for dead in (call, attr):
            dead.detach()
            dead.erase()


@dataclass(frozen=True)
class RewriteTrainStep(ModulePass):
    """Rewrite ``backward(); step()`` training steps for the target (see module docstring)."""

    name = "rewrite-train-step"
    framework: str = "jax"
    source: str = "torch"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        training = load_ontology().traits[self.framework].training
        if self.framework == self.source or (training is not None and training.style == "imperative"):
            return  # the step is already written for this framework, or as the hub writes it
        rewriter = TrainStepRewriter(self.framework, training, self.source)
        blocks = [blk for o in pysrc.ops_of(op, Operation) for r in o.regions for blk in r.blocks]
        for blk in blocks:
            # Only a block holding ``X.step()`` holds a step (``find_step``): most are skipped
            # before their statements are grouped.
            if any(type(o) is pysrc.ExprStmtOp and _method_call(o, "step") is not None for o in blk.ops):
                rewriter.run(blk)
