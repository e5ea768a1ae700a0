"""Verify learning-rate schedule mappings: the same learning rate at every step.

A torch scheduler drives an optimizer's learning rate: the rate the step ``k`` update uses
is ``optimizer.param_groups[0]['lr']`` after ``k`` calls of ``scheduler.step()`` (one per
epoch or per step, as the training loop calls it). An optax schedule, a Keras
``LearningRateSchedule`` and an MLX schedule are functions of the step count: the rate
at step ``k`` is ``schedule(k)``. For drawn arguments (:mod:`construct`) every framework
builds its schedule exactly as the conversion writes it, and the rates at steps
``0..STEPS-1`` are compared with the reference's at the spec's tolerance. The initial
learning rate (the spec's ``base_lr``) is the harness's: torch's mapping drops it and
reads it from the harness optimizer, the others take it as an argument, as the converter
binds it from the wrapped optimizer's learning rate (``passes/bind_optimizer.py``).

How each framework yields the rate at step ``k`` is data, in :data:`DRIVERS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from switcheroo.ontology.odl import OpSpec
from switcheroo.ontology.verify.calls import NotApplicable, imports_for, literal
from switcheroo.ontology.verify.check import PairResult
from switcheroo.ontology.verify.compare import compare
from switcheroo.ontology.verify.construct import (
    Harness,
    Run,
    Survey,
    check_drawable,
    construct,
    draw_example,
    error_text,
    missing_imports,
    plan_for,
    plan_source,
    rng_for,
    verdicts,
)

STEPS = 12
EXAMPLES = 8
OPTIMIZER = Harness("optimizer")
BASE_LR = "base_lr"  # the spec argument holding the initial rate
BASE_LRS = (0.1, 0.05, 1.0)


@dataclass(frozen=True)
class Driver:
    """How a framework yields a schedule's rates: ``run(make, base_lr, steps)`` (``make``
    builds the schedule from the harness optimizer, or from None); ``source`` prints the
    same over ``BASE_LR``, ``STEPS`` and ``SCHED`` (the constructor call)."""

    run: Callable[[Callable[[Any], Any], float, int], list[float]]
    source: str


def _torch(make: Callable[[Any], Any], base_lr: float, steps: int) -> list[float]:
    torch = importlib.import_module("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    sched = make(opt)
    out = []
    for _ in range(steps):
        out.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        sched.step()
    return out


def _called(make: Callable[[Any], Any], base_lr: float, steps: int) -> list[float]:
    sched = make(None)
    return [float(np.asarray(sched(k))) for k in range(steps)]


_CALLED_SRC = "sched = SCHED\nprint('FW', [float(numpy.asarray(sched(k))) for k in range(STEPS)])"

# Framework key -> how its converted training loop reads the rate at step k. Keep sorted.
DRIVERS: dict[str, Driver] = {
    "jax": Driver(_called, _CALLED_SRC),
    "keras": Driver(_called, _CALLED_SRC),
    "mlx": Driver(_called, _CALLED_SRC),
    "torch": Driver(
        _torch,
        "optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE_LR)\n"
        "sched = SCHED\nlrs = []\nfor _ in range(STEPS):\n"
        "    lrs.append(optimizer.param_groups[0]['lr'])\n    optimizer.step()\n    sched.step()\n"
        "print('FW', lrs)",
    ),
}


def _judge(spec: OpSpec) -> Callable[[Any, Any], tuple[bool, str, float]]:
    def judge(ref: list[float], got: list[float]) -> tuple[bool, str, float]:
        outcome = compare(spec, np.asarray(ref, np.float64), np.asarray(got, np.float64))
        return outcome.ok, "" if outcome.ok else f"rates at steps 0..{STEPS - 1}: {outcome.why}", (
            outcome.max_abs_err)

    return judge


def verify_schedule(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for a schedule spec (see the module docstring)."""
    results: dict[str, PairResult] = {}
    frameworks = []
    for fw in runnable:
        if fw not in DRIVERS:
            results[fw] = PairResult("skipped", f"no schedule driver for {fw} in verify/schedules.py")
        elif (module := missing_imports(spec.variants[fw])) is not None:
            results[fw] = PairResult("skipped", f"{module} (the {fw} mapping's import) not installed")
        else:
            frameworks.append(fw)
    harness = frozenset(a.name for a in spec.std_args if a.type == "Optimizer" or a.name == BASE_LR)
    why = check_drawable(spec, harness)
    if why:
        return {**results, **{fw: PairResult("skipped", why) for fw in frameworks}}
    rng = rng_for(spec)
    survey = Survey(runs={fw: [] for fw in frameworks})
    base_lrs = []
    for i in range(min(EXAMPLES, max_examples)):
        example = draw_example(spec, rng, harness)
        base_lr = BASE_LRS[i % len(BASE_LRS)]
        survey.examples.append(example)
        base_lrs.append(base_lr)
        for fw in frameworks:
            survey.runs[fw].append(_run(spec, fw, example, base_lr, harness))

    def snippet(i: int, fws: list[str]) -> str:
        return _snippet(spec, survey.examples[i], base_lrs[i], fws, harness)

    results.update(verdicts(survey, _judge(spec), snippet) if frameworks else {})
    return results


def _objects(harness: frozenset[str], base_lr: float) -> dict[str, Any]:
    """What the harness provides: the optimizer a torch scheduler drives, the initial rate."""
    return {n: base_lr if n == BASE_LR else OPTIMIZER for n in harness}


def _run(spec: OpSpec, fw: str, example: dict[str, Any], base_lr: float, harness: frozenset[str]) -> Run:
    try:
        plan = plan_for(spec, fw, example, _objects(harness, base_lr))
    except NotApplicable as e:
        return Run(not_applicable=str(e))
    except Exception as e:  # noqa: BLE001 - a mapping that cannot be called is its failure
        return Run(error=error_text(e))
    try:
        return Run(DRIVERS[fw].run(lambda opt: construct(plan, {OPTIMIZER.name: opt}), base_lr, STEPS))
    except Exception as e:  # noqa: BLE001 - any framework error is this mapping's failure
        return Run(error=error_text(e))


def _snippet(
    spec: OpSpec, example: dict[str, Any], base_lr: float, fws: list[str], harness: frozenset[str]
) -> str:
    """A script printing both frameworks' rates at steps 0..STEPS-1."""
    imports = {"import numpy"}
    blocks = []
    for fw in fws:
        try:
            plan = plan_for(spec, fw, example, _objects(harness, base_lr))
        except Exception as e:  # noqa: BLE001 - shown in the snippet instead of the call
            blocks.append(f"# {fw}: {e}")
            continue
        imports.update(imports_for(plan))
        imports.update(f"import {m if isinstance(m, str) else m.module}"
                       for m in spec.variants[fw].required_imports)
        src = DRIVERS[fw].source.replace("SCHED", plan_source(plan)).replace("FW", fw)
        blocks.append(src.replace("BASE_LR", literal(base_lr)).replace("STEPS", str(STEPS)))
    lines = [f"# swc verify counterexample for {spec.operation!r}", *sorted(imports), ""]
    return "\n".join([*lines, *blocks]) + "\n"
