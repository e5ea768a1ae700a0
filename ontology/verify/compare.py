"""Compare a mapping's result with the reference's, within the op's declared tolerance.

Floats: ``|got - ref| <= atol + rtol * |ref|`` element-wise, with nan where nan is and
the same infinities; the tolerance is the spec's ``test_rtol``/``test_atol`` (which ODL
only accepts with a ``tolerance_reason``) or float32's default. Integers and booleans, and
every result of a ``verification_mode: exact`` spec, must be equal. Shapes must be equal
and dtypes of the same kind (bool, integer, float, complex); widths may differ, since JAX
keeps 32 bits by default. Nondeterministic ops compare shape, dtype kind and, for floats,
mean and spread within a sampling bound. Results that are not unique (``empty``'s
values, a partition's order, eigenvectors' signs) are checked by the property the op
defines, per ``verification_mode`` (see :mod:`properties`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from switcheroo.ontology.odl import OpSpec
from switcheroo.ontology.verify import properties

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-6
_KIND = {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}


@dataclass(frozen=True)
class Outcome:
    """``ok`` with the largest absolute error seen and, when not ok, why."""

    ok: bool
    max_abs_err: float = 0.0
    why: str = ""


def tolerance(spec: OpSpec) -> tuple[float, float]:
    """(rtol, atol) for the spec: its own, with a reason in the ODL, or float32's."""
    rtol = DEFAULT_RTOL if spec.test_rtol is None else spec.test_rtol
    atol = DEFAULT_ATOL if spec.test_atol is None else spec.test_atol
    return rtol, atol


def compare(spec: OpSpec, ref: Any, got: Any, example: dict[str, Any] | None = None) -> Outcome:
    """Whether ``got`` matches ``ref`` (both already converted to NumPy); the property
    modes also read the inputs, ``example``."""
    try:
        if spec.verification_mode in _PROPERTIES and example is not None:
            return Outcome(*_PROPERTIES[spec.verification_mode](spec, ref, got, example))
        return _compare(spec, ref, got)
    except (TypeError, ValueError) as e:  # results of kinds that do not compare
        return Outcome(
            False, math.inf, f"cannot compare {_describe(got)} with {_describe(ref)}: {e}"
        )


def _compare(spec: OpSpec, ref: Any, got: Any) -> Outcome:
    if isinstance(ref, tuple) or isinstance(got, tuple):
        if not (isinstance(ref, tuple) and isinstance(got, tuple)) or len(ref) != len(got):
            return Outcome(
                False, math.inf, f"structure differs: {_describe(got)} vs {_describe(ref)}"
            )
        worst = Outcome(True)
        for i, (r, g) in enumerate(zip(ref, got, strict=True)):
            one = _compare(spec, r, g)
            if not one.ok:
                return Outcome(False, one.max_abs_err, f"output {i}: {one.why}")
            worst = max(worst, one, key=lambda o: o.max_abs_err)
        return worst
    if not _arrayish(ref) or not _arrayish(got):
        same = type(ref) is type(got) and ref == got
        return Outcome(same, 0.0 if same else math.inf, "" if same else f"{got!r} != {ref!r}")
    r, g = np.asarray(ref), np.asarray(got)
    if r.dtype == object or g.dtype == object:
        same = r.shape == g.shape and bool(np.all(r == g))
        return Outcome(same, 0.0 if same else math.inf, "" if same else f"{got!r} != {ref!r}")
    if r.shape != g.shape:
        return Outcome(False, math.inf, f"shape {g.shape} != reference shape {r.shape}")
    rk, gk = _KIND.get(r.dtype.kind, r.dtype.name), _KIND.get(g.dtype.kind, g.dtype.name)
    if rk != gk:
        return Outcome(
            False, math.inf, f"dtype {g.dtype} is not of the reference's kind ({r.dtype})"
        )
    if spec.nondeterministic:
        return _statistics(spec, r, g)
    if rk in ("bool", "int") or spec.verification_mode == "exact":
        return _exact(r, g)
    return _close(spec, r, g)


def _close_check(spec: OpSpec) -> Any:
    def close(ref: Any, got: Any) -> properties.Check:
        o = _compare(spec.model_copy(update={"verification_mode": "approx"}), ref, got)
        return o.ok, o.max_abs_err, o.why

    return close


