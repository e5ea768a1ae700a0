"""``convert-stablehlo-to-hub``: StableHLO ops -> hub ops, then composites.

One pattern per op family maps a StableHLO op to the hub op of the same semantics
(``stablehlo.exponential`` -> ``hub.exp``, ``stablehlo.transpose`` -> ``hub.permute_dims``,
``stablehlo.reduce`` applying ``add`` -> ``hub.sum``, a plain ``dot_general`` ->
``hub.matmul``...). Static operands (axes, shapes, dtypes) become ``pysrc`` literals, as on
the Python path. Ops whose StableHLO semantics differ from the hub spec (integer
``divide`` truncates, ``remainder`` is C fmod) or that have no hub spec stay StableHLO
for the backend. The composite patterns of :mod:`stablehlo_composites` then fold
relu, softmax and dense layers. Spec tables are data: see ``UNARY``/``BINARY`` below.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects import chlo, hub
from switcheroo.dialects import stablehlo_compute as shc
from switcheroo.dialects import stablehlo_elementwise as she
from switcheroo.dialects import stablehlo_reduce as shr
from switcheroo.dialects import stablehlo_shape as shs
from switcheroo.passes.stablehlo_common import dtype_name, hub_op, reduce_kind, splat_value
from switcheroo.passes.stablehlo_composites import COMPOSITE_PATTERNS
from switcheroo.passes.stablehlo_composites_nn import LATE_COMPOSITE_PATTERNS
from switcheroo.passes.stablehlo_loops import CountedWhileToFor
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerType, ModuleOp, TensorType
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import Rewriter

# StableHLO/CHLO op name -> hub spec, for one-operand maps with identical semantics.
UNARY: dict[str, str] = {
    "stablehlo.abs": "abs", "stablehlo.ceil": "ceil", "stablehlo.cosine": "cos",
    "stablehlo.exponential": "exp", "stablehlo.exponential_minus_one": "expm1",
    "stablehlo.floor": "floor", "stablehlo.is_finite": "isfinite", "stablehlo.log": "log",
    "stablehlo.log_plus_one": "log1p", "stablehlo.logistic": "sigmoid",
    "stablehlo.negate": "negative", "stablehlo.round_nearest_even": "round",
    "stablehlo.rsqrt": "rsqrt", "stablehlo.sign": "sign", "stablehlo.sine": "sin",
    "stablehlo.sqrt": "sqrt", "stablehlo.tan": "tan", "stablehlo.tanh": "tanh",
    "chlo.cosh": "cosh", "chlo.erf": "erf", "chlo.sinh": "sinh", "chlo.square": "square",
    "chlo.tan": "tan",
}
BINARY: dict[str, str] = {
    "stablehlo.add": "add", "stablehlo.atan2": "atan2", "stablehlo.maximum": "maximum",
    "stablehlo.minimum": "minimum", "stablehlo.multiply": "multiply",
    "stablehlo.power": "pow", "stablehlo.subtract": "subtract",
}
# Ops whose hub spec depends on the element type: (spec for i1, spec for other ints).
LOGICAL: dict[str, tuple[str, str]] = {
    "stablehlo.and": ("logical_and", "bitwise_and"),
    "stablehlo.or": ("logical_or", "bitwise_or"),
    "stablehlo.xor": ("logical_xor", "bitwise_xor"),
    "stablehlo.not": ("logical_not", "bitwise_invert"),
}
COMPARE: dict[str, str] = {
    "EQ": "equal", "NE": "not_equal", "LT": "less", "LE": "less_equal",
    "GT": "greater", "GE": "greater_equal",
}
# Reduction body -> (hub spec, identity the init value must hold).
REDUCE: dict[str, tuple[str, float]] = {
    "add": ("sum", 0.0), "multiply": ("prod", 1.0),
    "maximum": ("max", float("-inf")), "minimum": ("min", float("inf")),
}


def in_combiner(op: Operation) -> bool:
    """True inside a reducer/comparator region: those ops define the combining function
    of their parent (``applies stablehlo.add``) and stay StableHLO."""
    return isinstance(
        op.parent_op(),
        shr.ReduceOp | shr.ReduceWindowOp | shr.SelectAndScatterOp | shr.SortOp | shs.ScatterOp,
    )


def _elem(op: Operation):
    t = op.operands[0].type
    return t.get_element_type() if isinstance(t, TensorType) else None


class ElementwiseToHub(RewritePattern):
    """Unary/binary element-wise ops with identical hub semantics."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, she.UnaryElementwiseOp | she.BinaryElementwiseOp | chlo.ChloUnaryOp):
            return
        if in_combiner(op):
            return
        spec = UNARY.get(op.name) or BINARY.get(op.name)
        if op.name in LOGICAL:
            el = _elem(op)
            if not isinstance(el, IntegerType):
                return
            spec = LOGICAL[op.name][0 if el.width.data == 1 else 1]
        elif op.name == "stablehlo.divide" and not isinstance(_elem(op), IntegerType):
            spec = "divide"  # integer division truncates in StableHLO: not the hub's divide
        if spec is None:
            return
        names = ["x"] if len(op.operands) == 1 else ["x1", "x2"]
        ops, new = hub_op(spec, list(zip(names, op.operands, strict=True)), op.results[0].type)
        rewriter.replace(op, ops, new.results)


