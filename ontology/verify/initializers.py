"""Verify weight initializer mappings against the distribution the spec names.

An initializer is random, so two frameworks never agree value by value. Each framework
fills a ``fan_out x fan_in`` weight (at least 6144 values; ``fan_in != fan_out`` so a
fan-mode or layout mix-up shows) exactly as the conversion writes it, in its own layout
(torch and MLX weights are ``[out, in]``, JAX and Keras kernels ``[in, out]``, transposed
back), with a seeded generator. The sample is then compared with what the spec's
distribution implies (:data:`EXPECTED`, from the arguments and the fans):

- mean within 6 standard errors of the expected mean (``6 * std / sqrt(n)``), and
  standard deviation within 6 standard errors of the expected one (``6 * std / sqrt(2n)``,
  the normal's, which bounds the uniform's and truncated normal's too);
- uniform: every value inside ``[low, high]`` and the sample's range at least
  ``(1 - 20/n)`` of the interval;
- orthogonal: the smaller Gram matrix equals ``gain**2 * I`` (rtol 1e-5, atol 1e-5);
- zeros, ones, constant (``verification_mode: exact``): every value equal.

Only the first two moments (and bounds) are compared: a truncated normal scaled to the
same standard deviation (JAX's ``he_normal``) passes for a normal one.
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
from switcheroo.ontology.verify.construct import (
    Harness,
    Run,
    check_drawable,
    construct,
    draw_example,
    error_text,
    missing_imports,
    plan_for,
    plan_source,
    rng_for,
)

EXAMPLES = 6
TENSOR = Harness("w")
FANS = (64, 96, 160)
BOUND_SE = 6.0
# The standard deviation of a standard normal truncated to [-2, 2].
TRUNCATED_STD = 0.87962566103423978


@dataclass(frozen=True)
class Driver:
    """How a framework fills a weight: ``run(make, fan_in, fan_out)`` gives it as
    ``[fan_out, fan_in]`` NumPy; ``source`` prints the same over ``INIT``, ``FAN_IN`` and
    ``FAN_OUT``."""

    run: Callable[[Callable[[Any], Any], int, int], np.ndarray]
    source: str


def _torch(make: Callable[[Any], Any], fan_in: int, fan_out: int) -> np.ndarray:
    torch = importlib.import_module("torch")
    torch.manual_seed(0)
    w = torch.empty(fan_out, fan_in)
    out = make(w)
    return (out if out is not None else w).detach().numpy()


def _jax(make: Callable[[Any], Any], fan_in: int, fan_out: int) -> np.ndarray:
    jax, jnp = importlib.import_module("jax"), importlib.import_module("jax.numpy")
    return np.asarray(make(None)(jax.random.key(0), (fan_in, fan_out), jnp.float32)).T


def _keras(make: Callable[[Any], Any], fan_in: int, fan_out: int) -> np.ndarray:
    keras = importlib.import_module("keras")
    keras.utils.set_random_seed(0)
    return keras.ops.convert_to_numpy(make(None)((fan_in, fan_out), "float32")).T


def _mlx(make: Callable[[Any], Any], fan_in: int, fan_out: int) -> np.ndarray:
    mx = importlib.import_module("mlx.core")
    mx.random.seed(0)
    return np.array(make(None)(mx.zeros((fan_out, fan_in))))


# Framework key -> how its converted layer fills a weight, in its own layout. Keep sorted.
DRIVERS: dict[str, Driver] = {
    "jax": Driver(_jax, "w = INIT(jax.random.key(0), (FAN_IN, FAN_OUT), jax.numpy.float32).T"),
    "keras": Driver(_keras, "keras.utils.set_random_seed(0)\nw = INIT((FAN_IN, FAN_OUT), 'float32').T"),
    "mlx": Driver(_mlx, "mlx.core.random.seed(0)\nw = INIT(mlx.core.zeros((FAN_OUT, FAN_IN)))"),
    "torch": Driver(_torch, "torch.manual_seed(0)\nw = torch.empty(FAN_OUT, FAN_IN)\nINIT"),
}


@dataclass(frozen=True)
class Expected:
    """What a correct sample looks like: ``kind`` is normal, uniform, orthogonal or exact."""

    kind: str
    mean: float = 0.0
    std: float = 0.0
    low: float = -math.inf
    high: float = math.inf
    gain: float = 1.0


def _gain(nonlinearity: str, a: float) -> float:
    """The recommended gain for a nonlinearity (torch.nn.init.calculate_gain's table)."""
    table = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2.0), "selu": 0.75,
             "leaky_relu": math.sqrt(2.0 / (1 + a * a))}
    return table.get(nonlinearity, 1.0)


def _uniform(low: float, high: float) -> Expected:
    return Expected("uniform", (low + high) / 2, (high - low) / math.sqrt(12), low, high)


