"""Pair source and destination layers by hub path and build the migration plan.

The destination is either walked from a live model (shapes known, every key checked) or
made up from the rules when only the source model is known (checkpoint conversion
without a target model): then each layer takes the first form of its spec.
"""

from __future__ import annotations

from typing import Any

from switcheroo.backends.weights.ops import Expr, infer
from switcheroo.backends.weights.plan import Move, Plan, hub_exprs, param_expr, simplify
from switcheroo.backends.weights.report import Report
from switcheroo.backends.weights.rules import (
    FrameworkRules,
    LayerForm,
    ParamRule,
    WeightNormRule,
    load_rules,
)
from switcheroo.backends.weights.tree import LayerNode


def _attrs(node: LayerNode) -> dict[str, Any]:
    if node.form is None or node.obj is None:
        return {}
    return {
        hub: getattr(node.obj, fw) for hub, fw in node.form.attrs.items() if hasattr(node.obj, fw)
    }


def _to_hub(value: Any, op: str) -> Any:
    if op != "one_minus" or not isinstance(value, int | float):
        return value
    # 12 significant digits: 1 - (1 - 0.1) gives back 0.1, not 0.09999999999999998.
    return float(f"{1 - value:.12g}")


def build_plan(
    src_nodes: list[LayerNode],
    dst_nodes: list[LayerNode],
    src_rules: FrameworkRules,
    shape_of: Any = None,
    dst_weight_norm: tuple[WeightNormRule, ...] = (),
    src_shape_of: Any = None,
) -> tuple[Plan, Report]:
    """The plan copying ``src_nodes`` into ``dst_nodes``, and what it leaves out.

    ``shape_of(handle)`` gives a live destination tensor's shape (None: virtual);
    ``dst_weight_norm`` the destination's weight-normalisation rules (its g and v are
    written from a plain weight, or copied from a weight-normalised source's g and v
    when ``src_shape_of`` gives the source shapes that show they match).
    """
    plan, report = Plan(), Report()
    by_path = {n.hub_path: n for n in src_nodes}
    used: set[tuple[str, ...]] = set()
    for dst in dst_nodes:
        src = by_path.get(dst.hub_path)
        if src is None:
            report.missing += [dst.key(p.lstrip("?")) for p in _wanted(dst)]
            continue
        used.add(dst.hub_path)
        if src.spec is None and dst.spec is None:
            _pair_plain(src, dst, plan, report)
        elif (
            src.spec is None
            or dst.spec is None
            or (src.spec != dst.spec and not dst.as_spec(src.spec) and not src.as_spec(dst.spec))
        ):
            report.problems.append(
                f"{dst.name}: source is {src.spec or type(src.obj).__name__}, "
                f"destination is {dst.spec or type(dst.obj).__name__}"
            )
        else:
            _pair_layer(src, dst, src_rules, plan, report, shape_of, dst_weight_norm, src_shape_of)
    for src in src_nodes:
        if src.hub_path not in used:
            report.unexpected += [src.key(p.lstrip("?")) for p in _offered(src)]
    return plan, report


def _wanted(node: LayerNode) -> list[str]:
    drop = node.form.drop if node.form else ()
    return [p for p in node.tensors if p not in drop and p not in node.optional]


def _offered(node: LayerNode) -> list[str]:
    return _wanted(node)


def _pair_plain(src: LayerNode, dst: LayerNode, plan: Plan, report: Report) -> None:
    # A tensor either side keeps out of its checkpoint (a non-persistent buffer) is copied
    # where both hold it and is never missing: the constructor computes it.
    optional = src.optional | dst.optional
    for name in dst.tensors:
        if name in src.tensors:
            plan.moves.append(Move(dst.key(name), ["load", src.key(name)], name, dst))
        elif name not in optional:
            report.missing.append(dst.key(name))
    report.unexpected += [src.key(n) for n in src.tensors if n not in dst.tensors and n not in optional]


