"""What the checkers of constructed kinds share: drawing scalar arguments, building the
constructor call as a conversion writes it, and turning per-example outcomes into verdicts.

Optimizers, schedules and initializers are objects built from a few scalar arguments
(learning rate, betas, gamma, gain ...). Their arguments are drawn here, from a seeded
NumPy generator (derandomized like the function checker's hypothesis runs): within the
ODL's ``min``/``max``/``options`` where the spec gives them, else within the practical
range :data:`RANGES` names for the argument, each argument with a default left out half of
the time so that each framework's own default is checked against the spec's. The call is
:func:`calls.build_plan`'s (renames, ``tuple_args``, ``arg_values``, ``drop_args``,
defaults), with one addition lowering makes too: an argument the target's signature takes
without a default (``optax.adam``'s ``learning_rate``) is said with the spec's default.
"""

from __future__ import annotations

import builtins
import importlib
import math
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from switcheroo.ontology import snapshots
from switcheroo.ontology.odl import FRAMEWORK_KEYS, OpSpec, StdArg, Variant
from switcheroo.ontology.verify.calls import CallPlan, build_plan, render_call, resolve
from switcheroo.ontology.verify.calls import _compose_modules as compose_modules
from switcheroo.ontology.verify.check import PairResult

# Practical ranges for hyper-parameters the ODL gives no bounds for: (low, high, scale).
# "log" draws log-uniformly (learning rates, epsilons span decades).
RANGES: dict[str, tuple[float, float, str]] = {
    "T_0": (1, 5, "int"),
    "T_max": (2, 10, "int"),
    "a": (0.0, 0.5, "lin"),
    "alpha": (0.8, 0.999, "lin"),
    "b": (0.5, 2.0, "lin"),
    "beta1": (0.5, 0.95, "lin"),
    "beta2": (0.9, 0.999, "lin"),
    "end_factor": (0.1, 1.0, "lin"),
    "epsilon": (1e-8, 1e-3, "log"),
    "eta_min": (0.0, 0.01, "lin"),
    "factor": (0.1, 1.0, "lin"),
    "gain": (0.5, 2.0, "lin"),
    "gamma": (0.1, 0.99, "lin"),
    "in_axis": (-2, -1, "int"),  # an axis of the drawn 2-d kernel (initializers.py)
    "initial_accumulator_value": (0.0, 0.5, "lin"),
    "learning_rate": (0.01, 0.5, "log"),
    "max_lr": (0.01, 1.0, "log"),
    "max_norm": (0.1, 4.0, "lin"),
    "mean": (-1.0, 1.0, "lin"),
    "momentum": (0.0, 0.95, "lin"),
    "momentum_decay": (1e-3, 1.0, "log"),
    "norm_type": (1.0, 3.0, "lin"),
    "out_axis": (-2, -1, "int"),
    "power": (0.5, 3.0, "lin"),
    "rho": (0.8, 0.99, "lin"),
    "scale": (0.1, 3.0, "lin"),
    "start_factor": (0.1, 1.0, "lin"),
    "std": (0.1, 3.0, "lin"),
    "step_size": (1, 5, "int"),
    "total_iters": (1, 8, "int"),
    "total_steps": (12, 20, "int"),  # torch's OneCycleLR raises past it; 12 rates are read
    "val": (-3.0, 3.0, "lin"),
    "weight_decay": (0.0, 0.1, "lin"),
}


class NoDomain(ValueError):
    """A required argument has no type or range the drawer understands."""


@dataclass(frozen=True)
class Harness:
    """An object the harness provides (the parameters an optimizer updates, the optimizer a
    schedule drives); printed in a snippet under ``name``."""

    name: str

    def __repr__(self) -> str:
        return self.name


def rng_for(spec: OpSpec, salt: str = "") -> np.random.Generator:
    """A generator seeded from the op's name: every run draws the same examples."""
    return np.random.default_rng(zlib.crc32(f"{spec.operation}:{salt}".encode()))


def _round(x: float) -> float:
    """Four significant digits: readable in a snippet, exact as a Python literal."""
    return float(f"{x:.4g}")


def draw_arg(arg: StdArg, rng: np.random.Generator) -> Any:
    """One value for a scalar argument (``NoDomain`` when nothing says what to draw)."""
    if arg.options:
        return arg.options[int(rng.integers(len(arg.options)))]
    if arg.type == "bool":
        return bool(rng.integers(2))
    if arg.type == "list[int]" and arg.name == "milestones":
        n = int(rng.integers(1, 4))
        return tuple(sorted(int(v) for v in rng.choice(np.arange(1, 9), size=n, replace=False)))
    low, high, scale = RANGES.get(arg.name, (None, None, "lin"))
    low = arg.min if arg.min is not None else low
    high = arg.max if arg.max is not None else high
    if low is None or high is None or arg.type not in ("int", "float"):
        raise NoDomain(f"no range to draw {arg.name!r} ({arg.type}) from")
    if arg.type == "int" or scale == "int":
        return int(rng.integers(int(low), int(high) + 1))
    if scale == "log" and low > 0:
        return _round(math.exp(rng.uniform(math.log(low), math.log(high))))
    return _round(rng.uniform(low, high))


