"""Helpers shared by the framework passes: constants, argument binding, framework chains,
and the rewrite walker they drive their patterns with."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.pattern_rewriter import PatternRewriteWalker

from switcheroo.dialects import pysrc
from switcheroo.dialects.pysrc_walk import may_hold_regions, ops_where
from switcheroo.ontology.loader import Ontology, load_ontology
from switcheroo.ontology.odl import OpSpec, Variant

OBJ = pysrc.ObjectType()
_NO_VALUE = object()


@dataclass
class RootWalker(PatternRewriteWalker):
    """A ``PatternRewriteWalker`` for a pattern rooted at ``root`` ops (an
    ``op_type_rewrite_pattern`` on that type): its worklist starts with those ops only.
    The pattern returns at once on any other op, but xDSL would still pop each and set up a
    rewriter for it, most of a pass's time when it rewrites a few ops of thousands. Ops
    the rewrites add or touch are handled as by the stock walker."""

    root: type[Operation] | tuple[type[Operation], ...] = Operation
    accept: Callable[[type[Operation]], bool] | None = None
    """Whether ops of a root class can match at all, asked once per class: the pattern
    returns at once, changing nothing, on the others (``BindOptimizer`` on a hub op whose
    spec is no optimizer), so they are left out of the worklist."""

    def _populate_worklist(self, op: Operation | Region | Block) -> None:
        # The order of ``op.walk(reverse=not walk_reverse, region_first=not
        # walk_regions_first)``, collected in one loop: the worklist is filled before any
        # rewrite, so the walk need not be lazy.
        reverse, region_first = not self.walk_reverse, not self.walk_regions_first
        # Whether an op's class is a root, asked once per class: ``isinstance`` against an
        # op class that does not match goes through ``ABCMeta.__instancecheck__``.
        is_root: dict[type, bool] = {}
        push = self._worklist.push
        root, accept = self.root, self.accept

        def is_a_root(kind: type[Operation]) -> bool:
            return issubclass(kind, root) and (accept is None or accept(kind))

        if reverse and region_first and isinstance(op, Region):
            # The stock order (the worklist pops ops in program order, outer ops first) is
            # a forward walk's, reversed: collected in ``ops_where``'s loop.
            for sub_op in reversed(ops_where((op,), {}, is_a_root)):
                push(sub_op)
            return

        def visit(sub_op: Operation) -> None:
            kind = type(sub_op)
            hit = is_root.get(kind)
            if hit is None:
                hit = is_root[kind] = is_a_root(kind)
            if hit:
                push(sub_op)

        def region(r: Region) -> None:
            for b in reversed(r.blocks) if reverse else r.blocks:
                block(b)

        # Whether an op's class may hold regions, with whether it is a root: 2 | root.
        holds: dict[type, int] = {}

        def block(b: Block) -> None:
            # The linked lists read through xDSL's private fields: its ``next_op`` and
            # ``prev_op`` properties are a call per op, a third of the walk.
            sub_op = b._last_op if reverse else b._first_op  # pyright: ignore[reportPrivateUsage]
            while sub_op is not None:
                try:
                    what = holds[type(sub_op)]
                except KeyError:
                    kind = type(sub_op)
                    what = holds[kind] = (2 if may_hold_regions(kind) else 0) | is_a_root(kind)
                if what & 2 and sub_op.regions:
                    if not region_first:
                        visit(sub_op)
                    for r in reversed(sub_op.regions) if reverse else sub_op.regions:
                        region(r)
                    if region_first:
                        visit(sub_op)
                elif what & 1:  # most ops: ``visit`` inlined
                    push(sub_op)
                sub_op = sub_op._prev_op if reverse else sub_op._next_op  # pyright: ignore[reportPrivateUsage]

        if isinstance(op, Region):
            region(op)
        elif isinstance(op, Block):
            block(op)
        else:
            for sub_op in op.walk(reverse=reverse, region_first=region_first):
                visit(sub_op)


def spec_filter(holds: Callable[[OpSpec], bool]) -> Callable[[type[Operation]], bool]:
    """A ``RootWalker.accept`` for hub ops: whether ``holds`` for the spec of an op class
    (a class with no spec is accepted, for the pattern to judge)."""

    def accept(kind: type[Operation]) -> bool:
        spec = load_ontology().specs.get(getattr(kind, "SPEC_NAME", ""))
        return spec is None or holds(spec)

    return accept


def class_method(cls: pysrc.ClassOp, name: str) -> pysrc.FuncOp | None:
    """The method ``name`` defined in the body of ``cls`` (``__init__``, the forward)."""
    return next((o for o in cls.body.block.ops if type(o) is pysrc.FuncOp and o.sym_name.data == name), None)


def chain(framework: str, onto: Ontology | None = None) -> list[str]:
    """The framework followed by its fallbacks: where its mappings are looked up."""
    onto = onto or load_ontology()
    traits = onto.traits.get(framework)
    out = [framework]
    for fb in traits.fallback if traits else []:
        if fb not in out:
            out.append(fb)
    return out


def target_variant(spec: OpSpec, framework: str) -> tuple[str, Variant] | None:
    """(framework, variant) of the first of ``framework``'s chain that maps ``spec``
    (its ``lower`` variant where it has one); asked per op, answered once per spec."""
    return _answer(_target_variant, framework, spec)


def _target_variant(spec: OpSpec, framework: str) -> tuple[str, Variant] | None:
    for fwk in chain(framework):
        if fwk in spec.variants:
            variant = spec.variants[fwk]
            return fwk, variant.lower or variant
    return None


_LITERALS: dict[str, Any] = {}  # literal text -> value, for the values that cannot be mutated


def _literal(code: str) -> Any:
    if code in _LITERALS:
        return _LITERALS[code]
    try:
        value = ast.literal_eval(code)
    except (ValueError, SyntaxError):
        value = _NO_VALUE
    try:
        hash(value)  # literals that hash (numbers, strings, tuples of them) are immutable
    except TypeError:
        return value
    if len(_LITERALS) < 50_000:
        _LITERALS[code] = value
    return value


# op class -> which of const_value's forms its ops are: 1 a literal, 2 a unary operator,
# 3 a tuple, 0 none. Asked once per class: most operands are names and calls, and
# ``isinstance`` against an op class they are not goes through ``ABCMeta.__instancecheck__``.
_CONST_FORMS: dict[type, int] = {}


def _const_form(kind: type) -> int:
    forms = (pysrc.ConstOp, pysrc.UnaryOp, pysrc.TupleOp)
    form = _CONST_FORMS[kind] = next((i for i, c in enumerate(forms, 1) if issubclass(kind, c)), 0)
    return form


def const_value(v: SSAValue) -> Any:
    """The Python value of a literal operand, or ``_NO_VALUE`` when it is not a literal."""
    op = v.owner
    form = _CONST_FORMS.get(type(op))
    if form is None:
        form = _const_form(type(op))
    if form == 1:
        return _literal(op.code.data)
    if form == 2 and op.operator.data == "-":
        inner = const_value(op.operand)
        return -inner if isinstance(inner, (int, float)) else _NO_VALUE
    if form == 3 and op.kind.data != "dict":
        vals = [const_value(e) for e in op.elts]
        return _NO_VALUE if any(x is _NO_VALUE for x in vals) else tuple(vals)
    return _NO_VALUE


def is_const(v: SSAValue) -> bool:
    return const_value(v) is not _NO_VALUE


def operand_ops(stmt: Operation) -> list[Operation]:
    """The expression ops computing ``stmt``'s operands (those just before it), in program order."""
    ops: list[Operation] = []
    cur = stmt.prev_op
    while cur is not None and not isinstance(cur, pysrc._Statement):
        ops.append(cur)
        cur = cur.prev_op
    return ops[::-1]


