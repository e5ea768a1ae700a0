"""Verify one hub op: every installed mapping against a reference mapping, by hypothesis.

A survey draws inputs from the spec (:mod:`strategies`) and runs every framework on each;
an input the reference rejects (raises) is not in the op's domain and is discarded. A
result outside tolerance, or an exception where the reference succeeded, is a failure;
for each failing framework a second, pairwise hypothesis run shrinks it to a minimal
counterexample, printed as a runnable snippet for both frameworks. The reference is
NumPy's mapping when there is one, else the first in the ontology's framework order; when
it agrees with fewer than half of the others the next candidate is tried, and the survey
with the most agreement is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis.errors import FailedHealthCheck, Flaky, HypothesisException, Unsatisfiable
from hypothesis.internal.conjecture import engine as _engine
from switcheroo.ontology.odl import FRAMEWORK_KEYS, OpKind, OpSpec, OpType
from switcheroo.ontology.verify import adapters, kinds, references
from switcheroo.ontology.verify.argtypes import Role, classify
from switcheroo.ontology.verify.calls import NotApplicable, build_plan, execute, snippet
from switcheroo.ontology.verify.compare import compare
from switcheroo.ontology.verify.domains import with_domain
from switcheroo.ontology.verify.strategies import (
    Unsupported,
    check_supported,
    flush_subnormals,
    has_subnormals,
    inputs_for,
)

MAX_REFERENCE_ROUNDS = 2
REJECT_LIMIT = 15  # inputs in a row the reference may reject before it is given up on
SHRINK_SECONDS = 20
# Dtypes for tensors whose ODL names none: float32 first; integers only when the
# reference accepts no float input at all (bitwise ops in a spec without dtypes).
UNTYPED_TRIES = (("float32",), ("int32", "int64"))


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
        out: dict[str, Any] = {
            "status": self.status,
            "max_abs_err": _finite(self.max_abs_err),
            "reason": self.reason,
            "examples": self.examples,
        }
        if self.reference:
            out["reference"] = self.reference
        if self.snippet:
            out["counterexample"] = self.snippet
        return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


class _Mismatch(AssertionError):
    """Raised inside the property so hypothesis shrinks the example."""


# (example, why, max_abs_err) of one disagreement.
Failure = tuple[dict[str, Any], str, float]


@dataclass
class _Tally:
    valid: int = 0
    max_err: float = 0.0
    failure: Failure | None = None
    not_applicable: str = ""


@dataclass
class Survey:
    """Every framework on the same drawn inputs, compared with one reference."""

    ref: str
    untyped: tuple[str, ...]
    valid: int = 0
    ref_error: str = ""
    tallies: dict[str, _Tally] = field(default_factory=dict)


_OBSERVER: list[Callable[[str], None]] = []


def observe_calls(fn: Callable[[str], None] | None) -> None:
    """Have ``fn(framework)`` called before every mapping runs (the process pool uses it
    to know which framework was running should native code kill the process)."""
    _OBSERVER[:] = [fn] if fn else []


def run_mapping(spec: OpSpec, framework: str, example: dict[str, Any]) -> Any:
    """The framework's result for ``example``, as NumPy."""
    for fn in _OBSERVER:
        fn(framework)
    return execute(build_plan(spec, framework, spec.variants[framework], example), example)


def _error_text(e: BaseException) -> str:
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {first[:300]}"


def _settings(max_examples: int, shrink: bool) -> settings:
    phases = (Phase.generate, Phase.shrink) if shrink else (Phase.generate,)
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        phases=phases,
        print_blob=False,
    )


def _one(
    spec: OpSpec, ref: str, fw: str, example: dict[str, Any], expected: Any
) -> tuple[bool | None, str, float]:
    """Does ``fw`` agree with ``expected`` (the reference's result) on ``example``?
    ``None`` when a conversion would not apply the mapping to this input."""
    try:
        got = run_mapping(spec, fw, example)
    except NotApplicable as e:
        return None, str(e), 0.0
    except Exception as e:  # noqa: BLE001 - any framework error is this mapping's failure
        return False, f"raised {_error_text(e)}", math.inf
    outcome = compare(spec, expected, got, example)
    if not outcome.ok and _flush_matters(ref, fw, example):
        # One side flushes subnormals to zero: agreeing on the flushed input is enough.
        flushed = flush_subnormals(example)
        try:
            again = compare(
                spec, run_mapping(spec, ref, flushed), run_mapping(spec, fw, flushed), flushed
            )
        except Exception:  # noqa: BLE001 - a side rejects the flushed input: keep the verdict
            return outcome.ok, outcome.why, outcome.max_abs_err
        if again.ok:
            return True, "", again.max_abs_err
    return outcome.ok, outcome.why, outcome.max_abs_err