def draw_example(
    spec: OpSpec, rng: np.random.Generator, harness: frozenset[str]
) -> dict[str, Any]:
    """Scalar arguments for one example; ``harness`` names the arguments the checker
    provides itself (never drawn). Defaults are left out half of the time."""
    out: dict[str, Any] = {}
    for arg in spec.std_args:
        if arg.name in harness:
            continue
        if arg.has_default and rng.integers(2):
            continue
        if arg.has_default and arg.default is None:
            continue  # an optional object (a tensor, a weight) the drawer cannot make
        implicit = implicit_values(spec, arg.name)
        if implicit and rng.integers(2):
            # The value a target fixes where it has no such argument (keras Nadam's
            # momentum_decay 1.0): without it such a mapping would never be exercised.
            out[arg.name] = implicit[int(rng.integers(len(implicit)))]
        else:
            out[arg.name] = draw_arg(arg, rng)
    return out


def implicit_values(spec: OpSpec, name: str) -> list[Any]:
    """The values of ``name`` that a mapping dropping it computes with (its ``defaults``),
    where they differ from the spec's default; sorted, without repeats."""
    arg = spec.arg(name)
    found = {
        v.defaults[name] for v in spec.variants.values()
        if name in v.drop_args and name in v.defaults
        and not (arg is not None and arg.has_default and v.defaults[name] == arg.default)
    }
    return sorted(found, key=repr)


def check_drawable(spec: OpSpec, harness: frozenset[str]) -> str | None:
    """Why the spec's arguments cannot be drawn, or None."""
    rng = np.random.default_rng(0)
    for arg in spec.std_args:
        if arg.name in harness or (arg.has_default and arg.default is None):
            continue
        try:
            draw_arg(arg, rng)
        except NoDomain as e:
            return f"inputs: {e}"
    return None


def missing_imports(variant: Variant) -> str | None:
    """The first module the mapping's ``required_imports`` names that is not installed."""
    for item in variant.required_imports:
        module = item if isinstance(item, str) else item.module
        try:
            importlib.import_module(module)
        except ImportError:
            return module
    return None


def plan_for(
    spec: OpSpec, framework: str, example: dict[str, Any], objects: dict[str, Any]
) -> CallPlan:
    """The constructor call the conversion writes for ``example``. ``objects`` are the
    values the harness provides (its objects, the initial rate a torch scheduler reads from
    its optimizer), passed only where the target keeps them (torch's ``params``); a target's argument without a default gets the spec's default, as
    lowering says it. Raises NotApplicable as :func:`calls.build_plan` does."""
    variant = spec.variants[framework]
    variant = variant.lower or variant
    values = dict(example)
    for name, obj in objects.items():
        if name not in variant.drop_args:
            values[name] = obj
    required = {
        p.name
        for p in snapshots.signature(framework, variant.api) or ()
        if not p.has_default and p.kind not in "VK"
    }
    must_say = [
        a.name for a in spec.std_args
        if variant.args.get(a.name, a.name) in required and a.default is not None
        and a.name not in variant.drop_args and a.name not in variant.required_args
    ]
    said = variant.model_copy(update={"required_args": [*variant.required_args, *must_say]})
    return build_plan(spec, framework, said, values)


def construct(plan: CallPlan, objects: dict[str, Any], as_value: bool = False) -> Any:
    """Run the constructor call, with harness markers replaced by ``objects[name]``; an
    ``as_value`` variant is the named object itself (``jax.nn.initializers.zeros``)."""

    def native(v: Any) -> Any:
        return objects[v.name] if isinstance(v, Harness) else v

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if plan.compose is not None:
            # Our own ontology's expression (keras' PiecewiseConstantDecay from milestones),
            # its standard arguments bound as globals, as :func:`calls.execute` binds them.
            kwargs = {k: native(v) for k, v in plan.kwargs.items()}
            code = compile(plan.compose.strip(), "<compose>", "eval")
            return eval(code, {"__builtins__": builtins, **compose_modules(plan), **kwargs})
        fn, _ = resolve(plan.api)
        if as_value:
            return fn
        return fn(*[native(a) for a in plan.args], **{k: native(v) for k, v in plan.kwargs.items()})


