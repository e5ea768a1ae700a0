"""Composite patterns of ``convert-stablehlo-to-hub``: hub op groups that one hub op
says better (relu from ``maximum(x, 0)``, softmax from exp/sum/divide, a dense layer
from ``matmul`` + a broadcast bias; then layer normalization from its moments and
scaled dot-product attention around a softmax, in :mod:`stablehlo_composites_nn`). They run after the one-to-one maps, so they match
hub ops, looking through the broadcasts StableHLO makes explicit."""

from __future__ import annotations

from switcheroo.dialects import hub
from switcheroo.dialects import stablehlo_shape as shs
from switcheroo.passes.fw_common import _NO_VALUE, const_value
from switcheroo.passes.stablehlo_common import hub_op, splat_value, through_broadcasts
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern


def _is(v: SSAValue, spec: str) -> hub.HubOp | None:
    op = v.owner
    return op if isinstance(op, hub.HubOp) and op.SPEC_NAME == spec else None


def _arg(op: hub.HubOp, name: str) -> SSAValue | None:
    vals = op.named_args().get(name)
    return vals[0] if vals else None


def _axes(op: hub.HubOp) -> tuple[int, ...] | None:
    a = _arg(op, "axis")
    v = const_value(a) if a is not None else _NO_VALUE
    return tuple(v) if isinstance(v, tuple | list) else None


class ReluFromMaximum(RewritePattern):
    """``maximum(x, 0)`` (either order, 0 possibly broadcast) -> ``relu(x)``."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not (isinstance(op, hub.HubOp) and op.SPEC_NAME == "maximum"):
            return
        a, b = op.args
        x = a if splat_value(b) == 0.0 else b if splat_value(a) == 0.0 else None
        if x is None or x.type != op.results[0].type:
            return
        ops, new = hub_op("relu", [("x", x)], op.results[0].type)
        rewriter.replace(op, ops, new.results)


def _without_neg_inf_floor(v: SSAValue) -> SSAValue:
    """``m`` for ``maximum(-inf, m)`` (how ``jax.nn.softmax`` guards its shift), else ``v``."""
    op = _is(v, "maximum")
    if op is None:
        return v
    a, b = op.args
    if splat_value(a) == float("-inf"):
        return through_broadcasts(b)
    if splat_value(b) == float("-inf"):
        return through_broadcasts(a)
    return v


class SoftmaxFromExpSum(RewritePattern):
    """``e / broadcast(sum(e, axis))`` with ``e = exp(x - broadcast(max(x, axis)))`` (the
    max shift optional) -> ``softmax(x, axis)``, for one axis."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not (isinstance(op, hub.HubOp) and op.SPEC_NAME == "divide"):
            return
        e, s = op.args
        total = _is(through_broadcasts(s), "sum")
        ex = _is(e, "exp")
        if total is None or ex is None or _arg(total, "x") is not e:
            return
        axes = _axes(total)
        if axes is None or len(axes) != 1:
            return
        x = ex.args[0]
        if (sub := _is(x, "subtract")) is not None:
            mx = _is(_without_neg_inf_floor(through_broadcasts(sub.args[1])), "max")
            if mx is not None and _arg(mx, "x") is sub.args[0] and _axes(mx) == axes:
                x = sub.args[0]
        ops, new = hub_op("softmax", [("x", x), ("axis", axes[0])], op.results[0].type)
        rewriter.replace(op, ops, new.results)


def _bias_on_last_axis(v: SSAValue, rank: int) -> SSAValue | None:
    """The rank-1 bias a broadcast chain spreads along the last of ``rank`` axes."""
    src = through_broadcasts(v)
    if not isinstance(src.type, TensorType) or src.type.get_num_dims() != 1:
        return None
    op = v.owner
    while isinstance(op, shs.BroadcastInDimOp | shs.ReshapeOp):
        if isinstance(op, shs.BroadcastInDimOp):
            dims = list(op.broadcast_dimensions.get_values())
            n = op.result.type.get_num_dims()
            if op.operand is src and dims != [n - 1]:
                return None
        op = op.operand.owner
    return src


class DenseFromMatmulAdd(RewritePattern):
    """``matmul(x, W) + broadcast(b)`` -> ``linear(x, permute_dims(W), b)`` (the hub's
    linear takes the (out, in) weight, as torch does)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not (isinstance(op, hub.HubOp) and op.SPEC_NAME == "add"):
            return
        for mm_v, b_v in (op.args, tuple(reversed(op.args))):
            mm = _is(mm_v, "matmul")
            if mm is None or not mm_v.has_one_use():
                continue
            x, w = mm.args
            if w.type.get_num_dims() != 2:
                continue
            bias = _bias_on_last_axis(b_v, op.results[0].type.get_num_dims())
            if bias is None:
                continue
            wt_type = TensorType(w.type.get_element_type(), list(reversed(w.type.get_shape())))
            t_ops, wt = hub_op("permute_dims", [("x", w), ("axes", (1, 0))], wt_type)
            l_ops, new = hub_op(
                "linear", [("x", x), ("weight", wt.results[0]), ("bias", bias)], op.results[0].type
            )
            rewriter.replace(op, [*t_ops, *l_ops], new.results)
            rewriter.erase(mm)
            return


COMPOSITE_PATTERNS: tuple[RewritePattern, ...] = (
    ReluFromMaximum(),
    SoftmaxFromExpSum(),
    DenseFromMatmulAdd(),
)
