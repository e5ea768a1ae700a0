"""Verify optimizer mappings: the same gradients give the same parameters, step by step.

For each drawn set of hyper-parameters (:mod:`construct`), every framework builds its
optimizer exactly as the conversion writes it, then applies the same three drawn gradients
to the same two float32 parameters, the way the converted training step does (torch:
``p.grad = g; opt.step()``; optax: ``update`` + ``apply_updates``; Keras:
``apply_gradients``; MLX: ``apply_gradients`` on a parameter dict). The parameters after
every step are compared with the reference's at the spec's tolerance.

How each framework takes a step is data, in :data:`DRIVERS`, not a branch on its name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from switcheroo.ontology.odl import OpSpec
from switcheroo.ontology.verify import adapters
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

STEPS = 3
PARAMS = Harness("params")
EXAMPLES = 6  # hyper-parameter draws per op (each builds every framework's optimizer)

Arrays = list[np.ndarray]


@dataclass(frozen=True)
class Driver:
    """How a framework runs an optimizer: ``run(make, params, grads)`` gives the parameters
    after each step (``make(native_params)`` builds the optimizer); ``source`` is the same
    loop as snippet text over ``params`` (NumPy arrays), ``grads`` and ``OPT`` (the
    constructor call)."""

    run: Callable[[Callable[[Any], Any], Arrays, list[Arrays]], list[Arrays]]
    source: str


def _torch(make: Callable[[Any], Any], params: Arrays, grads: list[Arrays]) -> list[Arrays]:
    torch = importlib.import_module("torch")
    ps = [torch.nn.Parameter(torch.tensor(p)) for p in params]
    opt = make(ps)
    out = []
    for g in grads:
        for p, gi in zip(ps, g, strict=True):
            p.grad = torch.tensor(gi)
        opt.step()
        out.append([p.detach().numpy().copy() for p in ps])
    return out


def _optax(make: Callable[[Any], Any], params: Arrays, grads: list[Arrays]) -> list[Arrays]:
    jnp, optax = importlib.import_module("jax.numpy"), importlib.import_module("optax")
    tx = make(None)
    ps = [jnp.asarray(p) for p in params]
    state = tx.init(ps)
    out = []
    for g in grads:
        updates, state = tx.update([jnp.asarray(gi) for gi in g], state, ps)
        ps = optax.apply_updates(ps, updates)
        out.append([np.asarray(p) for p in ps])
    return out


def _keras(make: Callable[[Any], Any], params: Arrays, grads: list[Arrays]) -> list[Arrays]:
    keras = importlib.import_module("keras")
    opt = make(None)
    vs = [keras.Variable(p) for p in params]
    out = []
    for g in grads:
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(gi) for gi in g], vs, strict=True))
        out.append([keras.ops.convert_to_numpy(v) for v in vs])
    return out


def _mlx(make: Callable[[Any], Any], params: Arrays, grads: list[Arrays]) -> list[Arrays]:
    mx = importlib.import_module("mlx.core")
    opt = make(None)
    ps = {f"w{i}": mx.array(p) for i, p in enumerate(params)}
    out = []
    for g in grads:
        ps = opt.apply_gradients({f"w{i}": mx.array(gi) for i, gi in enumerate(g)}, ps)
        mx.eval(ps)
        out.append([np.array(ps[f"w{i}"]) for i in range(len(params))])
    return out


# Framework key -> how its converted training step drives an optimizer. Keep sorted.
DRIVERS: dict[str, Driver] = {
    "jax": Driver(
        _optax,
        "tx = OPT\nps = [jax.numpy.asarray(p) for p in params]\nstate = tx.init(ps)\n"
        "for g in grads:\n    updates, state = tx.update([jax.numpy.asarray(x) for x in g], state, ps)\n"
        "    ps = optax.apply_updates(ps, updates)\n    print('jax', [numpy.asarray(p) for p in ps])",
    ),
    "keras": Driver(
        _keras,
        "opt = OPT\nvs = [keras.Variable(p) for p in params]\n"
        "for g in grads:\n    opt.apply_gradients(zip([keras.ops.convert_to_tensor(x) for x in g], vs))\n"
        "    print('keras', [keras.ops.convert_to_numpy(v) for v in vs])",
    ),
    "mlx": Driver(
        _mlx,
        "opt = OPT\nps = {f'w{i}': mlx.core.array(p) for i, p in enumerate(params)}\n"
        "for g in grads:\n    ps = opt.apply_gradients({f'w{i}': mlx.core.array(x) for i, x in enumerate(g)}, ps)\n"
        "    print('mlx', [numpy.array(ps[f'w{i}']) for i in range(len(params))])",
    ),
    "torch": Driver(
        _torch,
        "params = [torch.nn.Parameter(torch.tensor(p)) for p in params]\nopt = OPT\n"
        "for g in grads:\n    for p, x in zip(params, g):\n        p.grad = torch.tensor(x)\n"
        "    opt.step()\n    print('torch', [p.detach().numpy() for p in params])",
    ),
}


def _tensors(rng: np.random.Generator) -> tuple[Arrays, list[Arrays]]:
    """Two parameters and three steps of gradients: multiples of 1/8 in [-2, 2], the
    gradients of one example scaled by 1 or 1/128 (small gradients make epsilon matter)."""

    def draw(shape: tuple[int, ...], scale: float) -> np.ndarray:
        return (rng.integers(-16, 17, size=shape) / 8 * scale).astype(np.float32)

    shapes = [(3,), (2, 2)]
    params = [draw(s, 1.0) for s in shapes]
    scale = float(rng.choice([1.0, 1 / 128]))
    grads = [[draw(s, scale) for s in shapes] for _ in range(STEPS)]
    return params, grads


def _judge(spec: OpSpec) -> Callable[[Any, Any], tuple[bool, str, float]]:
    def judge(ref: list[Arrays], got: list[Arrays]) -> tuple[bool, str, float]:
        worst = 0.0
        for step, (r, g) in enumerate(zip(ref, got, strict=True), 1):
            outcome = compare(spec, tuple(r), tuple(g))
            if not outcome.ok:
                return False, f"parameters after step {step}: {outcome.why}", outcome.max_abs_err
            worst = max(worst, outcome.max_abs_err)
        return True, "", worst

    return judge


def verify_optimizer(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for an optimizer spec (see the module docstring)."""
    results: dict[str, PairResult] = {}
    frameworks = []
    for fw in runnable:
        variant = spec.variants[fw]
        if fw not in DRIVERS:
            results[fw] = PairResult("skipped", f"no optimizer driver for {fw} in verify/optimizers.py")
        elif (module := missing_imports(variant)) is not None:
            results[fw] = PairResult("skipped", f"{module} (the {fw} mapping's import) not installed")
        else:
            frameworks.append(fw)
    harness = frozenset(a.name for a in spec.std_args if a.type == "Parameters")
    why = check_drawable(spec, harness)
    if why:
        return {**results, **{fw: PairResult("skipped", why) for fw in frameworks}}
    rng = rng_for(spec)
    survey = Survey(runs={fw: [] for fw in frameworks})
    tensors = []
    for _ in range(min(EXAMPLES, max_examples)):
        example = draw_example(spec, rng, harness)
        params, grads = _tensors(rng)
        survey.examples.append(example)
        tensors.append((params, grads))
        for fw in frameworks:
            survey.runs[fw].append(_run(spec, fw, example, params, grads, harness))
        for fw in frameworks:
            adapter = adapters.ADAPTERS[fw]
            if adapter.after_op is not None:
                adapter.after_op(adapters.load(fw))

    def snippet(i: int, fws: list[str]) -> str:
        return _snippet(spec, survey.examples[i], tensors[i], fws, harness)

    results.update(verdicts(survey, _judge(spec), snippet) if frameworks else {})
    return results


