"""From two layer rules to tensor expressions: source form -> hub -> destination form.

``hub_exprs`` inverts a source form (the rules only say how each framework parameter is
made from hub parameters); ``form_exprs`` applies a destination form. Both build the
plan expressions of :mod:`ops`, so a plan runs live, on a checkpoint, or in a script.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from switcheroo.backends.weights.ops import LOSSLESS_COMBINES, Expr, inverse_op, leaves
from switcheroo.backends.weights.rules import LayerForm, ParamRule, WeightNormRule


@dataclass
class Move:
    """Write ``expr`` (over source keys) to ``dst_key``."""

    dst_key: str
    expr: Expr
    dst_param: str = ""
    layer: Any = None


@dataclass
class Plan:
    moves: list[Move] = field(default_factory=list)
    # (destination layer object, attribute, value) hyper-parameters for live layers.
    config: list[tuple[Any, str, Any]] = field(default_factory=list)


def _load(key: str) -> Expr:
    return ["load", key]


def hub_exprs(
    form: LayerForm, keys: Mapping[str, str], weight_norm: tuple[WeightNormRule, ...] = ()
) -> tuple[dict[str, Expr], dict[str, list[str]]]:
    """Hub parameter expressions of one source layer.

    ``keys`` maps the layer's present parameter names to source keys. Returns the hub
    expressions and, per hub parameter, the source keys it reads (for the report).
    """
    leaf: dict[str, Expr] = {p: _load(k) for p, k in keys.items()}
    for wn in weight_norm:
        if wn.g in leaf and wn.v in leaf and (wn.into not in leaf or wn.into == wn.v):
            leaf[wn.into] = ["weight_norm", wn.dim, leaf.pop(wn.g), leaf.pop(wn.v)]
    # Undo each parameter's ops, then group pieces by the (hub names, combine) they form.
    groups: dict[tuple[tuple[str, ...], str | None], dict[int | None, tuple[Expr, Any]]] = {}
    for pname, rule in form.params.items():
        if pname not in leaf:
            continue
        e = leaf[pname]
        for name, args in reversed(rule.ops):
            inv, inv_args = inverse_op(name, list(args))
            e = ["op", inv, inv_args, e]
        slot = rule.chunk[2] if rule.chunk else None
        groups.setdefault((rule.hub, rule.combine), {})[slot] = (e, rule.chunk)
    primary: dict[str, Expr] = {}
    secondary: dict[str, Expr] = {}
    for (hubs, combine), pieces in groups.items():
        whole = _assemble(pieces)
        if combine is None:
            primary[hubs[0]] = whole
            continue
        for i, h in enumerate(hubs):
            e = ["uncombine", combine, i, len(hubs), whole]
            lossless = i == 0 or combine in LOSSLESS_COMBINES
            (primary if lossless else secondary).setdefault(h, e)
    out = {**secondary, **primary}
    sources = {h: leaves(e) for h, e in out.items()}
    return out, sources


def _assemble(pieces: dict[int | None, tuple[Expr, Any]]) -> Expr:
    if None in pieces:
        return pieces[None][0]
    any_e, (axis, n, _) = next(iter(pieces.values()))
    parts = [pieces[i][0] if i in pieces else ["zeros_like", any_e] for i in range(n)]
    return ["concat", axis, parts]


def param_expr(
    rule: ParamRule,
    hub: Mapping[str, Expr],
    attrs: Mapping[str, Any],
    dst_shape: tuple[int, ...] | None,
) -> Expr | None:
    """The expression of one destination parameter, or None when a hub input is missing."""
    if any(h not in hub for h in rule.hub):
        return None
    ins = [hub[h] for h in rule.hub]
    e: Expr = ["combine", rule.combine, ins] if rule.combine else ins[0]
    if rule.chunk:
        axis, n, index = rule.chunk
        e = ["chunk", axis, n, index, e]
    for name, args in rule.ops:
        if name == "split":
            axis, attr = args
            n = attrs.get(attr) if isinstance(attr, str) else attr
            if n is None and dst_shape is not None:
                n = dst_shape[axis]  # the destination's own shape says how to split
            if n is None:
                raise ValueError(f"split needs {attr!r}: give a model that has it")
            args = (axis, int(n))
        e = ["op", name, list(args), e]
    return e


def simplify(e: Any) -> Any:
    """Cancel an op followed by its inverse, and concat of the chunks it came from, so a
    round trip reads the source bytes unchanged."""
    if not isinstance(e, list) or not e or e[0] == "load":
        return e
    e = [e[0]] + [simplify(p) if isinstance(p, list) else p for p in e[1:]]
    if e[0] == "concat":
        e[2] = [simplify(p) for p in e[2]]
        parts = e[2]
        subs = [p[4] for p in parts if p[0] == "chunk"]
        if (
            len(subs) == len(parts)
            and all(p[1] == e[1] and p[2] == len(parts) and p[3] == i for i, p in enumerate(parts))
            and all(s == subs[0] for s in subs)
        ):
            return subs[0]
    if e[0] == "op" and isinstance(e[3], list) and e[3][0] == "op":
        inner = e[3]
        if [e[1], e[2]] == list(inverse_op_safe(inner[1], inner[2])):
            return inner[3]
        if e[1] == "merge" and inner[1] == "split" and e[2][0] == inner[2][0]:
            return inner[3]
    if e[0] == "combine" and all(
        p[0] == "uncombine"
        and p[1] == e[1]
        and p[2] == i
        and p[3] == len(e[2])
        and p[4] == e[2][0][4]
        for i, p in enumerate(e[2])
    ):
        return e[2][0][4]  # every piece of one combined tensor, put back together
    if e[0] == "combine" and e[1] == "sum":
        kept = [p for p in e[2] if not (p[0] == "uncombine" and p[2] > 0)]
        if len(kept) == 1 and kept[0][0] == "uncombine" and kept[0][2] == 0:
            return kept[0][4]
    if e[0] == "chunk" and e[4][0] == "concat" and e[4][1] == e[1] and len(e[4][2]) == e[2]:
        return e[4][2][e[3]]
    return e


def inverse_op_safe(name: str, args: list[Any]) -> tuple[str, list[Any]]:
    try:
        return inverse_op(name, list(args))
    except ValueError:
        return ("", [])
