"""Verify random-key constructors (``rng_key``) and key splitting (``split_key``) by their
properties.

A key or generator is an opaque object, and each library derives its numbers with its own
algorithm (Philox in torch and TensorFlow, Threefry with different key layouts in JAX and
MLX), so the streams of one seed are not compared across frameworks. What is checked is
the spec's claim, for each framework on its own, with the object built exactly as a
conversion writes it (``calls.build_plan``):

- ``rng_key``: built twice from one seed, the first ``SAMPLE`` uniform numbers drawn
  through it (``DRAW``: how the framework's code passes a key or generator to a sampler)
  are equal; built from another seed they differ; all lie in [0, 1).
- ``split_key``: a key from the framework's own ``rng_key`` mapping, split into ``num``
  keys: ``num`` keys come back, their streams differ from each other and from the parent
  key's, and splitting the same key again gives the same keys.
- ``manual_seed``: seeding the global generator (as the conversion writes the call) and
  drawing ``SAMPLE`` uniforms from it (``GLOBAL_DRAW``) twice with one seed gives the same
  numbers, with another seed others, all in [0, 1). What the call returns (torch's
  generator, ``None`` elsewhere) is not the claim and is not compared.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from switcheroo.ontology.odl import OpSpec
from switcheroo.ontology.verify.calls import build_plan, imports_for, invoke, render_call
from switcheroo.ontology.verify.check import PairResult

SAMPLE = 8
# Seed pairs (a, b), a != b; few because each build is cheap and the property is exact.
SEEDS = ((0, 1), (7, 12345), (2**20 + 3, 99))
SPLITS = (2, 3)
# What a verdict says was shown (streams are not compared across libraries).
PROPERTY = {
    "rng_key": "property: one seed, one stream; another seed, another",
    "split_key": "property: num keys, each its own stream, the same ones on every split",
    "manual_seed": "property: one seed, one global stream; another seed, another",
}


def _mod(name: str) -> Any:
    return importlib.import_module(name)


def _jax_uniform(key: Any) -> np.ndarray:
    return np.asarray(_mod("jax.random").uniform(key, (SAMPLE,)))


# framework -> the first SAMPLE uniforms drawn through the object its rng_key builds.
DRAW: dict[str, Callable[[Any], np.ndarray]] = {
    "torch": lambda g: _mod("torch").rand(SAMPLE, generator=g).numpy(),
    "jax": _jax_uniform,
    "flax_nnx": lambda rngs: _jax_uniform(rngs.default()),
    "mlx": lambda k: np.array(_mod("mlx.core").random.uniform(shape=(SAMPLE,), key=k)),
    "keras": lambda g: _mod("keras").ops.convert_to_numpy(
        _mod("keras").random.uniform((SAMPLE,), seed=g)
    ),
    "tensorflow": lambda g: g.uniform((SAMPLE,)).numpy(),
}

# framework -> the first SAMPLE uniforms drawn from its global generator (no key given).
GLOBAL_DRAW: dict[str, Callable[[], np.ndarray]] = {
    "keras": lambda: _mod("keras").ops.convert_to_numpy(_mod("keras").random.uniform((SAMPLE,))),
    "mlx": lambda: np.array(_mod("mlx.core").random.uniform(shape=(SAMPLE,))),
    "tensorflow": lambda: _mod("tensorflow").random.uniform((SAMPLE,)).numpy(),
    "torch": lambda: _mod("torch").rand(SAMPLE).numpy(),
}


def _key(spec: OpSpec, fw: str, seed: int) -> Any:
    plan = build_plan(spec, fw, spec.variants[fw], {"seed": seed})
    return invoke(plan, {})


def _rng_key_fault(spec: OpSpec, fw: str) -> str | None:
    """Why ``fw``'s rng_key is not a seeded source of random numbers, or None."""
    draw = DRAW[fw]
    for a, b in SEEDS:
        first, again, other = (draw(_key(spec, fw, s)) for s in (a, a, b))
        if not np.array_equal(first, again):
            return f"seed {a}: two objects built from it draw {first} and {again}"
        if np.array_equal(first, other):
            return f"seeds {a} and {b} draw the same numbers {first}"
        if not ((first >= 0) & (first < 1)).all():
            return f"seed {a}: uniform numbers outside [0, 1): {first}"
    return None


