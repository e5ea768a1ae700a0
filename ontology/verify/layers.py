"""Verify layer and loss mappings (``kind: layer``, ``kind: loss``).

A layer mapping claims that building the hub layer with some standard arguments and
calling it equals the target's construction and call as ``lower-hub-to-fw`` writes them.
The evidence goes through the real converter (:mod:`layer_models`): hypothesis draws the
constructor arguments from the spec's ``std_args`` (narrowed, and the call's input shapes
given, by ``layer_inputs.yaml``), a one-layer model is written in the reference framework
(torch where it has a mapping, else the first in the ontology's order) with weights that
are multiples of 1/8, converted to every other framework, given the same weights by
``switcheroo.weights.transfer`` and called on the same inputs in inference mode. A failure
carries a runnable snippet (both models, the weights, the transfer and the inputs).

A loss (``kind: loss``) is a function of tensors: a model whose call applies it is
converted the same way (so the conversion's ``reduce_loss`` rewriting is checked too), on
inputs drawn as a function's within the domains of the ``losses`` section of
``layer_inputs.yaml`` (class ids below the class count, probabilities in [0, 1]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import given, reject
from hypothesis import strategies as st
from hypothesis.errors import FailedHealthCheck, Unsatisfiable
from switcheroo.ontology.odl import FRAMEWORK_KEYS, OpSpec, StdArg
from switcheroo.ontology.verify import layer_models as lm
from switcheroo.ontology.verify.argtypes import Role, classify
from switcheroo.ontology.verify.calls import NotApplicable, PlanError
from switcheroo.ontology.verify.check import REJECT_LIMIT, PairResult, _error_text, _settings
from switcheroo.ontology.verify.compare import compare
from switcheroo.ontology.verify.layer_cases import (
    TABLE,
    Case,
    layer_case,
    loss_case,
    table,
    undrawable,
)
from switcheroo.ontology.verify.layer_references import LAYER_REFERENCES, verify_against_reference
from switcheroo.ontology.verify.strategies import Unsupported, check_supported

# Constructor draws per layer: each is a model written, converted and built per framework.
LAYER_EXAMPLES = 6
# Arguments a target cannot express that are set to its own value, one by one, before an
# example is given up on for that target.
MAX_REEXPRESS = 3


@dataclass
class _Tally:
    valid: int = 0
    max_err: float = 0.0
    failure: tuple[str, float, str | None] | None = None  # why, error, snippet
    # A drawn value the converter says the target cannot express (it keeps the source
    # layer, marked unmapped): no evidence either way, as for a function's drop_args.
    not_applicable: str = ""
    # Why only some of the call's results were compared (the target returns fewer).
    partial: str = ""
    # Argument values the converter marks unmapped for this target (evidence was taken
    # with the target's own value instead), by argument.
    unmapped: dict[str, str] = field(default_factory=dict)


@dataclass
class _Survey:
    ref: str
    valid: int = 0
    ref_error: str = ""
    tallies: dict[str, _Tally] = field(default_factory=dict)


# -- the survey ---------------------------------------------------------------------------
def _reference(spec: OpSpec, runnable: list[str]) -> str:
    """torch where it has a mapping, else the first in ODL order; never a ``direction:
    lower`` variant, whose API a conversion from that framework reads as another op."""
    order = [*FRAMEWORK_KEYS, "numpy"]
    sources = [fw for fw in runnable if spec.variants[fw].direction != "lower"] or runnable
    return min(sources, key=lambda fw: order.index(fw) if fw in order else len(order))


@dataclass
class _Built:
    """The reference model of one source, with its weights and result."""

    source: str
    model: Any
    weights: dict[str, np.ndarray]
    expected: Any
    use: tuple[str, ...] | None = None


def _build_reference(ref: str, case: Case, use: tuple[str, ...] | None = None) -> _Built:
    arrays = list(case.inputs.values())
    source = case.source(use)
    model = lm.build(lm.load_source(source), ref, arrays)
    weights = lm.draw_weights(model, ref, case.seed)
    lm.set_weights(model, ref, weights)
    return _Built(source, model, weights, lm.run(model, ref, arrays), use)


def _survey(
    spec: OpSpec, cases: st.SearchStrategy[Case], ref: str, others: list[str], examples: int
) -> _Survey:
    sv = _Survey(ref, tallies={fw: _Tally() for fw in others})
    compared = spec.model_copy(update={"nondeterministic": False})  # inference mode
    converted: dict[tuple[str, str], str | lm.ConversionError] = {}
    rejected = [0]

    @_settings(examples, shrink=False)
    @given(cases)
    def prop(case: Case) -> None:
        if sv.valid == 0 and rejected[0] >= REJECT_LIMIT:
            return
        try:
            built = _build_reference(ref, case)
        except Exception as e:  # noqa: BLE001 - the reference rejects it: outside the domain
            sv.ref_error = _error_text(e)
            rejected[0] += 1
            reject()
        sv.valid += 1
        for fw, tally in sv.tallies.items():
            if tally.failure is None:
                _check_one(spec, compared, ref, fw, tally, case, built, converted)

    try:
        prop()
    except (Unsatisfiable, FailedHealthCheck):
        pass  # valid stays 0: reported with the reference's last error
    return sv


def _converted(
    spec: OpSpec,
    ref: str,
    fw: str,
    source: str,
    cache: dict[tuple[str, str], str | lm.ConversionError],
) -> str | lm.ConversionError:
    key = (fw, source)
    if key not in cache:
        try:
            cache[key] = lm.convert(spec, source, ref, fw)
        except lm.ConversionError as e:
            cache[key] = e
    return cache[key]


def _check_one(
    spec: OpSpec,
    compared: OpSpec,
    ref: str,
    fw: str,
    tally: _Tally,
    case: Case,
    built: _Built,
    cache: dict[tuple[str, str], str | lm.ConversionError],
) -> None:
    """Convert the reference model to ``fw``, copy its weights, run, compare."""
    from switcheroo.weights import transfer

    code = _converted(spec, ref, fw, built.source, cache)
    if (
        isinstance(code, lm.ConversionError)
        and not code.value_level
        and spec.call
        and isinstance(spec.call.returns, list)
    ):
        # The target's call may return fewer results (keras LSTM: only the sequence): the
        # first result is still evidence, compared on a model that uses only it.
        first = (lm.flat_returns(spec.call.returns)[0],)
        partial = _build_reference(ref, case, first)
        again = _converted(spec, ref, fw, partial.source, cache)
        if not isinstance(again, lm.ConversionError) or again.value_level:
            tally.partial = f"only {first[0]!r} compared ({code})"
        built, code = partial, again  # when both fail, why the first alone does not convert
    for _ in range(MAX_REEXPRESS):
        if not (isinstance(code, lm.ConversionError) and code.value_level):
            break
        retry = case.expressible(spec, fw, code)
        if retry is None:
            break
        try:
            rebuilt = _build_reference(ref, retry, built.use)
        except Exception:  # noqa: BLE001 - the reference rejects the target's value: no evidence
            break
        tally.unmapped.setdefault(code.argument or "", str(code).split("warning: ", 1)[-1])
        case, built = retry, rebuilt
        code = _converted(spec, ref, fw, built.source, cache)
    if isinstance(code, lm.ConversionError) and code.value_level:
        tally.not_applicable = str(code)
        return
    if isinstance(code, lm.ConversionError):
        snippet = (
            f"# swc verify: {spec.operation!r} does not convert to {fw}\n# {code}\n{built.source}"
        )
        tally.failure = (str(code), math.inf, snippet)
        return
    arrays = list(case.inputs.values())
    try:
        model = lm.build(lm.load_source(code), fw, arrays)
        transfer(built.model, model, src=ref, dst=fw)
        got = lm.run(model, fw, arrays)
    except Exception as e:  # noqa: BLE001 - any framework error is this mapping's failure
        got, why = None, f"raised {_error_text(e)}"
    else:
        outcome = compare(compared, built.expected, got)
        if outcome.ok:
            tally.valid += 1
            tally.max_err = max(tally.max_err, outcome.max_abs_err)
            return
        why = outcome.why
    snip = lm.snippet(
        spec.operation, ref, fw, {ref: built.source, fw: code}, case.inputs, built.weights
    )
    tally.failure = (why, math.inf if got is None else _err(built.expected, got), snip)


def _err(expected: Any, got: Any) -> float:
    try:
        pairs = (
            zip(expected, got, strict=True) if isinstance(expected, tuple) else [(expected, got)]
        )
        return max(
            float(np.max(np.abs(np.asarray(e, np.float64) - np.asarray(g, np.float64))))
            for e, g in pairs
        )
    except (TypeError, ValueError):
        return math.inf


def _verdicts(sv: _Survey, examples: int) -> dict[str, PairResult]:
    ref = sv.ref
    if sv.valid == 0:
        why = f"no drawn layer accepted by reference {ref}: {sv.ref_error}"
        return {fw: PairResult("failed", why, math.inf, reference=ref) for fw in [ref, *sv.tallies]}
    out: dict[str, PairResult] = {}
    for fw, t in sv.tallies.items():
        if t.failure is None and t.valid == 0:
            why = f"vs {ref}: no drawn layer converts: {t.not_applicable}"
            out[fw] = PairResult("failed", why, math.inf, 0, ref)
        elif t.failure is None:
            notes = [t.partial] if t.partial else []
            if t.unmapped:
                notes.append("kept unmapped by the converter: " + "; ".join(t.unmapped.values()))
            out[fw] = PairResult("verified", "; ".join(notes), t.max_err, t.valid, ref)
        else:
            why, err, snip = t.failure
            out[fw] = PairResult("failed", f"vs {ref}: {why}", err, t.valid, ref, snip)
    agreed = [fw for fw, r in out.items() if r.status == "verified"]
    if agreed:
        err = max(out[fw].max_abs_err for fw in agreed)
        out[ref] = PairResult(
            "verified", f"reference; agrees with {', '.join(agreed)}", err, sv.valid
        )
    elif len(out) == 1:
        out[ref] = PairResult("skipped", f"reference; its only partner {next(iter(out))} disagrees")
    else:
        out[ref] = PairResult("failed", "reference; no other mapping agrees with it", math.inf)
    return out


def verify_layer(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for one layer (see the module docstring)."""
    entry = (table().get("layers") or {}).get(spec.operation) or table()["defaults"]["layer"]
    why = undrawable(spec, entry)
    if why:
        return {fw: PairResult("skipped", f"kind layer: {why}") for fw in runnable}
    if len(runnable) == 1 and spec.operation in LAYER_REFERENCES:
        # One installed mapping: its layer against the NumPy definition.
        cases = layer_case(spec, entry, runnable[0])
        return verify_against_reference(spec, cases, runnable[0], min(max_examples, LAYER_EXAMPLES))
    if len(runnable) < 2:
        return {
            fw: PairResult("skipped", "kind layer: no second installed mapping to compare with")
            for fw in runnable
        }
    ref = _reference(spec, runnable)
    try:
        sv = _survey(
            spec,
            layer_case(spec, entry, ref),
            ref,
            [fw for fw in runnable if fw != ref],
            min(max_examples, LAYER_EXAMPLES),
        )
    except (PlanError, NotApplicable) as e:
        return {fw: PairResult("failed", f"kind layer: {e}", math.inf) for fw in runnable}
    return _verdicts(sv, max_examples)