def make_const(value: Any) -> list[Operation]:
    """Ops that build ``value`` (a literal, or a tuple of literals); the last is the result."""
    if isinstance(value, (tuple, list)):
        parts = [make_const(x) for x in value]
        tup = pysrc.TupleOp.create(
            operands=[p[-1].results[0] for p in parts],
            properties={"kind": pysrc.string("tuple" if isinstance(value, tuple) else "list")},
            result_types=[OBJ],
        )
        return [op for p in parts for op in p] + [tup]
    if isinstance(value, (int, float)) and value < 0:
        inner = make_const(-value)
        neg = pysrc.UnaryOp.create(
            operands=[inner[-1].results[0]], properties={"operator": pysrc.string("-")},
            result_types=[OBJ])
        return [*inner, neg]
    return [pysrc.ConstOp.create(properties={"code": pysrc.string(literal_text(value))}, result_types=[OBJ])]


def literal_text(value: Any) -> str:
    """``repr(value)``, with exponents as people write them: ``1e-5``, not ``1e-05``."""
    text = repr(value)
    if isinstance(value, float) and "e" in text:
        mant, exp = text.split("e")
        sign = "-" if exp.startswith("-") else ""
        text = f"{mant}e{sign}{exp.lstrip('+-').lstrip('0') or '0'}"
    return text