def _pair_layer(
    src: LayerNode,
    dst: LayerNode,
    src_rules: FrameworkRules,
    plan: Plan,
    report: Report,
    shape_of: Any,
    dst_weight_norm: tuple[WeightNormRule, ...] = (),
    src_shape_of: Any = None,
) -> None:
    sform, dform = src.form, dst.form
    assert sform is not None and dform is not None
    keys = {p: src.key(p) for p in src.tensors if not p.startswith("?") and p not in sform.drop}
    hub, sources = hub_exprs(sform, keys, src_rules.weight_norm)
    attrs = {**_attrs(dst), **_attrs(src)}
    consumed: set[str] = set()
    for pname, rule in dform.params.items():
        if pname not in dst.tensors:
            continue  # the destination layer has no such parameter (bias=False)
        handle = dst.tensors[pname]
        shape = shape_of(handle) if (shape_of and handle is not None) else None
        try:
            e = param_expr(rule, hub, attrs, shape)
        except ValueError as err:
            report.problems.append(f"{dst.name}: {pname}: {err}")
            continue
        if e is None:
            if dst.obj is not None:  # a virtual layer only has what the source gives
                report.missing.append(dst.key(pname))
            continue
        consumed.update(rule.hub)
        plan.moves.append(Move(dst.key(pname), simplify(e), pname, dst))
    for wn in dst_weight_norm:
        # A weight-normalised destination: v <- the weight, g <- its norm; from a
        # weight-normalised source, its own v and g.
        rule = dform.params.get(wn.into)
        if rule is None or wn.g not in dst.tensors or wn.v not in dst.tensors:
            continue
        e = param_expr(rule, hub, attrs, None)
        if e is None:
            continue
        consumed.update(rule.hub)
        same = _weight_norm_pair(src, src_rules, keys, rule, wn, attrs, src_shape_of)
        if same is not None:
            v, g = same  # both weight-normalised: g and v move as they are
        else:
            v, g = simplify(e), ["norm", wn.dim, wn.keepdims, simplify(e)]
        if wn.v != wn.into or same is not None:
            plan.moves = [m for m in plan.moves if m.dst_key != dst.key(wn.v)]
            plan.moves.append(Move(dst.key(wn.v), v, wn.v, dst))
        plan.moves.append(Move(dst.key(wn.g), g, wn.g, dst))
    report.missing += [dst.key(p[1:]) for p in dst.tensors if p.startswith("?")]
    named = {h for r in dform.params.values() for h in r.hub}
    for h, ks in sources.items():
        if h not in consumed:
            report.unexpected += [k for k in ks if k not in report.unexpected]
        if h not in named:
            report.problems.append(
                f"{dst.name}: {', '.join(ks)}: {dform.classes[0]} has no counterpart of {h}"
            )
    report.unexpected += [src.key(p[1:]) for p in src.tensors if p.startswith("?")]
    _pair_config(src, dst, sform, dform, plan)


