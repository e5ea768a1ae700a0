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
pair. A permutation every element of a ``concat`` (or both operands of ``+``) goes through
is moved below it, and one a variable's reads all undo is sunk into them
(passes/layout_sinking.py): a squeezenet Fire block keeps one transpose in, one out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import channel_move, parse_layout
from switcheroo.passes import function_layouts, layout_sinking, native_layout
from switcheroo.passes.container_layouts import CONTAINERS, container_layout, native_classes
from switcheroo.passes.fw_common import (
    _NO_VALUE,
    RootWalker,
    const_value,
    make_const,
    spec_filter,
    target_variant,
)
from switcheroo.passes.layout_moves import Move, Relayout, cancels
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)

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


def elementwise_input(op: Operation | None) -> int | None:
    """The index of the one tensor operand of an element-wise op (``relu(x)``, or a call of
    an element-wise layer ``self.act(x)`` with no layout of its own); None for other ops."""
    if isinstance(op, hub.HubOp) and op.SPEC_NAME in ELEMENTWISE and len(op.args) == 1:
        return 0
    if isinstance(op, hub.ApplyOp) and op.layer.data in ELEMENTWISE and len(op.args) == 2 \
            and "layout" not in op.properties:
        return 1
    return None


def _permuted_element(v: SSAValue) -> tuple[tuple[int, ...], Operation, Operation | None] | None:
    """``P(a)`` or ``E(P(a))`` (each result used once): (P, the permute, E or None)."""
    if not v.has_one_use():
        return None
    p = perm_of(v.owner)
    if p is not None:
        return p, v.owner, None
    i = elementwise_input(v.owner)
    if i is None or not v.owner.operands[i].has_one_use():
        return None
    inner = v.owner.operands[i].owner
    p = perm_of(inner)
    return (p, inner, v.owner) if p is not None else None


@dataclass
class FoldConcatPermutations(RewritePattern):
    """``concat([P(a1), E(P(a2)), ...], axis=k)`` -> ``P(concat([a1, E(a2), ...],
    axis=P[k]))`` when every element goes through the same fixed permutation P (E
    element-wise, each value used once): the elements are joined in their own layout and
    one permutation follows, which a permutation after the concat then cancels."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: hub.HubOp, rewriter: PatternRewriter) -> None:
        if op.SPEC_NAME != "concat":
            return
        named = op.named_args()
        arrays, axes = named.get("arrays", []), named.get("axis", [])
        if len(arrays) != 1 or len(axes) != 1 or not isinstance(arrays[0].owner, pysrc.TupleOp) \
                or arrays[0].owner.kind.data not in ("list", "tuple") or not arrays[0].has_one_use():
            return
        seq = arrays[0].owner
        axis = const_value(axes[0])
        elements = [_permuted_element(v) for v in seq.elts]
        if not elements or any(e is None for e in elements) or len({e[0] for e in elements if e}) != 1 \
                or not isinstance(axis, int) or isinstance(axis, bool):
            return
        perm = elements[0][0] if elements[0] else ()
        if not -len(perm) <= axis < len(perm):
            return
        # each element in its own layout: a, or a clone of E reading a
        new_ops: list[Operation] = []
        joined: list[SSAValue] = []
        for e in elements:
            assert e is not None
            _, permute_op, ew = e
            if ew is None:
                joined.append(permute_op.operands[0])
                continue
            clone = ew.clone()
            clone.operands[elementwise_input(ew)] = permute_op.operands[0]
            new_ops.append(clone)
            joined.append(clone.results[0])
        new_seq = pysrc.TupleOp.create(operands=joined, properties=dict(seq.properties),
                                       result_types=[seq.result.type])
        # the output's axis k is the elements' axis perm[k] (permute_dims: out axis j = in axis perm[j])
        axis_ops = make_const(perm[axis % len(perm)])
        operands = [new_seq.result if v is arrays[0] else axis_ops[-1].results[0] if v is axes[0] else v
                    for v in op.operands]
        joined_op = op.clone()
        joined_op.operands = operands
        back = permute(joined_op.results[0], perm)
        rewriter.replace(op, [*new_ops, new_seq, *axis_ops, joined_op, *back], [back[-1].results[0]])
        rewriter.erase(seq)
        for e in elements:
            assert e is not None
            if e[2] is not None:
                rewriter.erase(e[2])
            rewriter.erase(e[1])


@dataclass
class FoldBinaryPermutations(RewritePattern):
    """``P(a) + P(b)`` -> ``P(a + b)`` for an element-wise operator of two arrays permuted
    alike (each permuted value used once): one permutation after the op instead of two."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: pysrc.BinOp, rewriter: PatternRewriter) -> None:
        if op.operator.data not in ELEMENTWISE_OPERATORS:
            return
        perms = [perm_of(v.owner) if v.has_one_use() else None for v in (op.lhs, op.rhs)]
        if perms[0] is None or perms[0] != perms[1]:
            return
        inner = op.clone()
        inner.operands = [op.lhs.owner.operands[0], op.rhs.owner.operands[0]]
        back = permute(inner.results[0], perms[0])
        old = [op.lhs.owner, op.rhs.owner]
        rewriter.replace(op, [inner, *back], [back[-1].results[0]])
        for o in old:
            rewriter.erase(o)


def fold_all(region: Region) -> None:
    """Fold the permutations in ``region``: pairs that cancel, across element-wise ops and
    concatenations, and one permutation below a concatenation or an operator of arrays
    permuted alike."""
    accept = spec_filter(lambda s: s.operation in ("moveaxis", "permute_dims", "concat"))
    patterns = GreedyRewritePatternApplier([FoldPermutations(), FoldConcatPermutations(), FoldBinaryPermutations()])
    RootWalker(patterns, root=(hub.HubOp, pysrc.BinOp), accept=accept).rewrite_region(region)


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
        fold_all(op.body)
        if self.layout == "native":
            native_layout.native_results(op, perm_of, made)
        layout_sinking.sink_assignments(op, fold_all, permute, perm_of, elementwise_input)