def _flush_matters(ref: str, fw: str, example: dict[str, Any]) -> bool:
    flushes = adapters.ADAPTERS[ref].flushes_subnormals or adapters.ADAPTERS[fw].flushes_subnormals
    return flushes and has_subnormals(example)


def survey(
    spec: OpSpec,
    ref: str,
    others: list[str],
    max_examples: int,
    untyped: tuple[str, ...] = UNTYPED_TRIES[0],
) -> Survey:
    """Run every framework on up to ``max_examples`` inputs the reference accepts.

    No shrinking here: a framework's first disagreement is kept, and stops it being run
    again. When the reference rejects the first REJECT_LIMIT inputs it is given up on.
    """
    sv = Survey(ref, untyped, tallies={fw: _Tally() for fw in others})
    rejected = [0]

    @_settings(max_examples, shrink=False)
    @given(inputs_for(spec, untyped))
    def prop(example: dict[str, Any]) -> None:
        if sv.valid == 0 and rejected[0] >= REJECT_LIMIT:
            return  # given up: let hypothesis run out of examples without more calls
        try:
            expected = run_mapping(spec, ref, example)
        except Exception as e:  # noqa: BLE001 - the reference rejects it: outside the domain
            sv.ref_error = _error_text(e)
            rejected[0] += 1
            reject()
        sv.valid += 1
        for fw, tally in sv.tallies.items():
            if tally.failure is not None:
                continue
            ok, why, err = _one(spec, ref, fw, example, expected)
            if ok is None:
                tally.not_applicable = why
            elif ok:
                tally.valid += 1
                tally.max_err = max(tally.max_err, err)
            else:
                tally.failure = (example, why, err)

    try:
        prop()
    except (Unsatisfiable, FailedHealthCheck):
        pass  # valid stays 0: reported with the reference's last error
    except Unsupported as e:
        sv.valid, sv.ref_error = 0, f"inputs: {e}"
    return sv


def shrink_failure(spec: OpSpec, sv: Survey, fw: str, max_examples: int) -> Failure | None:
    """A minimal input on which ``fw`` disagrees with the survey's reference, or None."""
    found: list[Failure] = []
    ref = sv.ref

    @_settings(max_examples, shrink=True)
    @given(inputs_for(spec, sv.untyped))
    def prop(example: dict[str, Any]) -> None:
        try:
            expected = run_mapping(spec, ref, example)
        except Exception:  # noqa: BLE001 - outside the op's domain, as in survey()
            reject()
        ok, why, err = _one(spec, ref, fw, example, expected)
        if ok is False:
            found.append((example, why, err))
            raise _Mismatch

    with _shrink_budget(SHRINK_SECONDS):
        try:
            prop()
        except (_Mismatch, Flaky):
            return found[-1]  # hypothesis replays the shrunk example last
        except HypothesisException:
            return None
    return None


@contextmanager
def _shrink_budget(seconds: int) -> Iterator[None]:
    """Cap hypothesis's shrinking time. It has no public setting for this; the engine
    module's constant is read at the start of each shrink, so it is swapped around it."""
    old = getattr(_engine, "MAX_SHRINKING_SECONDS", None)
    if old is None:
        yield
        return
    _engine.MAX_SHRINKING_SECONDS = seconds
    try:
        yield
    finally:
        _engine.MAX_SHRINKING_SECONDS = old


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
    spec = with_domain(spec)
    mapped = [fw for fw in frameworks if fw in spec.variants]
    results: dict[str, PairResult] = {}
    runnable: list[str] = []
    for fw in mapped:
        why = _unrunnable(spec, fw)
        if why:
            results[fw] = PairResult("skipped", why)
        else:
            runnable.append(fw)
    checker = kinds.checker_for(spec)
    if checker is not None:
        results.update(checker(spec, runnable, max_examples))
        return results
    scope = out_of_scope(spec)
    if scope:
        results.update({fw: PairResult("skipped", scope) for fw in runnable})
        return results
    if runnable and (with_ref := references.with_reference(spec)) is not None:
        # No two mappings to compare on one input: each is compared with the NumPy reference.
        return {**results, **_against_reference(with_ref, runnable, max_examples)}
    if len(runnable) < 2:
        results.update(
            {
                fw: PairResult("skipped", "no second installed mapping to compare with")
                for fw in runnable
            }
        )
        return results
    typed = any(a.dtype for a in spec.std_args if classify(a).role in (Role.tensor, Role.tensors))
    best: Survey | None = None
    for untyped in UNTYPED_TRIES[:1] if typed else UNTYPED_TRIES:
        for ref in _candidates(runnable)[:MAX_REFERENCE_ROUNDS]:
            sv = survey(spec, ref, [fw for fw in runnable if fw != ref], max_examples, untyped)
            if best is None or _agreed(sv) > _agreed(best):
                best = sv
            if sv.valid and 2 * _agreed(sv) >= len(runnable) - 1:
                break
        if best is not None and best.valid:
            break
    assert best is not None
    results.update(_verdicts(spec, best, max_examples))
    return results


