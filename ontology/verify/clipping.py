"""Verify gradient clipping by global norm against the spec's formula.

``clip_grad_norm`` acts on the gradients held by a list of parameters (torch's
``clip_grad_norm_`` scales each ``p.grad`` in place and returns the total norm), so there
are no tensors to draw for it as for a function. For drawn ``max_norm`` and ``norm_type``
(:mod:`construct`), two float32 parameters are given gradients (multiples of 1/8 in
[-2, 2], scaled by 1 or 1/8 so that clipping is sometimes inactive), the mapping is called
as the conversion writes it, and the total norm it returns and the gradients it leaves are
compared, at the spec's tolerance, with the spec's description computed in NumPy:
``total = (sum |g|^p)^(1/p)`` over every gradient, each scaled by
``min(1, max_norm / total)``.

How each framework holds gradients and calls the clip is data, in :data:`DRIVERS`.
"""

from __future__ import annotations

import importlib
import math
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
    check_drawable,
    construct,
    draw_example,
    error_text,
    plan_for,
    plan_source,
    rng_for,
)

EXAMPLES = 6
PARAMS = Harness("params")
SHAPES = ((3,), (2, 2))

Arrays = list[np.ndarray]


@dataclass(frozen=True)
class Driver:
    """How a framework clips: ``run(make, grads)`` gives ``[total_norm, *clipped_grads]``
    (``make(native_params)`` calls the mapping); ``source`` prints the same over ``grads``
    and ``CLIP`` (the call)."""

    run: Callable[[Callable[[Any], Any], Arrays], Arrays]
    source: str


def _torch(make: Callable[[Any], Any], grads: Arrays) -> Arrays:
    torch = importlib.import_module("torch")
    ps = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
    for p, g in zip(ps, grads, strict=True):
        p.grad = torch.tensor(g)
    total = make(ps)
    return [np.asarray(total.detach().numpy()), *[p.grad.numpy().copy() for p in ps]]


# Framework key -> how its converted training step holds gradients and clips them.
DRIVERS: dict[str, Driver] = {
    "torch": Driver(
        _torch,
        "params = [torch.nn.Parameter(torch.zeros(numpy.shape(g))) for g in grads]\n"
        "for p, g in zip(params, grads):\n    p.grad = torch.tensor(g)\n"
        "total = CLIP\nprint('torch', total, [p.grad.numpy() for p in params])",
    ),
}


def expected(grads: Arrays, max_norm: float, norm_type: float) -> Arrays:
    """The spec's result: the total ``norm_type``-norm and the gradients scaled by
    ``min(1, max_norm / total)`` (float64, compared at float32's tolerance)."""
    flat = np.concatenate([np.abs(g.astype(np.float64)).ravel() for g in grads])
    total = float(flat.max()) if math.isinf(norm_type) else float(np.sum(flat**norm_type) ** (1 / norm_type))
    coef = 1.0 if total == 0 else min(1.0, max_norm / total)
    return [np.asarray(total), *[g.astype(np.float64) * coef for g in grads]]


def _grads(rng: np.random.Generator) -> Arrays:
    scale = float(rng.choice([1.0, 1 / 8]))
    return [(rng.integers(-16, 17, size=s) / 8 * scale).astype(np.float32) for s in SHAPES]


def verify_clip(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict against the spec's formula (module docstring)."""
    harness = frozenset(a.name for a in spec.std_args if a.type == "Parameters")
    why = check_drawable(spec, harness)
    out: dict[str, PairResult] = {}
    for fw in runnable:
        if fw not in DRIVERS:
            out[fw] = PairResult("skipped", f"no clipping driver for {fw} in verify/clipping.py")
        elif why:
            out[fw] = PairResult("skipped", why)
        else:
            out[fw] = _verify_one(spec, fw, harness, max_examples)
    return out


def _verify_one(spec: OpSpec, fw: str, harness: frozenset[str], max_examples: int) -> PairResult:
    rng = rng_for(spec)
    valid, worst, not_applicable = 0, 0.0, ""
    for _ in range(min(EXAMPLES, max_examples)):
        example = draw_example(spec, rng, harness)
        grads = _grads(rng)
        args = {a.name: example.get(a.name, a.default) for a in spec.std_args}
        want = expected(grads, args["max_norm"], args["norm_type"])
        try:
            plan = plan_for(spec, fw, example, {n: PARAMS for n in harness})
        except NotApplicable as e:
            not_applicable = str(e)
            continue
        try:
            got = DRIVERS[fw].run(lambda native, plan=plan: construct(plan, {PARAMS.name: native}), grads)
        except Exception as e:  # noqa: BLE001 - any framework error is this mapping's failure
            return PairResult("failed", f"vs the spec's formula: raised {error_text(e)}", math.inf, valid,
                              "spec", _snippet(spec, fw, example, grads, harness))
        outcome = compare(spec, tuple(want), tuple(got))
        if not outcome.ok:
            text = _snippet(spec, fw, example, grads, harness) + f"# expected (total norm, gradients): {[w.tolist() for w in want]}\n"
            return PairResult("failed", f"vs the spec's formula: {outcome.why}", outcome.max_abs_err, valid,
                              "spec", text)
        valid, worst = valid + 1, max(worst, outcome.max_abs_err)
    if not valid:
        return PairResult("skipped", f"no drawn example the conversion applies to: {not_applicable}")
    return PairResult("verified", "against the spec's formula", worst, valid, "spec")


def _snippet(spec: OpSpec, fw: str, example: dict[str, Any], grads: Arrays, harness: frozenset[str]) -> str:
    """A script giving the gradients and clipping them as the conversion does."""
    plan = plan_for(spec, fw, example, {n: PARAMS for n in harness})
    imports = sorted({"import numpy", *imports_for(plan)})
    body = DRIVERS[fw].source.replace("CLIP", plan_source(plan))
    lines = [f"# swc verify counterexample for {spec.operation!r}", *imports, "",
             f"grads = [numpy.array(g) for g in {literal(grads)}]", body]
    return "\n".join(lines) + "\n"