def values_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


# (question, framework, ids of the spec and variant asked about) -> (them, the answer):
# questions passes ask per call site about the ontology's specs, which nothing changes.
# An entry holds what it was asked about, so the ids stay theirs while it lives.
_ANSWERS: dict[tuple, tuple[tuple, Any]] = {}


def _answer(question: Callable[..., Any], framework: str, *about: Any) -> Any:
    key = (question, framework, *map(id, about))
    hit = _ANSWERS.get(key)
    if hit is None:
        if len(_ANSWERS) > 20_000:  # variants copied per use (model_copy) come and go
            _ANSWERS.clear()
        hit = _ANSWERS[key] = (about, question(*about, framework))
    return hit[1]


def positional_order(spec: OpSpec, variant: Variant, framework: str) -> list[str]:
    """Standard names in the order the framework takes them positionally (not to be
    changed: the list is shared)."""
    return _answer(_positional_order, framework, spec, variant)


def _positional_order(spec: OpSpec, variant: Variant, framework: str) -> list[str]:
    renamed = {fw_name: std for std, fw_name in variant.args.items()}
    sig = _signature(framework, variant.api)
    if sig and "self" in renamed and "self" not in sig:
        sig = ["self", *sig]  # torch.Tensor.to: the receiver comes first, though not named so
    if sig:
        order = [renamed.get(p, p) for p in sig]
        # Derived arguments hold their place too (DepthwiseConv2d's out_channels, by keyword).
        known = [n for n in order if spec.arg(n) is not None or n in variant.tuple_args or n in variant.derived_args]
        if known:
            return known
    return spec.arg_names


def _signature(framework: str, api: str) -> list[str] | None:
    """Positional parameter names from the ghost snapshot, when it knows the API."""
    from switcheroo.ontology.snapshots import signature

    params = signature(framework, api)
    # A *args parameter comes last in positional order: it takes the remaining positionals.
    return [p.name for p in params if p.positional or p.kind == "V"] if params else None


def positional_only(spec: OpSpec, variant: Variant, framework: str) -> set[str]:
    """Standard names the target takes only positionally (``nnx.List(it, /)``, ``*fns``;
    not to be changed: the set is shared)."""
    return _answer(_positional_only, framework, spec, variant)


def _positional_only(spec: OpSpec, variant: Variant, framework: str) -> set[str]:
    from switcheroo.ontology.snapshots import signature

    renamed = {fw_name: std for std, fw_name in variant.args.items()}
    params = signature(framework, variant.api) or ()
    return {renamed.get(p.name, p.name) for p in params if p.kind in "PV"}
