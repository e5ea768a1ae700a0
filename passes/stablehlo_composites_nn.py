"""Second-round composites of ``convert-stablehlo-to-hub``: network building blocks over
the hub ops the first round left.

- layer normalization, as ``jax.nn``/Flax spell it out: ``(x - mean) * rsqrt(var + eps)``
  times a scale plus a bias, both over the last axis -> ``layer_normalization``;
- attention: ``softmax(q . k / s) @ v`` with q, k, v laid out ``[batch..., seq, dim]``
  -> ``scaled_dot_product_attention(q, k, v, scale=1/s)``;
- a convolution plus a bias broadcast along its output features -> ``conv(x, w, b)``
  (ONNX's channels-first Conv), with ``permute_dims`` around it when the layout is
  another (Flax and Keras convolve channels-last).
"""

from __future__ import annotations

import math

from switcheroo.dialects import hub
from switcheroo.dialects import stablehlo_compute as shc
from switcheroo.dialects import stablehlo_elementwise as she
from switcheroo.dialects import stablehlo_shape as shs
from switcheroo.passes.fw_common import const_value
from switcheroo.passes.stablehlo_common import hub_op, splat_value, through_broadcasts
from switcheroo.passes.stablehlo_composites import _arg, _axes, _is
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern


def _scalar(v: SSAValue) -> float | None:
    """The value of a scalar computed from constants (``sqrt(32.0)`` as JAX leaves it)."""
    v = through_broadcasts(v)
    if (c := splat_value(v)) is not None:
        return c
    op = v.owner
    if isinstance(op, hub.HubOp) and op.SPEC_NAME in ("sqrt", "astype"):
        inner = _scalar(op.args[0])
        if inner is None:
            return None
        return math.sqrt(inner) if op.SPEC_NAME == "sqrt" else inner
    if isinstance(op, she.UNARY_OPS["sqrt"] | she.UNARY_OPS["convert"]):
        inner = _scalar(op.operands[0])
        return None if inner is None else (math.sqrt(inner) if op.name.endswith("sqrt") else inner)
    return None


def _mean_of(v: SSAValue) -> tuple[SSAValue, tuple[int, ...]] | None:
    """(x, axes) when ``v`` is ``sum(x, axes) / n`` with n the number of summed elements."""
    div = _is(through_broadcasts(v), "divide")
    if div is None:
        return None
    total = _is(through_broadcasts(div.args[0]), "sum")
    n = _scalar(div.args[1])
    if total is None or n is None:
        return None
    x, axes = _arg(total, "x"), _axes(total)
    if x is None or axes is None:
        return None
    dims = x.type.get_shape()
    return (x, axes) if math.prod(dims[a] for a in axes) == n else None


def _centred(v: SSAValue) -> tuple[SSAValue, tuple[int, ...]] | None:
    """(x, axes) when ``v`` is ``x - mean(x, axes)``."""
    sub = _is(v, "subtract")
    if sub is None:
        return None
    m = _mean_of(sub.args[1])
    return m if m is not None and m[0] is sub.args[0] else None


def _last_axis_vector(v: SSAValue, dim: int) -> SSAValue | None:
    src = through_broadcasts(v)
    t = src.type
    return src if isinstance(t, TensorType) and list(t.get_shape()) == [dim] else None