def _manual_seed_fault(spec: OpSpec, fw: str) -> str | None:
    """Why ``fw``'s manual_seed does not make the global stream a function of the seed."""
    draw = GLOBAL_DRAW[fw]

    def seeded(seed: int) -> np.ndarray:
        _key(spec, fw, seed)  # the call seeds the global generator; its result is not used
        return draw()

    for a, b in SEEDS:
        first, again, other = seeded(a), seeded(a), seeded(b)
        if not np.array_equal(first, again):
            return f"seed {a}: seeded twice, the global generator draws {first} and {again}"
        if np.array_equal(first, other):
            return f"seeds {a} and {b} draw the same numbers {first}"
        if not ((first >= 0) & (first < 1)).all():
            return f"seed {a}: uniform numbers outside [0, 1): {first}"
    return None


def _split_key_fault(spec: OpSpec, key_spec: OpSpec, fw: str) -> str | None:
    """Why ``fw``'s split_key does not split a key into ``num`` new keys, or None."""
    draw = DRAW[fw]
    for seed, _ in SEEDS:
        parent = _key(key_spec, fw, seed)
        for num in SPLITS:
            plan = build_plan(spec, fw, spec.variants[fw], {"key": parent, "num": num})
            keys, again = invoke(plan, {}), invoke(plan, {})
            if len(keys) != num:
                return f"split into {num}: {len(keys)} keys came back"
            streams = [draw(keys[i]) for i in range(num)]
            if any(not np.array_equal(s, draw(again[i])) for i, s in enumerate(streams)):
                return f"seed {seed}: splitting the same key twice gave different keys"
            distinct = {s.tobytes() for s in [*streams, draw(parent)]}
            if len(distinct) != num + 1:
                return f"seed {seed}: the {num} keys and their parent do not all draw differently"
    return None


def verify_rng(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for ``rng_key`` or ``split_key`` (see the module
    docstring); ``max_examples`` is not used: the seeds are fixed."""
    from switcheroo.ontology.loader import load_ontology

    key_spec = load_ontology().specs["rng_key"]
    out: dict[str, PairResult] = {}
    for fw in runnable:
        if fw not in (GLOBAL_DRAW if spec.operation == "manual_seed" else DRAW):
            out[fw] = PairResult("skipped", f"no sampler known for {fw}'s keys (rng.DRAW)")
            continue
        if spec.operation == "split_key" and fw not in key_spec.variants:
            out[fw] = PairResult("skipped", f"{fw} has no rng_key mapping to make a key with")
            continue
        try:
            if spec.operation == "rng_key":
                fault = _rng_key_fault(spec, fw)
            elif spec.operation == "manual_seed":
                fault = _manual_seed_fault(spec, fw)
            else:
                fault = _split_key_fault(spec, key_spec, fw)
        except Exception as e:  # noqa: BLE001 - the mapping does not build or draw: a failure
            fault = f"raised {type(e).__name__}: {e}"
        if fault is None:
            out[fw] = PairResult("verified", PROPERTY[spec.operation], 0.0, len(SEEDS))
        else:
            out[fw] = PairResult("failed", fault, math.inf, 1, None, _snippet(spec, fw))
    return out


def _snippet(spec: OpSpec, fw: str) -> str:
    """The object a conversion builds, for a failure's counterexample."""
    example: dict[str, Any] = {"seed": SEEDS[0][0]} if spec.operation != "split_key" else {}
    if spec.operation == "split_key":
        return f"# swc verify counterexample for {spec.operation!r}: see rng.DRAW for {fw}\n"
    plan = build_plan(spec, fw, spec.variants[fw], example)
    head = [f"# swc verify counterexample for {spec.operation!r}", *sorted(imports_for(plan)), ""]
    return "\n".join([*head, f"print({fw!r}, {render_call(plan)})"]) + "\n"