def _weight_norm_pair(
    src: LayerNode,
    src_rules: FrameworkRules,
    keys: dict[str, str],
    rule: ParamRule,
    dwn: WeightNormRule,
    attrs: dict[str, Any],
    src_shape_of: Any,
) -> tuple[Expr, Expr] | None:
    """(v, g) of a weight-normalised destination read straight from a weight-normalised
    source's v and g, or None where the source is not one or its g is not one value per
    output as its rule says (PyTorch's ``weight_norm(dim=1)``: then g and v come from the
    folded weight). Every rule keeps g per output channel, so g only changes shape and v
    takes the weight's layout ops: the tensors come back bit for bit."""
    if src_shape_of is None:
        return None
    for swn in src_rules.weight_norm:
        if swn.g not in keys or swn.v not in keys:
            continue
        v_shape = tuple(src_shape_of(src.tensors[swn.v]))
        g_shape = tuple(src_shape_of(src.tensors[swn.g]))
        sdim = swn.dim % len(v_shape)
        per_out = tuple(n if i == sdim else 1 for i, n in enumerate(v_shape))
        if g_shape != (per_out if swn.keepdims else (v_shape[sdim],)):
            return None
        # The hub weight as v alone: the source layer read with v in the weight's place.
        raw = {p: k for p, k in keys.items() if p not in (swn.g, swn.into)}
        raw[swn.into] = raw.pop(swn.v, keys[swn.v])
        hub_v, _ = hub_exprs(src.form, raw)
        v = param_expr(rule, hub_v, attrs, None)
        if v is None:
            return None
        meta = {k: (tuple(src_shape_of(src.tensors[p])), None) for p, k in keys.items()}
        out_shape, _ = infer(v, meta.__getitem__)
        ddim = dwn.dim % len(v_shape)
        if len(out_shape) != len(v_shape) or out_shape[ddim] != v_shape[sdim]:
            return None  # the destination's g would not be per output of this v
        g: Expr = ["load", keys[swn.g]]
        if swn.keepdims:  # [out, 1, ...] -> [out]
            for axis in reversed(range(len(v_shape))):
                if axis != sdim:
                    g = ["op", "squeeze", [axis], g]
        if dwn.keepdims:  # [out] -> [out, 1, ...] on the destination's dim
            for axis in range(len(v_shape)):
                if axis != ddim:
                    g = ["op", "expand", [axis], g]
        return simplify(v), simplify(g)
    return None


def _pair_config(
    src: LayerNode, dst: LayerNode, sform: LayerForm, dform: LayerForm, plan: Plan
) -> None:
    if src.obj is None or dst.obj is None:
        return
    hub_vals = {
        c.hub: _to_hub(getattr(src.obj, attr), c.op)
        for attr, c in sform.config.items()
        if hasattr(src.obj, attr)
    }
    for attr, c in dform.config.items():
        if c.hub in hub_vals and hub_vals[c.hub] is not None:
            plan.config.append((dst.obj, attr, _to_hub(hub_vals[c.hub], c.op)))


def virtual_nodes(src_nodes: list[LayerNode], dst_rules: FrameworkRules) -> list[LayerNode]:
    """Destination layers made from the rules alone, one per source layer."""
    attr_of = {c.hub: c.attr for c in dst_rules.containers if c.hub and c.attr}
    wrap_of = {s: c.attr for c in dst_rules.containers if c.attr for s in c.wraps}
    # hub child name -> the container's own (forward -> forward_rnn).
    names_of = {
        c.hub: {hub: own for own, hub in c.names.items()} for c in dst_rules.containers if c.hub
    }
    required = load_rules().required_containers
    out = []
    for src in src_nodes:
        path = list(src.hub_path)
        # Rename, then insert container attributes, deepest first so earlier depths stay valid.
        for depth, kind in sorted(src.containers, reverse=True):
            if kind in names_of and depth < len(path):
                path[depth] = names_of[kind].get(path[depth], path[depth])
            if kind in attr_of:
                path.insert(depth, attr_of[kind])
        node = LayerNode(src.hub_path, tuple(path), None, spec=src.spec)
        lacking = sorted({k for _, k in src.containers if k in required and k not in names_of})
        if lacking:
            node.spec = (
                f"{src.spec} in {', '.join(lacking)} ({dst_rules.framework} has no class for "
                "it in the rules; give the destination model)"
            )
            out.append(node)
            continue
        if src.spec is None:
            node.tensors = {n: None for n in src.tensors}
        else:
            forms = dst_rules.layers.get(src.spec)
            if not forms:
                node.spec = f"{src.spec} (no {dst_rules.framework} rule)"
                out.append(node)
                continue
            node.form = forms[0]
            node.tensors = {p: None for p in node.form.params}
            if src.spec in wrap_of:
                node.fw_path = (*node.fw_path, wrap_of[src.spec])
        out.append(node)
    return out