def _against_reference(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Each mapping's verdict against the NumPy reference (``references.py``), which is
    never a pair itself."""
    typed = any(a.dtype for a in spec.std_args if classify(a).role in (Role.tensor, Role.tensors))
    for untyped in UNTYPED_TRIES[:1] if typed else UNTYPED_TRIES:
        sv = survey(spec, references.REFERENCE, runnable, max_examples, untyped)
        if sv.valid:
            break
    verdicts = _verdicts(spec, sv, max_examples)
    verdicts.pop(references.REFERENCE, None)
    for verdict in verdicts.values():
        if verdict.status == "verified":
            verdict.reason = "agrees with the NumPy reference in verify/references.py"
    return verdicts


def _agreed(sv: Survey) -> int:
    return sum(t.failure is None for t in sv.tallies.values()) if sv.valid else -1


def _verdicts(spec: OpSpec, sv: Survey, max_examples: int) -> dict[str, PairResult]:
    ref = sv.ref
    if sv.valid == 0:
        why = f"no drawn input accepted by reference {ref}: {sv.ref_error}"
        return {fw: PairResult("skipped", why, reference=ref) for fw in [ref, *sv.tallies]}
    out: dict[str, PairResult] = {}
    for fw, tally in sv.tallies.items():
        if tally.failure is None and tally.valid == 0:
            why = f"no drawn input the conversion applies to: {tally.not_applicable}"
            out[fw] = PairResult("skipped", why, reference=ref)
            continue
        if tally.failure is None:
            out[fw] = PairResult("verified", "", tally.max_err, tally.valid, ref)
            continue
        # Shrink for a readable counterexample; keep the survey's input if shrinking
        # does not find the disagreement again.
        example, why, err = shrink_failure(spec, sv, fw, max_examples) or tally.failure
        out[fw] = PairResult(
            "failed", f"vs {ref}: {why}", err, tally.valid, ref, snippet(spec, example, [ref, fw])
        )
    agreed = [fw for fw, r in out.items() if r.status == "verified"]
    if agreed:
        err = max(out[fw].max_abs_err for fw in agreed)
        out[ref] = PairResult(
            "verified", f"reference; agrees with {', '.join(agreed)}", err, sv.valid
        )
    elif not (ran := [fw for fw, r in out.items() if r.status != "skipped"]):
        why = "reference; no partner's conversion applies to the drawn inputs"
        out[ref] = PairResult("skipped", why, reference=ref)
    elif len(ran) == 1:  # one disagreeing partner: the pair's claim is not shown either way
        out[ref] = PairResult("failed", f"reference; its only partner {ran[0]} disagrees", math.inf)
    else:
        out[ref] = PairResult("failed", "reference; no other mapping agrees with it", math.inf)
    return out


def _unrunnable(spec: OpSpec, fw: str) -> str | None:
    if fw not in adapters.ADAPTERS:
        return f"no verify adapter for {fw}"
    if adapters.load(fw) is None:
        return f"{fw} not installed"
    variant = spec.variants[fw]
    have = adapters.version(fw) or "0"
    if variant.min_version and _vkey(have) < _vkey(variant.min_version):
        return f"{fw} {have} older than min_version {variant.min_version}"
    # A max_version names a release series: '2.13' covers 2.13.0, 2.13.1, ...
    if variant.max_version and _vkey(have)[:len(_vkey(variant.max_version))] > _vkey(variant.max_version):
        return f"{fw} {have} newer than max_version {variant.max_version}"
    return None


def _vkey(v: str) -> tuple[int, ...]:
    out = []
    for part in v.split("+")[0].split("."):
        digits = "".join(c for c in part if c.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)
