"""Counted ``stablehlo.while`` -> ``scf.for``: the loop ``jax.lax.fori_loop`` and
``jax.lax.scan`` produce, told by its shape rather than by its origin.

A while loop is counted when one carried value ``i`` starts at a constant, the condition
is exactly ``i < N`` for a constant ``N`` and the body yields ``i + step`` for a constant
``step > 0``. It becomes ``scf.for %i = start to N step step`` over the other carried
values (an ``i32`` induction variable; the body sees it as the ``tensor<i32>`` it used,
through ``tensor.from_elements``). A counter read after the loop is replaced by its
final value. Loops of any other shape stay ``stablehlo.while``.
"""

from __future__ import annotations

from switcheroo.dialects import stablehlo_control as shctl
from switcheroo.dialects import stablehlo_elementwise as she
from switcheroo.passes.stablehlo_common import splat_value
from xdsl.dialects import arith, scf, tensor
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerAttr, IntegerType, TensorType
from xdsl.ir import Block, Region, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern


def _int_constant(v: SSAValue) -> int | None:
    value = splat_value(v)
    return int(value) if value is not None and value == int(value) else None


def _is_scalar_int(v: SSAValue) -> bool:
    t = v.type
    return isinstance(t, TensorType) and not t.get_shape() and isinstance(t.get_element_type(), IntegerType)


def _counter(op: shctl.WhileOp) -> tuple[int, int, int, int] | None:
    """(carried index, start, bound, step) when ``op`` is a counted loop."""
    cond_ops = list(op.cond.block.ops)
    ret = cond_ops[-1]
    if not isinstance(ret, shctl.ReturnOp) or len(ret.operands) != 1:
        return None
    cmp = ret.operands[0].owner
    if not isinstance(cmp, she.CompareOp) or cmp.comparison_direction.data.value != "LT":
        return None
    if cmp.lhs not in op.cond.block.args or len(cond_ops) > 3:
        return None  # the condition must be the comparison alone (and its constant)
    k = op.cond.block.args.index(cmp.lhs)
    bound, start = _int_constant(cmp.rhs), _int_constant(op.operand[k])
    if bound is None or start is None or not _is_scalar_int(op.operand[k]):
        return None
    body_ret = op.body.block.last_op
    nxt = body_ret.operands[k].owner if isinstance(body_ret, shctl.ReturnOp) else None
    if not isinstance(nxt, she.BINARY_OPS["add"]):
        return None
    arg = op.body.block.args[k]
    other = nxt.rhs if nxt.lhs is arg else nxt.lhs if nxt.rhs is arg else None
    step = _int_constant(other) if other is not None else None
    if step is None or step <= 0:
        return None
    return k, start, bound, step


class CountedWhileToFor(RewritePattern):
    """``while (i < N) { ...; i = i + step }`` with constant start -> ``scf.for``."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: shctl.WhileOp, rewriter: PatternRewriter) -> None:
        found = _counter(op)
        if found is None:
            return
        k, start, bound, step = found
        counter_t = op.operand[k].type
        i32 = counter_t.get_element_type()
        consts = [arith.ConstantOp(IntegerAttr(v, i32)) for v in (start, bound, step)]
        old, ret = op.body.block, op.body.block.last_op
        # Values the body passes through unchanged are read from outside, not carried.
        invariant = {i for i, a in enumerate(old.args) if i != k and ret.operands[i] is a}
        kept = [i for i in range(len(old.args)) if i != k and i not in invariant]
        carried = [op.operand[i] for i in kept]
        body = Block(arg_types=[i32, *(v.type for v in carried)])
        body.args[0].name_hint = "i"
        as_tensor = tensor.FromElementsOp(body.args[0], result_type=counter_t)
        body.add_op(as_tensor)
        # Move the old body in, the counter read as a tensor, the other values carried.
        old.args[k].replace_all_uses_with(as_tensor.result)
        for i in invariant:
            old.args[i].replace_all_uses_with(op.operand[i])
        for i, new_arg in zip(kept, body.args[1:], strict=True):
            old.args[i].replace_all_uses_with(new_arg)
        yields = [ret.operands[i] for i in kept]
        for o in list(old.ops):
            if o is ret:
                break
            o.detach()
            body.add_op(o)
        body.add_op(scf.YieldOp(*yields))
        loop = scf.ForOp(consts[0], consts[1], consts[2], carried, Region(body))
        trips = max(0, -(-(bound - start) // step))
        final = she.ConstantOp.create(
            properties={"value": DenseIntOrFPElementsAttr.from_list(counter_t, [start + trips * step])},
            result_types=[counter_t],
        )
        by_index = dict(zip(kept, loop.results, strict=True))
        results = [
            final.output if i == k else op.operand[i] if i in invariant else by_index[i]
            for i in range(len(old.args))
        ]
        rewriter.replace(op, [*consts, loop, final], results)

