"""Verify one hub op: every installed mapping against a reference mapping, by hypothesis.

For each (reference, framework) pair hypothesis draws inputs from the spec
(:mod:`strategies`); an input the reference rejects (raises) is not in the op's domain and
is discarded. A result outside tolerance, or an exception where the reference succeeded,
is a failure, which hypothesis shrinks to a minimal counterexample printed as a runnable
snippet for both frameworks. The reference is NumPy's mapping when there is one, else the
first in the ontology's framework order; when it agrees with fewer than half of the
others the next candidate is tried, and the round with the most agreement is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis.errors import FailedHealthCheck, Flaky, HypothesisException, Unsatisfiable

from switcheroo.ontology.odl import FRAMEWORK_KEYS, OpKind, OpSpec, OpType
from switcheroo.ontology.verify import adapters
from switcheroo.ontology.verify.calls import (
    PlanError,
    build_plan,
    execute,
    imports_for,
    literal,
    render_call,
)
from switcheroo.ontology.verify.compare import compare
from switcheroo.ontology.verify.strategies import Unsupported, check_supported, inputs_for

MAX_REFERENCE_ROUNDS = 2


@dataclass
class PairResult:
    """One framework's verdict: ``status`` is verified, failed or skipped."""

    status: str
    reason: str = ""
    max_abs_err: float = 0.0
    examples: int = 0
    reference: str | None = None
    snippet: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "max_abs_err": _finite(self.max_abs_err),
                               "reason": self.reason, "examples": self.examples}
        if self.reference:
            out["reference"] = self.reference
        if self.snippet:
            out["counterexample"] = self.snippet
        return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


class _Mismatch(AssertionError):
    """Raised inside the property so hypothesis shrinks the example."""


@dataclass
class _PairState:
    valid: int = 0
    max_err: float = 0.0
    ref_error: str = ""
    failure: tuple[dict[str, Any], str, float] | None = None
    seen: list[str] = field(default_factory=list)


def run_mapping(spec: OpSpec, framework: str, example: dict[str, Any]) -> Any:
    """The framework's result for ``example``, as NumPy."""
    return execute(build_plan(spec, framework, spec.variants[framework], example), example)


def snippet(spec: OpSpec, example: dict[str, Any], frameworks: list[str]) -> str:
    """A runnable script that feeds ``example`` to each framework's mapping and prints both."""
    plans = []
    for fw in frameworks:
        try:
            plans.append(build_plan(spec, fw, spec.variants[fw], example))
        except PlanError as e:
            plans.append(e)
    imports = sorted({"import numpy", *(i for p in plans if not isinstance(p, PlanError)
                                        for i in imports_for(p))})
    lines = [f"# swc verify counterexample for {spec.operation!r}", *imports, ""]
    lines += [f"{name} = {literal(value)}" for name, value in example.items()]
    for fw, plan in zip(frameworks, plans, strict=True):
        if isinstance(plan, PlanError):
            lines.append(f"# {fw}: {plan}")
        else:
            lines.append(f"print({fw!r}, {render_call(plan)})")
    return "\n".join(lines) + "\n"


def _error_text(e: BaseException) -> str:
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {first[:300]}"


def check_pair(spec: OpSpec, ref: str, fw: str, max_examples: int) -> PairResult:
    """Draw inputs until ``fw`` disagrees with ``ref`` or ``max_examples`` agree."""
    state = _PairState()

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              phases=(Phase.generate, Phase.shrink), print_blob=False)
    @given(inputs_for(spec))
    def prop(example: dict[str, Any]) -> None:
        try:
            expected = run_mapping(spec, ref, example)
        except Exception as e:  # the reference rejects it: outside the op's domain
            state.ref_error = _error_text(e)
            reject()
        state.valid += 1
        try:
            got = run_mapping(spec, fw, example)
        except Exception as e:  # recorded as this mapping's failure
            state.failure = (example, f"raised {_error_text(e)}", math.inf)
            raise _Mismatch from None
        outcome = compare(spec, expected, got)
        if not outcome.ok:
            state.failure = (example, outcome.why, outcome.max_abs_err)
            raise _Mismatch
        state.max_err = max(state.max_err, outcome.max_abs_err)

    try:
        prop()
    except (_Mismatch, Flaky):
        assert state.failure is not None
        example, why, err = state.failure
        return PairResult("failed", f"vs {ref}: {why}", err, state.valid, ref,
                          snippet(spec, example, [ref, fw]))
    except (Unsatisfiable, FailedHealthCheck):
        return PairResult("skipped", f"no drawn input accepted by reference {ref}: "
                          f"{state.ref_error}", 0.0, 0, ref)
    except Unsupported as e:
        return PairResult("skipped", f"inputs: {e}", 0.0, 0, ref)
    except HypothesisException as e:
        return PairResult("skipped", f"hypothesis: {_error_text(e)}", 0.0, state.valid, ref)
    if state.valid == 0:
        return PairResult("skipped", f"no drawn input accepted by reference {ref}: "
                          f"{state.ref_error}", 0.0, 0, ref)
    return PairResult("verified", "", state.max_err, state.valid, ref)


