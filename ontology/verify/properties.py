"""Property checks for results that are not unique (a spec's ``verification_mode``).

Where two correct implementations may return different values, what the operation
defines is checked instead of equality with the reference:

- ``shape_only`` (``empty``): structure, shapes and dtype kinds; the values are
  uninitialised memory.
- ``partition`` / ``argpartition``: the kth element is in place (equal to the kth of
  the sorted input) with no larger element before it and no smaller after it, and the
  result is a permutation of the input (of its indices, for ``argpartition``); the order
  within each side is the implementation's.
- ``eigh``: eigenvalues within the tolerance of the reference's; eigenvectors by
  reconstruction, ``‖A·v − v·diag(λ)‖ <= atol + rtol·‖A‖``, and orthonormality, since
  they are unique only up to sign (up to a rotation for repeated eigenvalues).
- ``svd``: singular values within the tolerance; ``U·diag(S)·Vh`` reconstructs the input
  within ``atol + rtol·‖A‖``, and the shapes equal the reference's.

``‖·‖`` is the largest absolute row sum, a bound on the size of every eigenvalue and
singular value, so the bound is the tolerance relative to the problem's scale.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# Outcome fields without importing compare (which imports this module).
Check = tuple[bool, float, str]
_OK: Check = (True, 0.0, "")


def shape_only(ref: Any, got: Any) -> Check:
    """Structure, shapes and dtype kinds, not values."""
    if isinstance(ref, tuple) or isinstance(got, tuple):
        if not (isinstance(ref, tuple) and isinstance(got, tuple)) or len(ref) != len(got):
            return False, math.inf, "structure differs"
        for r, g in zip(ref, got, strict=True):
            one = shape_only(r, g)
            if not one[0]:
                return one
        return _OK
    r, g = np.asarray(ref), np.asarray(got)
    if r.shape != g.shape:
        return False, math.inf, f"shape {g.shape} != reference shape {r.shape}"
    if _kind(r) != _kind(g):
        return False, math.inf, f"dtype {g.dtype} is not of the reference's kind ({r.dtype})"
    return _OK


def _kind(a: np.ndarray) -> str:
    return "int" if a.dtype.kind in "iu" else a.dtype.kind


def _axis_and_kth(x: np.ndarray, example: dict[str, Any]) -> tuple[np.ndarray, int, list[int]]:
    axis = example.get("axis", -1)
    if axis is None:
        x, axis = x.reshape(-1), 0
    n = x.shape[axis] if x.ndim else 1
    kth = example["kth"]
    ks = [int(k) % n for k in (kth if isinstance(kth, list | tuple) else [kth])]
    return x, axis, ks


def _partitioned(values: np.ndarray, x_sorted: np.ndarray, ks: list[int]) -> str:
    """Why ``values`` (moved to the last axis) is not partitioned at ``ks``, or ''."""

    def le(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # nan sorts last
        return (a <= b) | np.isnan(b) if b.dtype.kind in "fc" else a <= b

    for k in ks:
        pivot = values[..., k : k + 1]
        want = x_sorted[..., k]
        same = (pivot[..., 0] == want) | (np.isnan(want) & np.isnan(pivot[..., 0]))
        if not bool(np.all(same)):
            return f"element {k} is not the kth smallest"
        if not bool(np.all(le(values[..., :k], pivot))) or not bool(
            np.all(le(pivot, values[..., k + 1 :]))
        ):
            return f"not partitioned around element {k}"
    return ""


def partition(ref: Any, got: Any, example: dict[str, Any]) -> Check:
    """``got`` is a partition of the input ``x`` at ``kth`` along ``axis``."""
    same = shape_only(ref, got)
    if not same[0]:
        return same
    x, axis, ks = _axis_and_kth(np.asarray(example["x"]), example)
    g = np.moveaxis(np.asarray(got).reshape(x.shape), axis, -1) if x.ndim else np.asarray(got)
    xs = np.sort(np.moveaxis(x, axis, -1), axis=-1) if x.ndim else x
    if x.ndim == 0:
        ok = bool(g == x) or bool(np.isnan(g) & np.isnan(x))
        return (True, 0.0, "") if ok else (False, math.inf, "not the input")
    if not np.array_equal(np.sort(g, axis=-1), xs, equal_nan=g.dtype.kind in "fc"):
        return False, math.inf, "not a permutation of the input"
    why = _partitioned(g, xs, ks)
    return (False, math.inf, why) if why else _OK


def argpartition(ref: Any, got: Any, example: dict[str, Any]) -> Check:
    """``got`` holds indices that partition the input ``x`` at ``kth`` along ``axis``."""
    same = shape_only(ref, got)
    if not same[0]:
        return same
    x, axis, ks = _axis_and_kth(np.asarray(example["x"]), example)
    if x.ndim == 0:
        return (True, 0.0, "") if int(np.asarray(got)) == 0 else (False, math.inf, "index not 0")
    idx = np.moveaxis(np.asarray(got).reshape(x.shape).astype(np.int64), axis, -1)
    xm = np.moveaxis(x, axis, -1)
    if not np.array_equal(
        np.sort(idx, axis=-1), np.broadcast_to(np.arange(xm.shape[-1]), idx.shape)
    ):
        return False, math.inf, "not a permutation of the indices"
    why = _partitioned(np.take_along_axis(xm, idx, axis=-1), np.sort(xm, axis=-1), ks)
    return (False, math.inf, why) if why else _OK


def _norm(a: np.ndarray) -> np.ndarray:
    """Largest absolute row sum of each matrix in a stack, shaped to broadcast back."""
    return np.abs(a).sum(axis=-1).max(axis=-1)[..., None, None]


def _within(residual: np.ndarray, scale: np.ndarray, rtol: float, atol: float, what: str) -> Check:
    bound = atol + rtol * scale
    excess = np.abs(residual) - bound
    worst = float(np.max(np.abs(residual), initial=0.0))
    if bool(np.all(excess <= 0)):
        return True, worst, ""
    idx = tuple(int(i) for i in np.argwhere(excess > 0)[0])
    return False, worst, f"{what} off by {float(np.abs(residual)[idx]):.3g} at {idx}"


def eigh(
    ref: Any, got: Any, example: dict[str, Any], rtol: float, atol: float, close: Any
) -> Check:
    """Eigenvalues as the reference's; eigenvectors by reconstruction (module docstring)."""
    if not isinstance(got, tuple):
        return close(ref, got)  # eigenvalues only
    same = shape_only(ref, got)
    if not same[0]:
        return same
    values = close(ref[0], got[0])
    if not values[0]:
        return False, values[1], f"eigenvalues: {values[2]}"
    a = np.asarray(example["x"], np.float64)
    w, v = np.asarray(got[0], np.float64), np.asarray(got[1], np.float64)
    recon = _within(a @ v - v * w[..., None, :], _norm(a), rtol, atol, "A·v − λ·v")
    if not recon[0]:
        return recon
    eye = np.eye(v.shape[-1])
    ortho = _within(np.swapaxes(v, -1, -2) @ v - eye, np.ones_like(eye), rtol, atol, "vᵀ·v − I")
    return ortho if not ortho[0] else (True, max(values[1], recon[1]), "")


def svd(ref: Any, got: Any, example: dict[str, Any], rtol: float, atol: float, close: Any) -> Check:
    """Singular values as the reference's; ``U·diag(S)·Vh`` reconstructs the input."""
    if not isinstance(got, tuple):
        return close(ref, got)  # singular values only
    same = shape_only(ref, got)
    if not same[0]:
        return same
    u, s, vh = (np.asarray(t, np.float64) for t in got)
    values = close(ref[1], got[1])
    if not values[0]:
        return False, values[1], f"singular values: {values[2]}"
    k = s.shape[-1]
    a = np.asarray(example["x"], np.float64)
    recon = (u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :]
    return _within(recon - a, _norm(a), rtol, atol, "U·S·Vh − A")
