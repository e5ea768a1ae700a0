"""Tensor expressions of a weight migration plan, evaluated with NumPy alone.

A plan gives every destination tensor as a small expression over source tensors,
written as nested lists so it prints as a Python literal (``swc weights script`` pastes
this file and the plan into a standalone script). The nodes:

``["load", key]``                         a source tensor
``["zeros_like", e]``                     zeros with e's shape and dtype
``["op", name, args, e]``                 a layout op from ``LAYOUT_OPS``
``["chunk", axis, n, index, e]``          the index-th of n equal pieces along axis
``["concat", axis, [e...]]``              pieces back together
``["combine", name, [e...]]``             several hub tensors into one (``COMBINE``)
``["uncombine", name, i, n, e]``          the i-th of n hub tensors back from a combined one
``["weight_norm", dim, g, v]``            g * v / ||v||, the norm over all axes but dim (or
                                          those where a g of v's rank is 1)
``["norm", dim, keepdims, e]``            ||e|| over all axes but dim (the g of a weight e)

This module imports nothing from switcheroo; keep it that way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Expr = list[Any]


def _reorder(x: np.ndarray, axis: int, order: list[int]) -> np.ndarray:
    parts = np.split(x, len(order), axis=axis)
    return np.concatenate([parts[i] for i in order], axis=axis)


def _split(x: np.ndarray, axis: int, n: int) -> np.ndarray:
    shape = x.shape[:axis] + (n, x.shape[axis] // n) + x.shape[axis + 1 :]
    return x.reshape(shape)


def _merge(x: np.ndarray, axis: int) -> np.ndarray:
    shape = x.shape[:axis] + (x.shape[axis] * x.shape[axis + 1],) + x.shape[axis + 2 :]
    return x.reshape(shape)


# name -> f(x, *args). Every layout op is exact (no arithmetic); see inverse_op.
LAYOUT_OPS: dict[str, Callable[..., np.ndarray]] = {
    "transpose": lambda x, *perm: np.transpose(x, perm),
    "flip": lambda x, *axes: np.flip(x, axes),
    "split": lambda x, axis, n: _split(x, axis, n),
    "merge": lambda x, axis: _merge(x, axis),
    "squeeze": lambda x, axis: np.squeeze(x, axis),
    "expand": lambda x, axis: np.expand_dims(x, axis),
    "reorder": lambda x, axis, order: _reorder(x, axis, order),
}


def inverse_op(name: str, args: list[Any]) -> tuple[str, list[Any]]:
    """The layout op undoing ``name(args)``."""
    if name == "transpose":
        return "transpose", [int(i) for i in np.argsort(args)]
    if name == "flip":
        return "flip", args
    if name == "split":
        return "merge", [args[0]]
    if name == "squeeze":
        return "expand", args
    if name == "expand":
        return "squeeze", args
    if name == "reorder":
        return "reorder", [args[0], [int(i) for i in np.argsort(args[1])]]
    raise ValueError(f"layout op {name!r} has no inverse")


def _gru_bias(b_ih: np.ndarray, b_hh: np.ndarray, keep_n: bool) -> np.ndarray:
    r_z, n = np.split(b_hh, [2 * (b_hh.shape[0] // 3)])
    if keep_n and np.any(n != 0):
        raise ValueError(
            "GRU hidden bias of the candidate gate (b_hn) is non-zero; the target cell "
            "has no such bias"
        )
    return b_ih + np.concatenate([r_z, np.zeros_like(n)])


# name -> (combine, uncombine). uncombine(value, count) returns one array per input; the
# first input takes the whole value and the others zeros where information was merged.
COMBINE: dict[str, tuple[Callable[..., np.ndarray], Callable[..., list[np.ndarray]]]] = {
    "sum": (
        lambda xs: xs[0] + sum(xs[1:]) if len(xs) > 1 else xs[0],
        lambda v, k: [v] + [np.zeros_like(v) for _ in range(k - 1)],
    ),
    "stack": (lambda xs: np.stack(xs), lambda v, k: [v[i] for i in range(k)]),
    # Equal pieces joined on axis 0 (torch attention's packed q/k/v projections).
    "concat": (lambda xs: np.concatenate(xs), lambda v, k: np.split(v, k)),
    "gru_input_bias": (
        lambda xs: _gru_bias(xs[0], xs[1], keep_n=True),
        lambda v, k: [v, np.zeros_like(v)],
    ),
    "gru_open_input_bias": (
        lambda xs: _gru_bias(xs[0], xs[1], keep_n=False),
        lambda v, k: [v, np.zeros_like(v)],
    ),
}


# Combines whose inputs all come back exactly (the others put everything in the first).
LOSSLESS_COMBINES = ("concat", "stack")


def _weight_norm(g: np.ndarray, v: np.ndarray, dim: int) -> np.ndarray:
    if g.ndim == v.ndim:
        # A g of v's rank says itself which axes the norm spans: PyTorch's
        # weight_norm(dim=1) keeps g as [1, in] whatever the rule's dim.
        axes = tuple(i for i in range(v.ndim) if g.shape[i] == 1)
    else:
        # dim counts from the end when negative (Keras keeps g on the kernel's last axis).
        axes = tuple(i for i in range(v.ndim) if g.ndim == 0 or i != dim % v.ndim)
    # Norm in float32 at least, as torch._weight_norm does for half types.
    wide = v.astype(np.promote_types(v.dtype, np.float32))
    norm = np.sqrt(np.sum(wide * wide, axis=axes, keepdims=True))
    if g.size != norm.size:
        raise ValueError(
            f"weight norm: g of shape {g.shape} is not one value per axis {dim} of v {v.shape}"
        )
    # g as [out] or [out, 1, ...]: one value per entry of v's axis dim either way.
    return (wide * (g.astype(wide.dtype).reshape(norm.shape) / norm)).astype(v.dtype)


def _norm(w: np.ndarray, dim: int, keepdims: bool) -> np.ndarray:
    axes = tuple(i for i in range(w.ndim) if i != dim % w.ndim)
    wide = w.astype(np.promote_types(w.dtype, np.float32))
    return np.sqrt(np.sum(wide * wide, axis=axes, keepdims=keepdims)).astype(w.dtype)


def evaluate(expr: Expr, load: Callable[[str], np.ndarray]) -> np.ndarray:
    """The value of ``expr``, reading source tensors through ``load(key)``."""
    tag = expr[0]
    if tag == "load":
        return load(expr[1])
    if tag == "zeros_like":
        return np.zeros_like(evaluate(expr[1], load))
    if tag == "op":
        return LAYOUT_OPS[expr[1]](evaluate(expr[3], load), *expr[2])
    if tag == "chunk":
        _, axis, n, index, sub = expr
        return np.split(evaluate(sub, load), n, axis=axis)[index]
    if tag == "concat":
        return np.concatenate([evaluate(e, load) for e in expr[2]], axis=expr[1])
    if tag == "combine":
        return COMBINE[expr[1]][0]([evaluate(e, load) for e in expr[2]])
    if tag == "uncombine":
        _, name, index, count, sub = expr
        return COMBINE[name][1](evaluate(sub, load), count)[index]
    if tag == "weight_norm":
        _, dim, g, v = expr
        return _weight_norm(evaluate(g, load), evaluate(v, load), dim)
    if tag == "norm":
        _, dim, keepdims, sub = expr
        return _norm(evaluate(sub, load), dim, keepdims)
    raise ValueError(f"unknown plan node {tag!r}")


def leaves(expr: Expr) -> list[str]:
    """The source keys ``expr`` reads, in order, without repeats."""
    out: list[str] = []

    def walk(e: Any) -> None:
        if not isinstance(e, list) or not e:
            return
        if e[0] == "load":
            if e[1] not in out:
                out.append(e[1])
            return
        # A node starts with its tag; a list of operands (concat, combine) does not.
        for part in e[1:] if isinstance(e[0], str) else e:
            walk(part)

    walk(expr)
    return out


def as_contiguous(x: np.ndarray) -> np.ndarray:
    """A C-contiguous array (views from layout ops are copied once, here)."""
    return np.ascontiguousarray(x)


def infer(
    expr: Expr, meta: Callable[[str], tuple[tuple[int, ...], Any]]
) -> tuple[tuple[int, ...], Any]:
    """(shape, dtype) of ``expr`` without reading data; ``meta(key)`` describes a source."""
    tag = expr[0]
    if tag == "load":
        shape, dtype = meta(expr[1])
        return tuple(shape), dtype
    if tag == "zeros_like":
        return infer(expr[1], meta)
    if tag == "weight_norm":
        return infer(expr[3], meta)
    if tag == "norm":
        shape, dtype = infer(expr[3], meta)
        dim, keepdims = expr[1] % len(shape), expr[2]
        return tuple(
            d if i == dim else 1 for i, d in enumerate(shape) if keepdims or i == dim
        ), dtype
    if tag == "chunk":
        (shape, dtype), axis, n = infer(expr[4], meta), expr[1], expr[2]
        return shape[:axis] + (shape[axis] // n,) + shape[axis + 1 :], dtype
    if tag == "concat":
        parts = [infer(e, meta) for e in expr[2]]
        shape, dtype, axis = parts[0][0], parts[0][1], expr[1]
        return shape[:axis] + (sum(p[0][axis] for p in parts),) + shape[axis + 1 :], dtype
    if tag == "combine":
        parts = [infer(e, meta) for e in expr[2]]
        shape, dtype = parts[0]
        if expr[1] == "concat":
            return (sum(p[0][0] for p in parts), *shape[1:]), dtype
        return ((len(parts), *shape) if expr[1] == "stack" else shape), dtype
    if tag == "uncombine":
        shape, dtype = infer(expr[4], meta)
        if expr[1] == "concat":
            return (shape[0] // expr[3], *shape[1:]), dtype
        return (shape[1:] if expr[1] == "stack" else shape), dtype
    if tag == "op":
        shape, dtype = infer(expr[3], meta)
        # Layout ops only move elements: apply them to a zero-size stand-in of the shape.
        probe = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), shape, (0,) * len(shape))
        return LAYOUT_OPS[expr[1]](probe, *expr[2]).shape, dtype
    raise ValueError(f"unknown plan node {tag!r}")