def _candidates(frameworks: list[str]) -> list[str]:
    order = ["numpy", *FRAMEWORK_KEYS]
    return sorted(frameworks, key=order.index)


def out_of_scope(spec: OpSpec) -> str | None:
    """Why the verifier does not run this spec at all, or None."""
    if spec.kind is not OpKind.function:
        return f"kind {spec.kind.value}: only functions are verified"
    if spec.op_type is not OpType.function:
        return f"op_type {spec.op_type.value}: only plain calls are verified"
    try:
        check_supported(spec)
    except Unsupported as e:
        return f"inputs: {e}"
    return None


def verify_op(spec: OpSpec, frameworks: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every selected framework's verdict for one op (see the module docstring)."""
    mapped = [fw for fw in frameworks if fw in spec.variants]
    results: dict[str, PairResult] = {}
    runnable: list[str] = []
    for fw in mapped:
        why = _unrunnable(spec, fw)
        if why:
            results[fw] = PairResult("skipped", why)
        else:
            runnable.append(fw)
    scope = out_of_scope(spec)
    if scope:
        results.update({fw: PairResult("skipped", scope) for fw in runnable})
        return results
    if not runnable:
        return results
    if len(runnable) == 1:
        results[runnable[0]] = PairResult("skipped", "no second installed mapping to compare with")
        return results
    best: dict[str, PairResult] | None = None
    for ref in _candidates(runnable)[:MAX_REFERENCE_ROUNDS]:
        round_ = {fw: check_pair(spec, ref, fw, max_examples) for fw in runnable if fw != ref}
        agreed = sum(r.status == "verified" for r in round_.values())
        round_[ref] = _reference_verdict(ref, round_)
        if best is None or _score(round_) > _score(best):
            best = round_
        if 2 * agreed >= len(runnable) - 1:
            break
    assert best is not None
    results.update(best)
    return results


def _score(round_: dict[str, PairResult]) -> int:
    return sum(r.status == "verified" for r in round_.values())


def _reference_verdict(ref: str, others: dict[str, PairResult]) -> PairResult:
    agreed = [fw for fw, r in others.items() if r.status == "verified"]
    if agreed:
        err = max(others[fw].max_abs_err for fw in agreed)
        examples = max(others[fw].examples for fw in agreed)
        return PairResult("verified", f"reference; agrees with {', '.join(agreed)}", err, examples)
    if all(r.status == "skipped" for r in others.values()):
        return PairResult("skipped", next(iter(others.values())).reason)
    if len(others) == 1:  # one disagreeing partner: no evidence which side is wrong
        (partner,) = others
        return PairResult("skipped", f"reference; its only partner {partner} disagrees")
    return PairResult("failed", "reference; no other mapping agrees with it", math.inf)


def _unrunnable(spec: OpSpec, fw: str) -> str | None:
    if fw not in adapters.ADAPTERS:
        return f"no verify adapter for {fw}"
    if adapters.load(fw) is None:
        return f"{fw} not installed"
    variant = spec.variants[fw]
    have = adapters.version(fw) or "0"
    if variant.min_version and _vkey(have) < _vkey(variant.min_version):
        return f"{fw} {have} older than min_version {variant.min_version}"
    if variant.max_version and _vkey(have) > _vkey(variant.max_version):
        return f"{fw} {have} newer than max_version {variant.max_version}"
    return None


def _vkey(v: str) -> tuple[int, ...]:
    out = []
    for part in v.split("+")[0].split("."):
        digits = "".join(c for c in part if c.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)
