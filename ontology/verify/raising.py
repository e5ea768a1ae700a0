"""Verification in the raising direction: does a framework API, called as sources call it,
compute the hub op it raises to?

``swc verify`` checks lowering: the hub op, every argument said, against each framework's
spelling. Raising reads the source's own call, which leaves optional arguments to the
framework's defaults; where one differs from the spec's (``torch.std`` divides by n - 1,
NumPy's by n) the variant must say it in ``defaults`` so raising fills it in. This audit
calls each raisable API of a one-tensor op with the tensor alone and compares the result
with NumPy's spelling of the hub op, given the spec's defaults and the variant's
``defaults``; a mismatch is a silent mis-raise. Only the ``x``-only call form is drawn
(most defaults live on reductions and activations taking one tensor); ops whose result is
random, a pair the raising selects from, or not an array are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.ontology.verify import adapters
from switcheroo.ontology.verify.calls import resolve

REFERENCE_FRAMEWORK = "numpy"
# Inputs inside most one-tensor domains (log, acos, atanh): float32, no ties, no zeros;
# the second has an even count along every axis, where medians and quantiles split.
INPUTS = (
    np.array([[0.31, 0.77, 0.12, 0.58], [0.93, 0.45, 0.26, 0.69], [0.38, 0.84, 0.51, 0.17]], np.float32),
    np.array([[0.62, 0.14, 0.88, 0.35], [0.21, 0.73, 0.47, 0.96]], np.float32),
)
# Ops whose result holds whatever memory held: no two calls need agree.
UNINITIALIZED = ("empty", "empty_like")


@dataclass(frozen=True)
class Finding:
    """One raisable API checked against the hub op's NumPy spelling."""

    operation: str
    framework: str
    api: str
    status: str  # "ok", "mismatch", "error" (the call or the reference raised)
    detail: str = ""

    def __str__(self) -> str:
        tail = f": {self.detail}" if self.detail else ""
        return f"{self.status:8} {self.framework}:{self.api} -> {self.operation}{tail}"


def _one_tensor(spec: OpSpec) -> bool:
    required = [a.name for a in spec.std_args if not a.has_default and not a.is_variadic]
    return spec.kind.value == "function" and required == ["x"]


def raisable(spec: OpSpec, frameworks: list[str]) -> list[tuple[str, Variant]]:
    """The (framework, variant) pairs raising reads as ``spec`` from a call with ``x`` alone."""
    out = []
    for framework, variant in sorted(spec.variants.items()):
        if framework not in frameworks or framework == REFERENCE_FRAMEWORK:
            continue
        if variant.direction == "lower" or not variant.api or variant.output_select_index is not None \
                or variant.inject_args or variant.requires_plugin or variant.layout_map is not None:
            continue  # a form this audit does not draw (see the module docstring)
        out.append((framework, variant))
    return out


def _reference(spec: OpSpec, reference: Variant, defaults: dict[str, Any], x: np.ndarray) -> Any:
    kwargs = {reference.args.get(n, n): v for n, v in defaults.items() if spec.arg(n) is not None}
    for name, value in list(kwargs.items()):
        std = next((s for s, f in reference.args.items() if f == name), name)
        table = reference.arg_values.get(std)
        if table and value in table:
            kwargs[name] = table[value]
    fn, _ = resolve(reference.api)
    return fn(x, **kwargs)


def check_api(spec: OpSpec, framework: str, variant: Variant) -> Finding:
    """Call ``variant.api(x)`` and NumPy's spelling of ``spec`` on each input; compare."""
    reference = spec.variants.get(REFERENCE_FRAMEWORK)
    mod = adapters.load(framework)
    for x in INPUTS:
        try:
            want = np.asarray(_reference(spec, reference, variant.defaults, x.copy()))
        except Exception as e:  # noqa: BLE001 - the reference rejects the input: not drawn
            return Finding(spec.operation, framework, variant.api, "error", f"reference: {type(e).__name__}: {e}")
        try:
            fn, _ = resolve(variant.api)
            got = adapters.to_numpy(framework, fn(adapters.ADAPTERS[framework].to_native(mod, x.copy())))
        except Exception as e:  # noqa: BLE001 - the API needs more than x: not this call form
            return Finding(spec.operation, framework, variant.api, "error", f"{type(e).__name__}: {e}"[:160])
        if isinstance(got, tuple) or want.dtype == object:
            return Finding(spec.operation, framework, variant.api, "error", "not one array")
        got = np.asarray(got)
        if got.shape != want.shape:
            return Finding(spec.operation, framework, variant.api, "mismatch",
                           f"shape {got.shape} != {want.shape} on a {x.shape} input")
        if not np.allclose(got, want, rtol=1e-5, atol=1e-5, equal_nan=True):
            return Finding(spec.operation, framework, variant.api, "mismatch",
                           f"{np.ravel(got)[:3]} != {np.ravel(want)[:3]} on a {x.shape} input")
    return Finding(spec.operation, framework, variant.api, "ok")


def audit(frameworks: list[str] | None = None, operations: list[str] | None = None) -> list[Finding]:
    """Every raisable one-tensor API of the installed ``frameworks`` (all by default)."""
    onto = load_ontology()
    if adapters.load(REFERENCE_FRAMEWORK) is None:
        return []
    names = adapters.installed(frameworks or sorted(adapters.ADAPTERS))
    findings = []
    for name in operations or sorted(onto.specs):
        spec = onto.specs[name]
        if not _one_tensor(spec) or spec.variants.get(REFERENCE_FRAMEWORK) is None or name in UNINITIALIZED:
            continue
        ref = spec.variants[REFERENCE_FRAMEWORK]
        if not ref.api or ref.compose is not None or ref.requires_plugin:
            continue
        for framework, variant in raisable(spec, names):
            findings.append(check_api(spec, framework, variant))
    return findings


def main() -> None:
    """``python -m switcheroo.ontology.verify.raising [framework ...]``: print the findings."""
    import sys

    for finding in audit(sys.argv[1:] or None):
        if finding.status != "ok":
            print(finding)


if __name__ == "__main__":
    main()
