"""Parameters of a lowered model in the source framework's own names and layouts.

``ontology/weight_rules/<framework>.yaml`` says how each framework parameter is computed
from the hub parameters of a layer (Flax NNX ``Linear.kernel`` is the hub ``weight``
transposed). ``lower-hub-to-stablehlo`` makes the framework parameters the function's
arguments (``%fc1_kernel: tensor<16x32xf32>``) and computes the hub parameters from them
with the inverse transposes, which XLA folds into the consumers. A layer whose rule is
not a plain rename or transpose (combined or split tensors, flips) keeps its hub
parameters, so nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.backends.weights.rules import WeightRuleError, load_rules


@dataclass(frozen=True)
class ParamArg:
    """One function argument: its name and shape, the hub parameter it gives, and the
    permutation that turns the argument into the hub layout (``None``: same layout)."""

    name: str
    shape: tuple[int, ...]
    hub: str
    to_hub: tuple[int, ...] | None


def _inverse(perm: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sorted(range(len(perm)), key=perm.__getitem__))


def param_args(framework: str, spec: str, hub: list[tuple[str, tuple[int, ...]]]) -> list[ParamArg]:
    """The arguments for a ``spec`` layer with hub parameters ``hub`` (name, shape)."""
    same = [ParamArg(n, s, n, None) for n, s in hub]
    try:
        forms = load_rules().framework(framework).layers.get(spec, ())
    except WeightRuleError:
        return same
    shapes = dict(hub)
    for form in forms:
        out: list[ParamArg] = []
        for name, rule in form.params.items():
            if len(rule.hub) != 1 or rule.combine or rule.chunk:
                break
            if rule.hub[0] not in shapes:
                continue  # a parameter this layer was built without (bias=False)
            perm: tuple[int, ...] | None = None
            if rule.ops:
                if len(rule.ops) != 1 or rule.ops[0][0] != "transpose":
                    break
                perm = tuple(int(p) for p in rule.ops[0][1])
            dims = shapes[rule.hub[0]]
            if perm is not None and len(perm) != len(dims):
                break  # a form for another rank (Conv1d vs Conv2d kernels)
            fw_shape = tuple(dims[p] for p in perm) if perm else dims
            out.append(ParamArg(name, fw_shape, rule.hub[0], _inverse(perm) if perm else None))
        else:
            if {a.hub for a in out} == set(shapes):
                return out
    return same
