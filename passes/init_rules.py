"""Weight initializers as the target can spell them, for ``convert-init-loops``.

A source initializer spec (``kaiming_normal``, ``xavier_uniform``, ``normal_init``, ...) is
read with its literal arguments and restated as an initializer spec the target maps
exactly: the He and Glorot families become ``variance_scaling`` (scale = gain squared,
the gain of ``torch.nn.init.calculate_gain``; a plain normal, never a truncated one),
fills stay fills. The fan axes of ``variance_scaling`` come from the weight rules: where
the target keeps a parameter in another layout (a flax kernel is ``[..., in, out]``), the
axes the source reads as input and output features are followed through the permutation.
"""

from __future__ import annotations

from typing import Any

from switcheroo.backends.weights.rules import LayerForm, WeightRuleError, load_rules
from switcheroo.passes.fw_common import _NO_VALUE

# The gain squared of each nonlinearity (torch.nn.init.calculate_gain); leaky_relu's
# depends on the negative slope ``a``.
_GAIN_SQUARED: dict[str, float] = {
    "linear": 1.0, "identity": 1.0, "sigmoid": 1.0,
    "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
    "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
    "tanh": 25.0 / 9.0, "relu": 2.0, "selu": 9.0 / 16.0,
}
_DISTRIBUTION = {"kaiming_normal": "normal", "kaiming_uniform": "uniform",
                 "xavier_normal": "normal", "xavier_uniform": "uniform"}
_FILLS = ("constant_init", "zeros_init", "ones_init")


def _gain_squared(nonlinearity: Any, a: Any) -> float | None:
    if nonlinearity == "leaky_relu":
        slope = 0.0 if a is None else a
        return 2.0 / (1.0 + slope * slope) if isinstance(slope, (int, float)) else None
    return _GAIN_SQUARED.get(nonlinearity) if isinstance(nonlinearity, str) else None


def restate(spec: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(target spec, its arguments) drawing what ``spec`` with literal ``args`` draws
    (``args`` lacks the tensor; missing ones take the spec's defaults), or None."""
    if any(v is _NO_VALUE for v in args.values()):
        return None
    if spec.startswith("kaiming_"):
        scale = _gain_squared(args.get("nonlinearity", "leaky_relu"), args.get("a", 0.0))
        mode = args.get("mode", "fan_in")
        if scale is None or mode not in ("fan_in", "fan_out"):
            return None
        return "variance_scaling", {"scale": scale, "mode": mode, "distribution": _DISTRIBUTION[spec]}
    if spec.startswith("xavier_"):
        gain = args.get("gain", 1.0)
        if not isinstance(gain, (int, float)):
            return None
        return "variance_scaling", {"scale": float(gain) ** 2, "mode": "fan_avg",
                                    "distribution": _DISTRIBUTION[spec]}
    if spec == "normal_init" and args.get("mean", 0.0) == 0:
        return "normal_init", {"std": args.get("std", 1.0)}
    if spec in _FILLS:
        return spec, dict(args)
    return None


def param_forms(framework: str, layer: str) -> tuple[LayerForm, ...]:
    """The weight-rule forms of hub layer ``layer`` in ``framework`` (none when unknown)."""
    rules = load_rules()
    try:
        return rules.framework(framework).layers.get(layer, ())
    except WeightRuleError:  # a framework without weight rules
        return ()


def rename_param(source: tuple[str, str], target: tuple[str, str], layer: str, name: str
                 ) -> tuple[str, tuple] | None:
    """The target's name of source parameter ``name`` of ``layer`` and the layout ops the
    weight rules apply to it (``kernel`` and a transpose for torch's Conv2d ``weight``);
    ``source`` and ``target`` are (framework, class). None unless both name it one way."""
    hub = {r.hub for f in param_forms(source[0], layer) if source[1] in f.classes
           for p, r in f.params.items() if p == name}
    if len(hub) != 1 or len(next(iter(hub))) != 1:
        return None
    (hub_name,), = hub
    found = {(p, r.ops) for f in param_forms(target[0], layer) if target[1] in f.classes
             for p, r in f.params.items() if r.hub == (hub_name,) and r.combine is None and r.chunk is None}
    return found.pop() if len(found) == 1 else None


def fan_axes(ops: tuple) -> tuple[int, int] | None:
    """(in_axis, out_axis), counted from the end, of a target parameter whose source
    layout is ``[out, in, *receptive field]`` (torch's), after the rule's layout ops; None
    when an op moves axes in a way not followed."""
    perm: list[int] | None = None
    for name, args in ops:
        if name == "transpose":
            perm = [(perm[i] if perm else i) for i in args]
        elif name != "flip":  # a flip keeps every axis where it is
            return None
    if perm is None or len(perm) < 2:
        return None
    n = len(perm)
    return perm.index(1) - n, perm.index(0) - n
