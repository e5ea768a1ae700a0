"""Convert a checkpoint file, guided by the source model's code.

The source model (built without memory for its weights) gives every layer's spec; the
destination model, when given, fixes the names and shapes to write, else the rules do.
Everything is checked before the first byte is written; with ``stream`` the source is
memory-mapped and tensors are converted and written one at a time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from switcheroo.backends.weights.formats import Source, detect_format, open_sink, open_source
from switcheroo.backends.weights.ops import evaluate, infer, leaves
from switcheroo.backends.weights.pairing import build_plan, virtual_nodes
from switcheroo.backends.weights.plan import Plan
from switcheroo.backends.weights.report import Report, TransferError
from switcheroo.backends.weights.transfer import framework_view
from switcheroo.backends.weights.tree import LayerNode, walk


@dataclass
class CheckpointPlan:
    """A plan over checkpoint keys plus what the source checkpoint is expected to hold."""

    plan: Plan
    report: Report
    expected: dict[str, tuple[int, ...]]  # source key -> shape in the source model
    dropped: list[str]  # source keys the rules ignore (num_batches_tracked)


def plan_from_models(src_model: Any, src: str, dst: str, dst_model: Any = None) -> CheckpointPlan:
    """Pair the layers of the source model with the destination's (or the rules')."""
    src_rules, src_ad, src_idx = framework_view(src)
    dst_rules, dst_ad, dst_idx = framework_view(dst)
    src_nodes = walk(src_model, src_idx)
    if dst_model is not None:
        dst_nodes, shape_of = walk(dst_model, dst_idx), dst_ad.shape
    else:
        dst_nodes, shape_of = virtual_nodes(src_nodes, dst_rules), None
    plan, report = build_plan(src_nodes, dst_nodes, src_rules, shape_of, dst_weight_norm=dst_rules.weight_norm,
                              src_shape_of=src_ad.shape)
    expected, dropped = _expected(src_nodes, src_ad)
    return CheckpointPlan(plan, report, expected, dropped)


def _expected(nodes: list[LayerNode], adapter: Any) -> tuple[dict[str, tuple[int, ...]], list[str]]:
    expected, dropped = {}, []
    for n in nodes:
        drop = n.form.drop if n.form else ()
        for p, h in n.tensors.items():
            key = n.key(p.lstrip("?"))
            if p in drop:
                dropped.append(key)
            expected[key] = adapter.shape(h)
    return expected, dropped


def check_source(cp: CheckpointPlan, source: Source) -> None:
    """Add to the report what the checkpoint lacks, has extra, or holds mis-shaped."""
    have = set(source.keys())
    read = {k for m in cp.plan.moves for k in leaves(m.expr)}
    rep = cp.report
    for m in cp.plan.moves:
        lacking = [k for k in leaves(m.expr) if k not in have]
        if lacking:
            rep.missing.append(f"{m.dst_key} (checkpoint lacks {', '.join(lacking)})")
    for key in sorted(have - read - set(cp.dropped)):
        if key not in rep.unexpected:
            rep.unexpected.append(key)
    for key in sorted(have & read):
        got = tuple(source.meta(key)[0])
        want = cp.expected.get(key)
        if want is not None and got != want:
            rep.mismatched.append((key, got, want))


def run_plan(
    cp: CheckpointPlan,
    source: Source,
    out: Path,
    fmt: str,
    allow_partial: bool = False,
    dst_shapes: dict[str, tuple[int, ...]] | None = None,
) -> Report:
    """Check, then write every move to ``out``; nothing is left behind on error."""
    check_source(cp, source)
    have = set(source.keys())
    moves = [m for m in cp.plan.moves if all(k in have for k in leaves(m.expr))]
    entries = []
    for m in moves:
        try:
            shape, dtype = infer(m.expr, source.meta)
        except ValueError as err:
            cp.report.problems.append(f"{m.dst_key}: {err}")
            continue
        want = (dst_shapes or {}).get(m.dst_key)
        if want is not None and tuple(shape) != tuple(want):
            cp.report.mismatched.append((m.dst_key, tuple(shape), tuple(want)))
        entries.append((m.dst_key, tuple(shape), dtype))
    if not cp.report.ok and not allow_partial:
        raise TransferError(cp.report)
    keep = {k for k, _, _ in entries}
    sink = open_sink(out, fmt)
    try:
        sink.begin(entries)
        for m in moves:
            if m.dst_key not in keep:
                continue
            shape, dtype = infer(m.expr, source.meta)
            sink.write_deferred(
                m.dst_key,
                shape,
                dtype,
                lambda e=m.expr: evaluate(e, source.get),
                lambda e=m.expr: [source.release(k) for k in leaves(e)],
            )
            cp.report.copied += 1
        sink.commit()
    except BaseException:
        sink.abort()
        raise
    return cp.report


def convert_checkpoint(
    ckpt: str | Path,
    out: str | Path,
    *,
    src: str,
    dst: str,
    src_model: Any,
    dst_model: Any = None,
    src_format: str | None = None,
    dst_format: str | None = None,
    stream: bool = False,
    allow_partial: bool = False,
) -> Report:
    """Convert checkpoint ``ckpt`` of ``src_model`` (framework ``src``) to ``out``.

    Keras ``.weights.h5`` on either side goes through the live model (given as
    ``src_model`` or ``dst_model``); every other format is converted key by key.
    """
    ckpt, out = Path(ckpt), Path(out)
    src_format = src_format or detect_format(ckpt)
    dst_format = dst_format or detect_format(out)
    if src_format == "keras_h5":
        src_model.load_weights(str(ckpt))
        source: Source = _live_source(src_model, src)
    else:
        source = open_source(ckpt, src_format, stream=stream)
    cp = plan_from_models(src_model, src, dst, dst_model)
    if dst_format == "keras_h5":
        return _write_keras(cp, source, out, dst_model, dst, allow_partial)
    dst_shapes = _dst_shapes(cp) if dst_model is not None else None
    return run_plan(cp, source, out, dst_format, allow_partial, dst_shapes)


def _dst_shapes(cp: CheckpointPlan) -> dict[str, tuple[int, ...]]:
    out = {}
    for m in cp.plan.moves:
        h = m.layer.tensors.get(m.dst_param) if m.layer is not None else None
        if h is not None and hasattr(h, "shape"):
            out[m.dst_key] = tuple(int(d) for d in h.shape)
        elif h is not None and hasattr(h, "get_value"):
            out[m.dst_key] = tuple(h.get_value().shape)
    return out


def _live_source(model: Any, fw: str) -> Source:
    _, adapter, index = framework_view(fw)
    tensors = {
        n.key(p.lstrip("?")): adapter.to_numpy(h)
        for n in walk(model, index)
        for p, h in n.tensors.items()
    }
    return Source(tensors)


def _write_keras(
    cp: CheckpointPlan, source: Source, out: Path, model: Any, fw: str, partial: bool
) -> Report:
    if model is None:
        raise TransferError(
            _problem(cp.report, "writing .weights.h5 needs the Keras model (--target-model)")
        )
    check_source(cp, source)
    _, adapter, _ = framework_view(fw)
    staged, have = [], set(source.keys())
    for m in cp.plan.moves:
        if not all(k in have for k in leaves(m.expr)):
            continue
        value = evaluate(m.expr, source.get)
        handle = m.layer.tensors[m.dst_param]
        if tuple(value.shape) != adapter.shape(handle):
            cp.report.mismatched.append((m.dst_key, tuple(value.shape), adapter.shape(handle)))
            continue
        staged.append((m, handle, np.asarray(value)))
    if not cp.report.ok and not partial:
        raise TransferError(cp.report)
    for m, handle, value in staged:
        owner, leaf = m.layer.owners[m.dst_param]
        adapter.assign(owner, leaf, handle, value)
    tmp = out.with_name(f".partial-{os.getpid()}-{out.name}")  # keras wants the suffix
    model.save_weights(str(tmp))
    tmp.replace(out)
    cp.report.copied = len(staged)
    return cp.report


def _problem(report: Report, text: str) -> Report:
    report.problems.append(text)
    return report


def load_checkpoint(model: Any, path: str | Path, framework: str, fmt: str | None = None) -> Report:
    """Load a checkpoint already in ``framework``'s names and layouts into a live model
    (what ``convert`` wrote), checking every key and shape first."""
    _, adapter, index = framework_view(framework)
    source = open_source(Path(path), fmt)
    report, staged = Report(), []
    have = set(source.keys())
    for node in walk(model, index):
        for p, handle in node.tensors.items():
            key = node.key(p.lstrip("?"))
            if node.form and p in node.form.drop:
                continue
            if key not in have:
                report.missing.append(key)
                continue
            have.discard(key)
            value = source.get(key)
            if tuple(value.shape) != adapter.shape(handle):
                report.mismatched.append((key, tuple(value.shape), adapter.shape(handle)))
                continue
            staged.append((*node.owners[p], handle, value))
    report.unexpected += sorted(have)
    if not report.ok:
        raise TransferError(report)
    for owner, leaf, handle, value in staged:
        adapter.assign(owner, leaf, handle, np.array(value))
    report.copied = len(staged)
    return report