class CompareToHub(RewritePattern):
    """``compare DIR`` -> equal/less/...; TOTALORDER stays (NaN ordering differs)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: she.CompareOp, rewriter: PatternRewriter) -> None:
        if in_combiner(op):
            return
        if op.compare_type is not None and op.compare_type.data.value == "TOTALORDER":
            return
        spec = COMPARE[op.comparison_direction.data.value]
        ops, new = hub_op(spec, [("x1", op.lhs), ("x2", op.rhs)], op.result.type)
        rewriter.replace(op, ops, new.results)


class SelectToHub(RewritePattern):
    """``select`` -> ``where``."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: she.SelectOp, rewriter: PatternRewriter) -> None:
        if in_combiner(op):
            return
        args = [("condition", op.pred), ("x1", op.on_true), ("x2", op.on_false)]
        ops, new = hub_op("where", args, op.result.type)
        rewriter.replace(op, ops, new.results)


class ConvertToHub(RewritePattern):
    """``convert`` -> ``astype(x, dtype)``."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, she.UNARY_OPS["convert"]):
            return
        res = op.results[0].type
        ops, new = hub_op("astype", [("x", op.operands[0]), ("dtype", dtype_name(res))], res)
        rewriter.replace(op, ops, new.results)


class ShapeToHub(RewritePattern):
    """``reshape`` -> ``reshape(x, shape)``; ``transpose`` -> ``permute_dims(x, axes)``."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, shs.ReshapeOp):
            shape = tuple(op.result.type.get_shape())
            ops, new = hub_op("reshape", [("x", op.operand), ("shape", shape)], op.result.type)
        elif isinstance(op, shs.TransposeOp):
            axes = tuple(op.permutation.get_values())
            ops, new = hub_op("permute_dims", [("x", op.operand), ("axes", axes)], op.result.type)
        else:
            return
        rewriter.replace(op, ops, new.results)


class ReduceToHub(RewritePattern):
    """``reduce`` applying add/multiply/maximum/minimum from its identity -> sum/prod/max/min."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: shr.ReduceOp, rewriter: PatternRewriter) -> None:
        kind = reduce_kind(op)
        if kind not in REDUCE:
            return
        spec, identity = REDUCE[kind]
        init = splat_value(op.init_values[0])
        if init is None or init != identity:
            return
        axes = tuple(op.dimensions.get_values())
        ops, new = hub_op(spec, [("x", op.inputs[0]), ("axis", axes)], op.result[0].type)
        rewriter.replace(op, ops, new.results)


class DotGeneralToMatmul(RewritePattern):
    """``dot_general`` with leading batch dims, lhs contracting its last dim and rhs its
    first non-batch dim -> ``matmul``; other layouts stay (the backend uses einsum)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: shc.DotGeneralOp, rewriter: PatternRewriter) -> None:
        d = op.dot_dimension_numbers
        lb, rb = d.get("lhs_batching_dimensions"), d.get("rhs_batching_dimensions")
        lc, rc = d.get("lhs_contracting_dimensions"), d.get("rhs_contracting_dimensions")
        nl = op.lhs.type.get_num_dims()
        nr = op.rhs.type.get_num_dims()
        b = len(lb)
        if lb != list(range(b)) or rb != list(range(b)) or len(lc) != 1:
            return
        if lc != [nl - 1] or rc != [b] or nl not in (b + 1, b + 2) or nr not in (b + 1, b + 2):
            return
        if b and (nl != b + 2 or nr != b + 2):
            return  # batched matmul needs matrices on both sides
        if op.lhs.type.get_element_type() != op.result.type.get_element_type():
            return  # preferred_element_type: keep the explicit accumulation type
        ops, new = hub_op("matmul", [("x1", op.lhs), ("x2", op.rhs)], op.result.type)
        rewriter.replace(op, ops, new.results)


@dataclass(frozen=True)
class ConvertStablehloToHub(ModulePass):
    """Raise StableHLO to hub ops (counted ``while`` loops to ``scf.for`` first), then
    fold composites (relu, softmax, dense).
    ``composites=false`` stops after the one-to-one maps."""

    name = "convert-stablehlo-to-hub"
    composites: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        # Loops first: their counters are recognised on the StableHLO ops.
        PatternRewriteWalker(CountedWhileToFor()).rewrite_module(op)
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [
                    ElementwiseToHub(),
                    CompareToHub(),
                    SelectToHub(),
                    ConvertToHub(),
                    ShapeToHub(),
                    ReduceToHub(),
                    DotGeneralToMatmul(),
                ]
            )
        ).rewrite_module(op)
        if self.composites:
            for patterns in (COMPOSITE_PATTERNS, LATE_COMPOSITE_PATTERNS):
                PatternRewriteWalker(
                    GreedyRewritePatternApplier(list(patterns)), walk_reverse=True
                ).rewrite_module(op)
            erase_dead(op)


def erase_dead(module: ModuleOp) -> None:
    """Erase side-effect-free ops whose results nobody uses (what composites left
    behind); hub ops carry no Pure trait, so xDSL's dce would keep them."""
    changed = True
    while changed:
        changed = False
        for o in reversed(list(module.walk())):
            if (
                o.results
                and all(not r.uses for r in o.results)
                and not o.regions
                and (isinstance(o, hub.HubOp) or o.dialect_name() in ("pysrc", "stablehlo", "chlo"))
            ):
                Rewriter.erase_op(o)
                changed = True