class LayerNormFromMoments(RewritePattern):
    """``(x - mean) * rsqrt(mean((x - mean)^2) + eps) * scale + bias`` over the last
    axis -> ``layer_normalization(x, scale, b, axis=-1, epsilon=eps)``."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        add = op if isinstance(op, hub.HubOp) and op.SPEC_NAME == "add" else None
        if add is None:
            return
        for scaled_v, bias_v in (add.args, tuple(reversed(add.args))):
            scaled = _is(scaled_v, "multiply")
            if scaled is None:
                continue
            for normed_v, scale_v in (scaled.args, tuple(reversed(scaled.args))):
                found = self._normed(normed_v)
                if found is None:
                    continue
                x, eps = found
                dim = x.type.get_shape()[-1]
                scale, bias = _last_axis_vector(scale_v, dim), _last_axis_vector(bias_v, dim)
                if scale is None or bias is None:
                    continue
                args = [("x", x), ("scale", scale), ("b", bias), ("axis", -1), ("epsilon", eps)]
                ops, new = hub_op("layer_normalization", args, op.results[0].type)
                rewriter.replace(op, ops, new.results)
                return

    @staticmethod
    def _normed(v: SSAValue) -> tuple[SSAValue, float] | None:
        """(x, eps) when ``v`` is ``(x - mean) * rsqrt(var + eps)`` over the last axis."""
        mul = _is(v, "multiply")
        if mul is None:
            return None
        for c_v, r_v in (mul.args, tuple(reversed(mul.args))):
            centred = _centred(c_v)
            rs = _is(through_broadcasts(r_v), "rsqrt")
            if centred is None or rs is None:
                continue
            x, axes = centred
            if axes != (x.type.get_num_dims() - 1,):
                continue
            plus = _is(rs.args[0], "add")
            if plus is None:
                continue
            for var_v, eps_v in (plus.args, tuple(reversed(plus.args))):
                var, eps = _mean_of(var_v), _scalar(eps_v)
                if var is None or eps is None or var[1] != axes:
                    continue
                sq = _is(var[0], "multiply")
                if sq is None or sq.args[0] is not sq.args[1]:
                    continue
                inner = _centred(sq.args[0])
                if inner is not None and inner[0] is x and inner[1] == axes:
                    return x, eps
        return None


def _qk(v: SSAValue) -> tuple[SSAValue, SSAValue] | None:
    """(q, k) when ``v`` is ``dot_general`` over leading batch dims contracting both
    last dims (``q @ swapaxes(k, -1, -2)``)."""
    dot = v.owner
    if not isinstance(dot, shc.DotGeneralOp):
        return None
    d = dot.dot_dimension_numbers
    n = dot.lhs.type.get_num_dims()
    b = list(range(n - 2))
    if dot.rhs.type.get_num_dims() != n or n < 3:
        return None
    if d.get("lhs_batching_dimensions") != b or d.get("rhs_batching_dimensions") != b:
        return None
    if d.get("lhs_contracting_dimensions") != [n - 1] or d.get("rhs_contracting_dimensions") != [n - 1]:
        return None
    if dot.lhs.type.get_element_type() != dot.result.type.get_element_type():
        return None
    return dot.lhs, dot.rhs


class AttentionFromSoftmax(RewritePattern):
    """``softmax(q . k / s, -1) @ v`` (or ``* c``) ->
    ``scaled_dot_product_attention(q, k, v, scale)``."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not (isinstance(op, hub.HubOp) and op.SPEC_NAME == "matmul"):
            return
        probs, v = op.args
        sm = _is(probs, "softmax")
        if sm is None or not probs.has_one_use() or v.type.get_num_dims() < 3:
            return
        axis = _arg(sm, "axis")
        logits = _arg(sm, "x")
        if const_value(axis) not in (-1, logits.type.get_num_dims() - 1):
            return
        scale = 1.0
        for spec, inv in (("divide", True), ("multiply", False)):
            if (scaled := _is(logits, spec)) is not None and (c := _scalar(scaled.args[1])) is not None:
                logits, scale = scaled.args[0], (1 / c if inv else c)
                break
        qk = _qk(logits)
        if qk is None:
            return
        q, k = qk
        args = [("query", q), ("key", k), ("value", v), ("scale", scale)]
        ops, new = hub_op("scaled_dot_product_attention", args, op.results[0].type)
        rewriter.replace(op, ops, new.results)


def _permuted(v: SSAValue, perm: list[int], ops: list[Operation]) -> SSAValue:
    if perm == sorted(perm):
        return v
    dims = v.type.get_shape()
    t = TensorType(v.type.get_element_type(), [dims[p] for p in perm])
    new_ops, new = hub_op("permute_dims", [("x", v), ("axes", tuple(perm))], t)
    ops.extend(new_ops)
    return new.results[0]


