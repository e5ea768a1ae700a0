"""``convert-layouts{framework=flax_nnx}``: keep the source's tensor interface across layout
changes, then fold the transposes that cancel.

The hub is channels-first. When the target's variant of a layer says it wants another
layout (``layout_map: {args: {input: NCHW->NHWC}, return: NHWC->NCHW}``), the layer's input
is permuted before the call and its result permuted back, through ``hub.permute_dims`` —
so the converted model takes and returns what the source did. A layer of any rank
(BatchNorm1d takes [N, C] and [N, C, L]) names its layout with ``...`` for the axes it
does not know (``NC...->N...C``): its one moving axis goes through ``hub.moveaxis``, the
identity on [N, C]. Back-to-back permutations and moves that compose to the identity are
then removed (a move beside a fixed permutation takes that permutation's rank), and
elementwise ops between them are crossed so that ``conv -> relu -> conv`` keeps a single
pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import channel_move, parse_layout
from switcheroo.passes import function_layouts, native_layout
from switcheroo.passes.layout_moves import Move, Relayout, cancels
from switcheroo.passes.container_layouts import CONTAINERS, container_layout, native_classes
from switcheroo.passes.fw_common import _NO_VALUE, RootWalker, const_value, make_const, spec_filter, target_variant

# Element-wise specs a permutation commutes with (one tensor in, same shape out).
ELEMENTWISE = frozenset({"relu", "ReLU", "tanh", "sigmoid", "exp", "abs", "negative", "gelu", "silu"})


def permute(value: SSAValue, perm: tuple[int, ...]) -> list[Operation]:
    consts = make_const(tuple(perm))
    op = hub.op_for("permute_dims").create(
        operands=[value, consts[-1].results[0]],
        properties={"arg_names": ArrayAttr([StringAttr("x"), StringAttr("axes")])},
        result_types=[value.type],
    )
    return [*consts, op]


def perm_of(op: Operation) -> tuple[int, ...] | None:
    if not (isinstance(op, hub.HubOp) and op.SPEC_NAME == "permute_dims"):
        return None
    named = op.named_args()
    axes = const_value(named["axes"][0]) if "axes" in named else _NO_VALUE
    return tuple(axes) if isinstance(axes, tuple) else None


def move_axis(value: SSAValue, move: Move) -> list[Operation]:
    src, dst = make_const(move.source), make_const(move.destination)
    op = hub.op_for("moveaxis").create(
        operands=[value, src[-1].results[0], dst[-1].results[0]],
        properties={"arg_names": ArrayAttr([StringAttr("x"), StringAttr("source"), StringAttr("destination")])},
        result_types=[value.type],
    )
    return [*src, *dst, op]


def relayout(value: SSAValue, change: Relayout) -> list[Operation]:
    return move_axis(value, change) if isinstance(change, Move) else permute(value, change)


def layout_change(text: str) -> Relayout:
    """A ``layout_map`` string as the change it makes: ``NCL->NLC``, ``NC...->N...C``."""
    move = channel_move(text)
    return Move(*move) if move is not None else parse_layout(text)


def relayout_of(op: Operation) -> Relayout | None:
    """The layout change ``op`` makes: a constant permutation or a constant move."""
    if isinstance(op, hub.HubOp) and op.SPEC_NAME == "moveaxis":
        named = op.named_args()
        ends = [const_value(named[n][0]) if n in named else _NO_VALUE for n in ("source", "destination")]
        ok = all(isinstance(e, int) and not isinstance(e, bool) for e in ends)
        return Move(*ends) if ok else None
    return perm_of(op)


@dataclass
class WrapLayerLayouts(RewritePattern):
    framework: str
    # module classes of the file that take the target's layout (container_layouts.native_classes)
    native: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: hub.ApplyOp, rewriter: PatternRewriter) -> None:
        if "layout" in op.properties:
            return
        spec = load_ontology().specs[op.layer.data]
        found = target_variant(spec, self.framework)
        lm = found[1].layout_map if found else None
        if spec.operation in CONTAINERS:
            lm = container_layout(op, self.framework, self.native)
        if lm is None or "input" not in lm.args:
            return
        new_ops = relayout(op.args[1], layout_change(lm.args["input"]))
        operands = list(op.args)
        operands[1] = new_ops[-1].results[0]
        wrapped = hub.ApplyOp.create(
            operands=operands,
            properties={**op.properties, "layout": StringAttr(lm.args["input"])},
            result_types=[r.type for r in op.res],
        )
        new_ops.append(wrapped)
        if lm.return_:
            new_ops.extend(relayout(wrapped.res[0], layout_change(lm.return_)))
        rewriter.replace(op, new_ops, [new_ops[-1].results[0]])


# Python operators that act element by element on two arrays of one shape.
ELEMENTWISE_OPERATORS = frozenset({"+", "-", "*", "/"})


def _same_inverse_operands(inner: Operation | None, q: Relayout) -> list[SSAValue] | None:
    """The unpermuted operands of a two-operand element-wise op both of whose operands are
    permuted by the inverse of ``q``; None otherwise."""
    if isinstance(inner, hub.HubOp) and inner.SPEC_NAME in ELEMENTWISE and len(inner.args) == 2:
        args = list(inner.args)
    elif isinstance(inner, pysrc.BinOp) and inner.operator.data in ELEMENTWISE_OPERATORS:
        args = [inner.lhs, inner.rhs]
    else:
        return None
    if not inner.results[0].has_one_use():
        return None
    out = []
    for a in args:
        p = relayout_of(a.owner)
        if p is None or not cancels(p, q):
            return None
        out.append(a.owner.args[0])
    return out


@dataclass
class FoldPermutations(RewritePattern):
    """permute(permute(x, p), q) with q∘p = id -> x (either may be a move of one axis); a
    permute over an elementwise op is moved below it, so pairs separated by activations meet.
    A move and a permutation fold (the move at the permutation's rank) only when ``mixed``:
    a first walk folds like with like, so the pair a layer of assumed rank brings in
    (``mlx.nn.BatchNorm`` raised as BatchNorm2d) cancels with its own kind before a move of
    any rank could be read at that rank."""

    mixed: bool = True

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: hub.HubOp, rewriter: PatternRewriter) -> None:
        q = relayout_of(op)
        if q is None:
            return
        inner = op.args[0].owner
        p = relayout_of(inner)
        if p is not None:
            if (self.mixed or isinstance(p, Move) == isinstance(q, Move)) and cancels(p, q):
                rewriter.replace(op, [], [inner.args[0]])  # cancels is None where ranks disagree
            return
        if isinstance(inner, hub.HubOp) and inner.SPEC_NAME in ELEMENTWISE and len(inner.args) == 1 \
                and inner.res[0].has_one_use():
            source = inner.args[0].owner
            if relayout_of(source) is None:
                return
            # elementwise(permute(x, p)) then q  ==  elementwise(permute(permute(x, p), q))
            moved = relayout(inner.args[0], q)
            new_inner = inner.clone()
            new_inner.operands = [moved[-1].results[0]]
            rewriter.replace(op, [*moved, new_inner], [new_inner.res[0]])
            return
        operands = _same_inverse_operands(inner, q)
        if operands is not None:
            # permute(x, p) + permute(y, p) then q = p^-1: x + y (mobilenetv2's residual add).
            new_inner = inner.clone()
            new_inner.operands = operands
            rewriter.replace(op, [new_inner], [new_inner.results[0]])
            rewriter.erase_op(inner)
            return
        if isinstance(inner, hub.ApplyOp) and inner.layer.data in ELEMENTWISE and len(inner.args) == 2 \
                and "layout" not in inner.properties and inner.res[0].has_one_use() \
                and relayout_of(inner.args[1].owner) is not None:
            # self.relu(permute(x, p)) then q: an element-wise layer (nn.ReLU member) is crossed too.
            moved = relayout(inner.args[1], q)
            new_inner = inner.clone()
            new_inner.operands = [inner.args[0], moved[-1].results[0]]
            rewriter.replace(op, [*moved, new_inner], [new_inner.res[0]])


@dataclass(frozen=True)
class ConvertLayouts(ModulePass):
    """Insert and fold layout permutations for the target (see module docstring)."""

    name = "convert-layouts"
    framework: str = "flax_nnx"
    # "source": the converted model takes what the source took; "native": the target's
    # own layout (see passes/native_layout.py).
    layout: str = "source"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        native = native_classes(op, self.framework)
        RootWalker(WrapLayerLayouts(self.framework, native), apply_recursively=False,
                   root=hub.ApplyOp).rewrite_module(op)
        function_layouts.wrap_function_layouts(op, self.framework, lambda v, t: relayout(v, layout_change(t)))
        forward = frozenset(t.forward_method for t in load_ontology().traits.values())
        for cls in [c for c in pysrc.ops_of(op, pysrc.ClassOp) if c.sym_name.data in native]:
            inp, ret = native[cls.sym_name.data]
            if channel_move(inp) is not None:
                continue  # a class between layers of any rank: its callers' moves stay outside it
            native_layout.native_class(cls, parse_layout(inp), parse_layout(ret), permute, forward)
        made = native_layout.native_inputs(op, permute, perm_of, ELEMENTWISE) if self.layout == "native" else set()
        moves = spec_filter(lambda s: s.operation in ("moveaxis", "permute_dims"))  # relayout_of's
        RootWalker(FoldPermutations(mixed=False), root=hub.HubOp, accept=moves).rewrite_module(op)
        RootWalker(FoldPermutations(), root=hub.HubOp, accept=moves).rewrite_module(op)
        if self.layout == "native":
            native_layout.native_results(op, perm_of, made)