def _truncated(mean: float, std: float, low: float, high: float) -> Expected:
    """N(mean, std^2) truncated to [low, high]: its mean and standard deviation."""
    a, b = (low - mean) / std, (high - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))
    z = cdf(b) - cdf(a)
    m = (pdf(a) - pdf(b)) / z
    var = 1 + (a * pdf(a) - b * pdf(b)) / z - m * m
    return Expected("normal", mean + std * m, std * math.sqrt(var), low, high)


def _kaiming(args: dict[str, Any], fan_in: int, fan_out: int) -> float:
    """gain / sqrt(fan), fan chosen by mode."""
    fan = fan_in if args["mode"] == "fan_in" else fan_out
    return _gain(args["nonlinearity"], args["a"]) / math.sqrt(fan)


def _variance_scaling(args: dict[str, Any], fan_in: int, fan_out: int) -> Expected:
    """The spec's N(0, scale / n), U(-a, a) with a = sqrt(3 * scale / n), or a normal
    truncated at two of its standard deviations and scaled back to the variance scale / n;
    n from the ``[fan_in, fan_out]`` kernel's ``in_axis`` and ``out_axis`` (the other
    axes' product, 1 here, is the receptive field)."""
    shape = (fan_in, fan_out)
    receptive = fan_in * fan_out / (shape[args["in_axis"]] * shape[args["out_axis"]])
    fans = {"fan_in": shape[args["in_axis"]] * receptive, "fan_out": shape[args["out_axis"]] * receptive}
    fans["fan_avg"] = (fans["fan_in"] + fans["fan_out"]) / 2
    std = math.sqrt(args["scale"] / fans[args["mode"]])
    if args["distribution"] == "uniform":
        return _uniform(-math.sqrt(3) * std, math.sqrt(3) * std)
    if args["distribution"] == "truncated_normal":
        untruncated = std / TRUNCATED_STD
        return _truncated(0.0, untruncated, -2 * untruncated, 2 * untruncated)
    return Expected("normal", 0.0, std)


# Hub op -> the distribution its spec names, from its arguments (defaults filled) and fans.
EXPECTED: dict[str, Callable[[dict[str, Any], int, int], Expected]] = {
    "constant_init": lambda k, i, o: Expected("exact", k["val"]),
    "kaiming_normal": lambda k, i, o: Expected("normal", 0.0, _kaiming(k, i, o)),
    "kaiming_uniform": lambda k, i, o: _uniform(-math.sqrt(3) * _kaiming(k, i, o), math.sqrt(3) * _kaiming(k, i, o)),
    "lecun_normal": lambda k, i, o: Expected("normal", 0.0, 1 / math.sqrt(i)),
    "normal_init": lambda k, i, o: Expected("normal", k["mean"], k["std"]),
    "ones_init": lambda k, i, o: Expected("exact", 1.0),
    "orthogonal_init": lambda k, i, o: Expected("orthogonal", gain=k["gain"]),
    "trunc_normal_init": lambda k, i, o: _truncated(k["mean"], k["std"], -2.0, 2.0),
    "uniform_init": lambda k, i, o: _uniform(k["a"], k["b"]),
    "variance_scaling": _variance_scaling,
    "xavier_normal": lambda k, i, o: Expected("normal", 0.0, k["gain"] * math.sqrt(2 / (i + o))),
    "xavier_uniform": lambda k, i, o: _uniform(-k["gain"] * math.sqrt(6 / (i + o)), k["gain"] * math.sqrt(6 / (i + o))),
    "zeros_init": lambda k, i, o: Expected("exact", 0.0),
}


def judge(exp: Expected, w: np.ndarray) -> tuple[bool, str]:
    """Whether the sample ``w`` fits ``exp`` (see the module docstring for the bounds)."""
    w = np.asarray(w, np.float64)
    n = w.size
    if exp.kind == "exact":
        bad = np.flatnonzero(w.ravel() != np.float32(exp.mean))
        return (not bad.size, f"value {w.ravel()[bad[0]]!r} != {exp.mean!r}" if bad.size else "")
    if exp.kind == "orthogonal":
        small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        target = exp.gain**2 * np.eye(small.shape[0])
        err = float(np.max(np.abs(small - target)))
        ok = bool(np.allclose(small, target, rtol=1e-5, atol=1e-5 * exp.gain**2))
        return ok, "" if ok else f"Gram matrix differs from gain**2 * I by {err:.3g} (gain {exp.gain})"
    mean, std = float(w.mean()), float(w.std())
    se_mean, se_std = exp.std / math.sqrt(n), exp.std / math.sqrt(2 * n)
    if abs(mean - exp.mean) > BOUND_SE * se_mean:
        return False, f"mean {mean:.6g}, expected {exp.mean:.6g} (6 standard errors: {BOUND_SE * se_mean:.3g})"
    if abs(std - exp.std) > BOUND_SE * se_std:
        return False, f"std {std:.6g}, expected {exp.std:.6g} (6 standard errors: {BOUND_SE * se_std:.3g})"
    if exp.kind == "uniform" or math.isfinite(exp.low):
        lo, hi = float(w.min()), float(w.max())
        slack = 1e-6 * max(abs(exp.low), abs(exp.high))
        if lo < exp.low - slack or hi > exp.high + slack:
            return False, f"values in [{lo:.6g}, {hi:.6g}], outside [{exp.low:.6g}, {exp.high:.6g}]"
        if exp.kind == "uniform" and hi - lo < (exp.high - exp.low) * (1 - 20 / n):
            return False, f"values span [{lo:.6g}, {hi:.6g}], not all of [{exp.low:.6g}, {exp.high:.6g}]"
    return True, ""