class ConvBiasFromAdd(RewritePattern):
    """``convolution(x, w) + broadcast(b)`` with ``b`` along the output feature
    dimension -> ``conv(x, w, b)`` in channels-first layout."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not (isinstance(op, hub.HubOp) and op.SPEC_NAME == "add"):
            return
        for conv_v, b_v in (op.args, tuple(reversed(op.args))):
            conv = conv_v.owner
            if not isinstance(conv, shc.ConvolutionOp) or not conv_v.has_one_use():
                continue
            d = conv.dimension_numbers
            n = len(d.input_spatial_dimensions)
            ones = [1] * n
            if conv.lhs_dilation is not None and list(conv.lhs_dilation.get_values()) != ones:
                continue
            if conv.window_reversal is not None and any(conv.window_reversal.get_values()):
                continue
            if conv.batch_group_count.value.data != 1:
                continue
            out_t = conv.result.type
            feat = d.output_feature_dimension.data
            found = self._vector_along(b_v)
            if found is None or found[1] != feat:
                continue
            bias = found[0]
            sp = lambda xs: [i.data for i in xs]  # noqa: E731
            x_perm = [d.input_batch_dimension.data, d.input_feature_dimension.data, *sp(d.input_spatial_dimensions)]
            w_perm = [d.kernel_output_feature_dimension.data, d.kernel_input_feature_dimension.data,
                      *sp(d.kernel_spatial_dimensions)]
            o_perm = [d.output_batch_dimension.data, feat, *sp(d.output_spatial_dimensions)]
            flat = list(conv.padding.get_values()) if conv.padding else [0] * (2 * n)
            pads = tuple(flat[0::2]) + tuple(flat[1::2])  # ONNX: all begins, then all ends
            ops: list[Operation] = []
            x, w = _permuted(conv.lhs, x_perm, ops), _permuted(conv.rhs, w_perm, ops)
            dims = out_t.get_shape()
            nchw_t = TensorType(out_t.get_element_type(), [dims[p] for p in o_perm])
            strides = tuple(conv.window_strides.get_values()) if conv.window_strides else tuple(ones)
            dil = tuple(conv.rhs_dilation.get_values()) if conv.rhs_dilation else tuple(ones)
            args = [("x", x), ("w", w), ("b", bias), ("dilations", dil),
                    ("group", conv.feature_group_count.value.data), ("pads", pads), ("strides", strides)]
            c_ops, c = hub_op("conv", args, nchw_t)
            ops += c_ops
            back = sorted(range(len(o_perm)), key=o_perm.__getitem__)
            out = _permuted(c.results[0], back, ops)
            rewriter.replace(op, ops, [out])
            rewriter.erase(conv)
            return

    @staticmethod
    def _vector_along(v: SSAValue) -> tuple[SSAValue, int] | None:
        """(vector, axis) when ``v`` repeats a rank-1 vector along one axis, through
        reshapes and broadcasts (StableHLO's or the hub's)."""
        chain = []
        while True:
            op = v.owner
            if isinstance(op, shs.BroadcastInDimOp | shs.ReshapeOp):
                chain.append(op)
                v = op.operand
            elif isinstance(op, hub.HubOp) and op.SPEC_NAME == "reshape":
                chain.append(op)
                v = op.args[0]
            else:
                break
        if v.type.get_num_dims() != 1 or v.type.get_shape()[0] == 1:
            return None
        n, axis = v.type.get_shape()[0], 0
        for op in reversed(chain):
            out = op.results[0].type.get_shape()
            if isinstance(op, shs.BroadcastInDimOp):
                axis = list(op.broadcast_dimensions.get_values())[axis]
            else:
                big = [i for i, d in enumerate(out) if d != 1]
                if big != [i for i, d in enumerate(out) if d == n] or len(big) != 1:
                    return None
                axis = big[0]
            if out[axis] != n:
                return None
        return v, axis


LATE_COMPOSITE_PATTERNS: tuple[RewritePattern, ...] = (
    LayerNormFromMoments(), AttentionFromSoftmax(), ConvBiasFromAdd(),
)