def plan_source(plan: CallPlan, as_value: bool = False) -> str:
    """The constructor call as source (harness objects by their names)."""
    return plan.api if as_value else render_call(plan)


def error_text(e: BaseException) -> str:
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {first[:300]}"


@dataclass
class Run:
    """One framework on one example: its result, an error, or not applicable."""

    value: Any = None
    error: str = ""
    not_applicable: str = ""


@dataclass
class Tally:
    """One framework against the reference over the examples."""

    valid: int = 0
    max_err: float = 0.0
    failure: tuple[int, str, float] | None = None  # (example index, why, error)
    not_applicable: str = ""


# (reference value, value) -> (ok, why, max_abs_err)
Judge = Callable[[Any, Any], tuple[bool, str, float]]


@dataclass
class Survey:
    """Every framework's runs on the same examples."""

    examples: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[str, list[Run]] = field(default_factory=dict)


def tally(survey: Survey, ref: str, fw: str, judge: Judge) -> Tally:
    t = Tally()
    for i, (r, g) in enumerate(zip(survey.runs[ref], survey.runs[fw], strict=True)):
        if r.error or r.not_applicable:
            continue  # outside the reference's domain (or not written by its conversion)
        if g.not_applicable:
            t.not_applicable = g.not_applicable
            continue
        if g.error:
            t.failure = (i, f"raised {g.error}", math.inf)
            return t
        ok, why, err = judge(r.value, g.value)
        if not ok:
            t.failure = (i, why, err)
            return t
        t.valid += 1
        t.max_err = max(t.max_err, err)
    return t


def verdicts(
    survey: Survey, judge: Judge, snippet: Callable[[int, list[str]], str]
) -> dict[str, PairResult]:
    """Per-framework verdicts: the reference is the framework (in ODL order) that the most
    others agree with; ``snippet(example_index, [ref, fw])`` prints a counterexample."""
    order = ["numpy", *FRAMEWORK_KEYS]
    fws = sorted(survey.runs, key=order.index)
    usable = [fw for fw in fws if any(not (r.error or r.not_applicable) for r in survey.runs[fw])]
    if not usable:  # nothing ran anywhere: each framework's own first error or refusal
        out: dict[str, PairResult] = {}
        for fw in fws:
            err = next((r.error for r in survey.runs[fw] if r.error), "")
            na = next((r.not_applicable for r in survey.runs[fw] if r.not_applicable), "")
            out[fw] = PairResult("failed", f"raised {err}", math.inf) if err else PairResult(
                "skipped", f"no drawn example the conversion applies to: {na}")
        return out
    best: tuple[int, str, dict[str, Tally]] | None = None
    for ref in usable:
        tallies = {fw: tally(survey, ref, fw, judge) for fw in fws if fw != ref}
        agreed = sum(t.failure is None and t.valid > 0 for t in tallies.values())
        if best is None or agreed > best[0]:
            best = (agreed, ref, tallies)
    assert best is not None
    _, ref, tallies = best
    out = {}
    for fw, t in tallies.items():
        if t.failure is not None:
            i, why, err = t.failure
            out[fw] = PairResult("failed", f"vs {ref}: {why}", err, t.valid, ref, snippet(i, [ref, fw]))
        elif t.valid == 0:
            why = t.not_applicable or "the reference ran no example this framework ran"
            out[fw] = PairResult("skipped", f"no drawn example the conversion applies to: {why}", reference=ref)
        else:
            out[fw] = PairResult("verified", "", t.max_err, t.valid, ref)
    agreed = [fw for fw, r in out.items() if r.status == "verified"]
    n_ref = sum(not (r.error or r.not_applicable) for r in survey.runs[ref])
    if agreed:
        err = max(out[fw].max_abs_err for fw in agreed)
        out[ref] = PairResult("verified", f"reference; agrees with {', '.join(agreed)}", err, n_ref)
    elif len(out) == 1 and next(iter(out.values())).status == "failed":
        out[ref] = PairResult("skipped", f"reference; its only partner {next(iter(out))} disagrees")
    elif not out:
        out[ref] = PairResult("skipped", "no second installed mapping to compare with")
    elif all(r.status == "skipped" or t.valid == 0 and r.reason.startswith(f"vs {ref}: raised")
             for r, t in zip(out.values(), tallies.values(), strict=True)):
        # Every partner was skipped or could not even run: no evidence about the reference.
        out[ref] = PairResult("skipped", "reference; no partner mapping ran an example to compare with")
    else:
        out[ref] = PairResult("failed", "reference; no other mapping agrees with it", math.inf)
    return out