def verify_loss(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """A functional loss: a model whose call applies it, converted like a layer's, on
    inputs in the loss's domain (``losses`` in the table; float tensors without bounds
    stay in the default input range, so no special values are drawn)."""
    entry = (table().get("losses") or {}).get(spec.operation) or {}
    if "unsupported" in entry:
        return {fw: PairResult("skipped", f"kind loss: {entry['unsupported']}") for fw in runnable}
    fields = entry.get("args") or {}
    unknown = set(fields) - set(spec.arg_names)
    if unknown:
        raise ValueError(f"{TABLE.name}: {spec.operation} has no argument {sorted(unknown)}")
    lo, hi = table()["defaults"]["input"]
    args = []
    for a in spec.std_args:
        merged = {**a.model_dump(exclude_unset=True), **(fields.get(a.name) or {})}
        if classify(a).role is Role.tensor and "min" not in merged and "max" not in merged:
            merged.update(min=lo, max=hi)
        args.append(StdArg.model_validate(merged))
    narrowed = spec.model_copy(update={"std_args": args})
    if len(runnable) < 2:
        return {
            fw: PairResult("skipped", "kind loss: no second installed mapping to compare with")
            for fw in runnable
        }
    try:
        check_supported(narrowed)
    except Unsupported as e:
        return {fw: PairResult("skipped", f"kind loss: inputs: {e}") for fw in runnable}
    ref = _reference(narrowed, runnable)
    try:
        cases = loss_case(narrowed, ref, tuple(entry.get("omit") or ()))
        sv = _survey(
            narrowed,
            cases,
            ref,
            [fw for fw in runnable if fw != ref],
            min(max_examples, LAYER_EXAMPLES),
        )
    except (PlanError, NotApplicable) as e:
        return {fw: PairResult("failed", f"kind loss: {e}", math.inf) for fw in runnable}
    return _verdicts(sv, max_examples)
