"""``transfer``: copy every parameter and buffer between two live models."""

from __future__ import annotations

from typing import Any

import numpy as np
from switcheroo.backends.weights.adapters import Adapter, adapter_for
from switcheroo.backends.weights.ops import evaluate
from switcheroo.backends.weights.pairing import build_plan
from switcheroo.backends.weights.plan import Plan
from switcheroo.backends.weights.report import Report, TransferError
from switcheroo.backends.weights.rules import FrameworkRules, load_rules
from switcheroo.backends.weights.tree import ClassIndex, LayerNode, walk


def framework_view(framework: str) -> tuple[FrameworkRules, Adapter, ClassIndex]:
    """Rules, adapter and class index of a framework key (jax -> flax_nnx and so on)."""
    rules = load_rules().framework(framework)
    adapter = adapter_for(rules.framework)
    return rules, adapter, ClassIndex(rules, adapter, (framework, rules.framework))


def live_plan(
    src_model: Any, dst_model: Any, src: str, dst: str
) -> tuple[Plan, Report, list[LayerNode], Adapter, Adapter]:
    """Walk both models and pair their layers."""
    src_rules, src_ad, src_idx = framework_view(src)
    dst_rules, dst_ad, dst_idx = framework_view(dst)
    src_nodes = walk(src_model, src_idx)
    dst_nodes = walk(dst_model, dst_idx)
    plan, report = build_plan(src_nodes, dst_nodes, src_rules, shape_of=dst_ad.shape,
                              dst_weight_norm=dst_rules.weight_norm, src_shape_of=src_ad.shape)
    return plan, report, src_nodes, src_ad, dst_ad


def transfer(
    src_model: Any,
    dst_model: Any,
    src: str = "torch",
    dst: str = "flax_nnx",
    *,
    allow_partial: bool = False,
    copy_config: bool = True,
) -> Report:
    """Copy every parameter and buffer of ``src_model`` into ``dst_model``.

    Layers are paired by attribute path; layouts and names follow the weight rules.
    Source dtypes are kept (a Keras variable casts to its own dtype). With
    ``copy_config``, hyper-parameters the rules name (BatchNorm momentum and epsilon)
    are set on the destination layers too. Raises :class:`TransferError` before writing
    anything when a key is missing, unexpected or mis-shaped, unless ``allow_partial``.
    """
    plan, report, src_nodes, src_ad, dst_ad = live_plan(src_model, dst_model, src, dst)
    handles = {n.key(p.lstrip("?")): h for n in src_nodes for p, h in n.tensors.items()}
    cache: dict[str, np.ndarray] = {}

    def load(key: str) -> np.ndarray:
        if key not in cache:
            cache[key] = src_ad.to_numpy(handles[key])
        return cache[key]

    staged: list[tuple[Any, str, Any, np.ndarray]] = []
    for move in plan.moves:
        try:
            value = evaluate(move.expr, load)
        except ValueError as err:
            report.problems.append(f"{move.dst_key}: {err}")
            continue
        owner, leaf = move.layer.owners[move.dst_param]
        handle = move.layer.tensors[move.dst_param]
        want = dst_ad.shape(handle)
        if tuple(value.shape) != want:
            report.mismatched.append((move.dst_key, tuple(value.shape), want))
            continue
        staged.append((owner, leaf, handle, value))
    if not report.ok and not allow_partial:
        raise TransferError(report)
    for owner, leaf, handle, value in staged:
        dst_ad.assign(owner, leaf, handle, value)
    report.copied = len(staged)
    if copy_config:
        for obj, attr, value in plan.config:
            setattr(obj, attr, value)
    return report
