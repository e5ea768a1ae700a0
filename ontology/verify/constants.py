"""Verify constant mappings (``pi``, ``e``, ``inf``, ``nan``, ``newaxis``, dtypes) exactly.

A constant is lowered as a reference to the target's name (``torch.pi``), or as a composed
expression (Keras's ``math.pi``). Each framework's value is read exactly so, turned into
what it denotes through NumPy (a float as float64, a dtype as ``numpy.dtype``, ``None``
as itself) and compared with the reference's for equality, nan equal to nan.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from switcheroo.ontology.odl import FRAMEWORK_KEYS, OpSpec
from switcheroo.ontology.verify.calls import build_plan, execute, imports_for, render_call, resolve
from switcheroo.ontology.verify.check import PairResult


def denoted(value: Any) -> Any:
    """What a constant denotes, comparable across frameworks."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float | np.floating | np.integer):
        return float(value)
    try:
        return np.dtype(value)  # torch.float32, jnp.float32, tf.float32 ... as NumPy dtypes
    except TypeError:
        pass
    as_numpy = getattr(value, "as_numpy_dtype", None)  # tensorflow.DType
    if as_numpy is not None:
        return np.dtype(as_numpy)
    to_np = getattr(value, "numpy", None)
    if callable(to_np):
        return denoted(to_np())
    name = str(value).rsplit(".", 1)[-1]  # mlx.core.float32: a dtype known by its name
    if name in np.sctypeDict:
        return np.dtype(name)
    return np.asarray(value).item() if np.ndim(value) == 0 else value


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return type(a) is type(b) and a == b


def _value(spec: OpSpec, fw: str) -> tuple[Any, str]:
    """The framework's constant and the source a conversion writes for it."""
    variant = spec.variants[fw].lower or spec.variants[fw]
    plan = build_plan(spec, fw, spec.variants[fw], {})
    if variant.compose is not None:
        return execute(plan, {}), render_call(plan)
    return resolve(variant.api)[0], variant.api


def _named_dtype(name: str) -> np.dtype:
    """The NumPy dtype a name says; bfloat16 is known once ``ml_dtypes`` (a JAX dependency) is loaded."""
    try:
        import ml_dtypes  # noqa: F401 - registers bfloat16 with NumPy
    except ImportError:
        pass
    return np.dtype(name)


def verify_constant(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for a constant spec (see the module docstring)."""
    values: dict[str, Any] = {}
    out: dict[str, PairResult] = {}
    for fw in runnable:
        try:
            raw, _ = _value(spec, fw)
            if spec.return_type == "dtype" and isinstance(raw, str):
                raw = _named_dtype(raw)  # Keras names dtypes: "float32"
            values[fw] = denoted(raw)
        except Exception as e:  # noqa: BLE001 - a name that does not resolve is a failure
            out[fw] = PairResult("failed", f"raised {type(e).__name__}: {e}", math.inf, 1)
    order = ["numpy", *FRAMEWORK_KEYS]
    candidates = sorted(values, key=order.index)
    if not candidates:
        return out
    # The reference: the value most frameworks agree on (ties: the ODL order).
    ref = max(candidates, key=lambda c: sum(same(values[c], values[o]) for o in candidates))
    agreed = [fw for fw in candidates if fw != ref and same(values[fw], values[ref])]
    for fw in candidates:
        if fw == ref:
            continue
        if fw in agreed:
            out[fw] = PairResult("verified", "", 0.0, 1, ref)
        else:
            why = f"vs {ref}: {values[fw]!r} != {values[ref]!r}"
            out[fw] = PairResult("failed", why, math.inf, 1, ref, _snippet(spec, [ref, fw]))
    if agreed:
        out[ref] = PairResult("verified", f"reference; agrees with {', '.join(agreed)}", 0.0, 1)
    elif len(candidates) == 1:
        out[ref] = PairResult("skipped", "no second installed mapping to compare with")
    else:
        out[ref] = PairResult("failed", "reference; no other mapping agrees with it", math.inf, 1)
    return out


def _snippet(spec: OpSpec, fws: list[str]) -> str:
    imports = {"import numpy"}
    lines = []
    for fw in fws:
        plan = build_plan(spec, fw, spec.variants[fw], {})
        imports.update(imports_for(plan))
        _, src = _value(spec, fw)
        lines.append(f"print({fw!r}, repr({src}))")
    head = [f"# swc verify counterexample for {spec.operation!r}", *sorted(imports), ""]
    return "\n".join([*head, *lines]) + "\n"