def _run(
    spec: OpSpec, fw: str, example: dict[str, Any], params: Arrays, grads: list[Arrays],
    harness: frozenset[str],
) -> Run:
    try:
        plan = plan_for(spec, fw, example, {n: PARAMS for n in harness})
    except NotApplicable as e:
        return Run(not_applicable=str(e))
    except Exception as e:  # noqa: BLE001 - a mapping that cannot be called is its failure
        return Run(error=error_text(e))
    try:
        return Run(DRIVERS[fw].run(lambda native: construct(plan, {PARAMS.name: native}), params, grads))
    except Exception as e:  # noqa: BLE001 - any framework error is this mapping's failure
        return Run(error=error_text(e))


def _snippet(
    spec: OpSpec, example: dict[str, Any], tensors: tuple[Arrays, list[Arrays]], fws: list[str],
    harness: frozenset[str],
) -> str:
    """A script running both frameworks' optimizers on the example's parameters and gradients."""
    params, grads = tensors
    imports = {"import numpy"}
    blocks = []
    for fw in fws:
        try:
            plan = plan_for(spec, fw, example, {n: PARAMS for n in harness})
        except Exception as e:  # noqa: BLE001 - shown in the snippet instead of the call
            blocks.append(f"# {fw}: {e}")
            continue
        imports.update(imports_for(plan))
        variant = spec.variants[fw]
        imports.update(f"import {m if isinstance(m, str) else m.module}" for m in variant.required_imports)
        body = DRIVERS[fw].source.replace("OPT", plan_source(plan))
        blocks.append(f"params = [numpy.array(p) for p in params0]\n{body}")
    lines = [f"# swc verify counterexample for {spec.operation!r}", *sorted(imports), ""]
    lines.append(f"params0 = {literal(params)}")
    lines.append(f"grads = {literal(grads)}")
    return "\n".join([*lines, *blocks]) + "\n"