def verify_initializer(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for an initializer spec (see the module docstring)."""
    expected = EXPECTED.get(spec.operation)
    harness = frozenset(a.name for a in spec.std_args if a.name == "tensor")
    why = check_drawable(spec, harness)
    if expected is None:
        why = f"no expected distribution for {spec.operation!r} in verify/initializers.py"
    out: dict[str, PairResult] = {}
    for fw in runnable:
        if fw not in DRIVERS:
            out[fw] = PairResult("skipped", f"no initializer driver for {fw} in verify/initializers.py")
        elif (module := missing_imports(spec.variants[fw])) is not None:
            out[fw] = PairResult("skipped", f"{module} (the {fw} mapping's import) not installed")
        elif why:
            out[fw] = PairResult("skipped", why)
        else:
            out[fw] = _verify_one(spec, fw, expected, harness, max_examples)
    return out


def _fans(rng: np.random.Generator) -> tuple[int, int]:
    fan_in, fan_out = rng.choice(FANS, size=2, replace=False)
    return int(fan_in), int(fan_out)


def _verify_one(
    spec: OpSpec, fw: str, expected: Callable[..., Expected], harness: frozenset[str], max_examples: int
) -> PairResult:
    rng = rng_for(spec)  # the same examples for every framework
    valid, not_applicable = 0, ""
    for _ in range(min(EXAMPLES, max_examples)):
        example = draw_example(spec, rng, harness)
        fan_in, fan_out = _fans(rng)
        args = {a.name: example.get(a.name, a.default) for a in spec.std_args}
        exp = expected(args, fan_in, fan_out)
        run = _run(spec, fw, example, fan_in, fan_out, harness)
        if run.not_applicable:
            not_applicable = run.not_applicable
            continue
        ok, why = (False, f"raised {run.error}") if run.error else judge(exp, run.value)
        if not ok:
            text = _snippet(spec, fw, example, fan_in, fan_out, harness)
            text += f"# expected (the spec's {exp.kind}): mean {exp.mean:.6g}, std {exp.std:.6g}\n"
            return PairResult("failed", f"vs the spec's distribution: {why}", math.inf, valid, "spec", text)
        valid += 1
    if not valid:
        return PairResult("skipped", f"no drawn example the conversion applies to: {not_applicable}")
    return PairResult("verified", "against the spec's distribution", 0.0, valid, "spec")


def _run(spec: OpSpec, fw: str, example: dict[str, Any], fan_in: int, fan_out: int,
         harness: frozenset[str]) -> Run:
    try:
        plan = plan_for(spec, fw, example, {n: TENSOR for n in harness})
    except NotApplicable as e:
        return Run(not_applicable=str(e))
    except Exception as e:  # noqa: BLE001 - a mapping that cannot be called is its failure
        return Run(error=error_text(e))
    try:
        as_value = spec.variants[fw].as_value
        return Run(DRIVERS[fw].run(lambda w: construct(plan, {TENSOR.name: w}, as_value), fan_in, fan_out))
    except Exception as e:  # noqa: BLE001 - any framework error is this mapping's failure
        return Run(error=error_text(e))


def _snippet(spec: OpSpec, fw: str, example: dict[str, Any], fan_in: int, fan_out: int,
             harness: frozenset[str]) -> str:
    """A script filling the weight as the conversion does and printing its statistics."""
    plan = plan_for(spec, fw, example, {n: TENSOR for n in harness})
    imports = sorted({"import numpy", *imports_for(plan)})
    body = DRIVERS[fw].source.replace("INIT", plan_source(plan, spec.variants[fw].as_value))
    body = body.replace("FAN_IN", literal(fan_in)).replace("FAN_OUT", literal(fan_out))
    lines = [f"# swc verify counterexample for {spec.operation!r}", *imports, "", body, "w = numpy.asarray(w)",
             f"print({fw!r}, float(numpy.mean(w)), float(numpy.std(w)), float(numpy.min(w)), float(numpy.max(w)))"]
    return "\n".join(lines) + "\n"