_PROPERTIES: dict[str, Any] = {
    "shape_only": lambda spec, ref, got, example: properties.shape_only(ref, got),
    "partition": lambda spec, ref, got, example: properties.partition(ref, got, example),
    "argpartition": lambda spec, ref, got, example: properties.argpartition(ref, got, example),
    "eigh": lambda spec, ref, got, example: properties.eigh(
        ref, got, example, *tolerance(spec), _close_check(spec)
    ),
    "svd": lambda spec, ref, got, example: properties.svd(
        ref, got, example, *tolerance(spec), _close_check(spec)
    ),
}


def _arrayish(x: Any) -> bool:
    return isinstance(x, np.ndarray | np.generic | int | float | complex | bool)


def _describe(x: Any) -> str:
    if isinstance(x, tuple):
        return f"tuple of {len(x)}"
    return f"array{np.shape(x)}" if _arrayish(x) else type(x).__name__


def _exact(r: np.ndarray, g: np.ndarray) -> Outcome:
    if r.dtype.kind == g.dtype.kind == "f" and r.dtype != g.dtype:
        # Exact at the narrower width: JAX gives float32 where NumPy gives float64.
        narrow = min(r.dtype, g.dtype, key=lambda d: d.itemsize)
        r, g = r.astype(narrow), g.astype(narrow)
    equal = (r == g) | (_isnan(r) & _isnan(g))
    if bool(np.all(equal)):
        return Outcome(True)
    idx = tuple(int(i) for i in np.argwhere(~equal)[0])
    with np.errstate(invalid="ignore"):  # inf - inf: no finite error to report
        wide = np.complex128 if "c" in (r.dtype.kind, g.dtype.kind) else np.float64
        err = float(np.max(np.abs(r.astype(wide) - g.astype(wide))))
    return Outcome(False, err, f"not equal at {idx}: got {g[idx]!r}, expected {r[idx]!r}")


def _isnan(x: np.ndarray) -> np.ndarray:
    return np.isnan(x) if x.dtype.kind in "fc" else np.zeros(x.shape, bool)


def _close(spec: OpSpec, r: np.ndarray, g: np.ndarray) -> Outcome:
    rtol, atol = tolerance(spec)
    r64, g64 = (
        r.astype(np.complex128 if r.dtype.kind == "c" else np.float64),
        g.astype(np.complex128 if g.dtype.kind == "c" else np.float64),
    )
    ok = np.isclose(g64, r64, rtol=rtol, atol=atol, equal_nan=True)
    both = np.isfinite(r64) & np.isfinite(g64)
    err = float(np.max(np.abs(g64[both] - r64[both]), initial=0.0))
    if bool(np.all(ok)):
        return Outcome(True, err)
    idx = tuple(int(i) for i in np.argwhere(~ok)[0])
    return Outcome(
        False,
        err if err else math.inf,
        f"mismatch at {idx}: got {g[idx]!r}, expected {r[idx]!r} (rtol={rtol}, atol={atol})",
    )


MIN_SAMPLE = 30  # fewer values say nothing about a distribution; shape and kind still count


def _statistics(spec: OpSpec, r: np.ndarray, g: np.ndarray) -> Outcome:
    """Random results: means within six standard errors of each other."""
    if r.dtype.kind not in "fc" or r.size < MIN_SAMPLE:
        return Outcome(True)
    _, atol = tolerance(spec)
    rf, gf = r[np.isfinite(r)].astype(np.float64), g[np.isfinite(g)].astype(np.float64)
    if rf.size != gf.size:
        return Outcome(False, math.inf, f"{gf.size} finite values, reference has {rf.size}")
    if rf.size == 0:
        return Outcome(True)
    gap = abs(float(rf.mean() - gf.mean()))
    bound = 6 * math.sqrt((rf.var() + gf.var()) / rf.size) + atol
    if gap <= bound:
        return Outcome(True, gap)
    return Outcome(
        False, gap, f"mean {gf.mean():.6g} vs reference {rf.mean():.6g} (bound {bound:.3g})"
    )
