"""Verify contexts and decorators (``op_type: context``, ``op_type: decorator``).

Their mappings claim an effect on a block or a function, so each framework's mapped API
is applied to a body and the claim the spec states is checked, with the body's value
compared with the reference's (the first installed mapping in ODL order):

- ``jit``: a function converted from torch by switcheroo's translator, decorated with the
  mapped API, computes what the undecorated torch function computes (twice: the compiled
  call and the cached one);
- ``custom_gradient``: ``f(x) = x * x`` whose declared gradient is ``3 * upstream`` (not
  the true ``2 x``, so that using the declared one shows) gives the same value and the
  declared gradient;
- ``no_grad``: the body's value equals the value outside the block and records no
  gradient (the framework's ``GRAD_RECORDED`` probe); where gradients are computed only on
  request (``ON_REQUEST``: JAX, MLX, Keras, NumPy) nothing records one, so the block must
  run, compute the same and give an ordinary (untraced) array;
- ``default_device``: the block runs with the framework's CPU device (``CPU``), arrays
  made in it are placed there (``PLACED``) and the body computes the same; only the CPU
  is present here, so this is evidence that the mapping's call forms a working context on
  a device, not that it moves work between devices;
- ``printoptions``: inside ``printoptions(precision=2)`` an array of 1/3 and 2/3 prints
  with two decimals, and prints with more once the block is left (the options restored);
- ``script_unused``: a method decorated with the mapped API computes ``x * x + 1``, what
  it computes undecorated; ``overload_method``: a class declares a stub overload with the
  mapped API and then defines the method: the call runs the definition (``x * x + 1``).

What differs between frameworks (a device handle, a gradient, a placement) is one table
per concern below, keyed by framework.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from switcheroo.ontology.odl import FRAMEWORK_KEYS, OpSpec
from switcheroo.ontology.verify import adapters
from switcheroo.ontology.verify import layer_models as lm
from switcheroo.ontology.verify.calls import resolve
from switcheroo.ontology.verify.check import PairResult, _error_text
from switcheroo.ontology.verify.compare import compare

X = np.array([[-1.5, -0.25, 0.0], [0.5, 1.0, 2.0]], np.float32)
THIRDS = np.array([1 / 3, 2 / 3], np.float32)

_JIT_SOURCE = """\
import torch


def f(x):
    return torch.sin(x) * x + 1.0
"""


def _torch_grad_recorded(y: Any) -> bool:
    return bool(y.requires_grad)


def _torch_tracked(x: Any) -> Any:
    return x.requires_grad_(True)


# no_grad: (make an input tracked, did a result record a gradient), per framework.
GRAD_RECORDED: dict[str, tuple[Callable[[Any], Any], Callable[[Any], bool]]] = {
    "torch": (_torch_tracked, _torch_grad_recorded),
}


def _jax_concrete(y: Any) -> bool:
    import jax

    return isinstance(y, jax.Array) and not isinstance(y, jax.core.Tracer)


def _mlx_concrete(y: Any) -> bool:
    import mlx.core as mx

    return isinstance(y, mx.array)


def _keras_concrete(y: Any) -> bool:
    import keras

    return keras.ops.is_tensor(y) and hasattr(y, "numpy")


# no_grad where differentiation happens only on request (jax.grad, mlx.core.grad, a
# GradientTape) or not at all (NumPy): no array ever carries a gradient record, so the
# claim is that the mapped block runs, computes what the same code computes outside it,
# and gives an ordinary array of the framework (not a traced or taped value), per framework.
ON_REQUEST: dict[str, Callable[[Any], bool]] = {
    "jax": _jax_concrete,
    "keras": _keras_concrete,
    "mlx": _mlx_concrete,
    "numpy": lambda y: isinstance(y, np.ndarray),
}


def _jax_cpu() -> Any:
    import jax

    return jax.devices("cpu")[0]


def _mlx_cpu() -> Any:
    import mlx.core as mx

    return mx.cpu


# default_device: the CPU device handle the mapped API takes, per framework.
CPU: dict[str, Callable[[], Any]] = {
    "jax": _jax_cpu,
    "mlx": _mlx_cpu,
    "tensorflow": lambda: "/CPU:0",
    "torch": lambda: "cpu",
}


def _jax_placed(a: Any) -> bool:
    return {d.platform for d in a.devices()} == {"cpu"}


def _mlx_placed(a: Any) -> bool:
    import mlx.core as mx

    return mx.default_device() == mx.cpu


# default_device: whether an array made in the block is on the CPU, per framework.
PLACED: dict[str, Callable[[Any], bool]] = {
    "jax": _jax_placed,
    "mlx": _mlx_placed,
    "tensorflow": lambda a: a.device.upper().endswith("CPU:0"),
    "torch": lambda a: a.device.type == "cpu",
}


def _tape_gradient(fw: str, f: Callable[[Any], Any], x: np.ndarray) -> tuple[Any, Any]:
    import tensorflow as tf

    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = f(t)
    return y, tape.gradient(y, t)


# custom_gradient: (value, gradient of sum) of f at x, per framework (Keras on its
# TensorFlow backend differentiates with a tape too).
GRADIENT: dict[str, Callable[[str, Callable[[Any], Any], np.ndarray], tuple[Any, Any]]] = {
    "keras": _tape_gradient,
    "tensorflow": _tape_gradient,
}


class Mismatch(AssertionError):
    """The framework's block or function disagrees with the claim: the message says how."""


def _np(fw: str, value: Any) -> np.ndarray:
    return np.asarray(adapters.to_numpy(fw, value))


def _same(spec: OpSpec, got: Any, expected: Any, what: str) -> float:
    outcome = compare(spec, expected, got)
    if not outcome.ok:
        raise Mismatch(f"{what}: {outcome.why}")
    return outcome.max_abs_err


# -- one function per op: (spec, framework, api) -> (value for comparison, max error) -----
def _jit(spec: OpSpec, fw: str, api: Any) -> tuple[Any, float]:
    code = _JIT_SOURCE if fw == "torch" else lm.convert(spec, _JIT_SOURCE, "torch", fw)
    f = lm.load_source(code, "jit").f
    x = lm.native(fw, [X])[0]
    plain = _np(fw, f(x))
    compiled = api(f)
    err = _same(spec, _np(fw, compiled(x)), plain, "compiled call")
    return plain, max(err, _same(spec, _np(fw, compiled(x)), plain, "second compiled call"))


def _custom_gradient(spec: OpSpec, fw: str, api: Any) -> tuple[Any, float]:
    differentiate = GRADIENT.get(fw)
    if differentiate is None:
        raise Mismatch(f"no way to differentiate in {fw} (GRADIENT)")

    @api
    def square(x: Any) -> Any:
        def grad(*args: Any, upstream: Any = None) -> Any:
            return (args[0] if upstream is None else upstream) * 3.0

        return x * x, grad

    y, g = differentiate(fw, square, X)
    _same(spec, _np(fw, y), X * X, "value")
    _same(spec, _np(fw, g), np.full_like(X, 3.0), "gradient (the declared 3 * upstream)")
    return _np(fw, y), 0.0


def _no_grad(spec: OpSpec, fw: str, api: Any) -> tuple[Any, float]:
    if fw in ON_REQUEST:
        x = lm.native(fw, [X])[0]
        outside = x * x + 1.0
        with api():
            inside = x * x + 1.0
        if not ON_REQUEST[fw](inside):
            raise Mismatch(f"the block's result is not an ordinary array: {type(inside).__name__}")
        return _np(fw, inside), _same(spec, _np(fw, inside), _np(fw, outside), "value")
    track, recorded = GRAD_RECORDED[fw]
    x = track(lm.native(fw, [X])[0])
    outside = x * x + 1.0
    with api():
        inside = x * x + 1.0
    if not recorded(outside):
        raise Mismatch("the probe sees no gradient recorded outside the block either")
    if recorded(inside):
        raise Mismatch("the block's result records a gradient")
    return _np(fw, inside), _same(spec, _np(fw, inside), _np(fw, outside.detach()), "value")


def _default_device(spec: OpSpec, fw: str, api: Any) -> tuple[Any, float]:
    with api(CPU[fw]()):
        a = lm.native(fw, [X])[0]
        y = a * a + 1.0
        if not PLACED[fw](y):
            raise Mismatch("an array made in the block is not on the CPU")
    return _np(fw, y), _same(spec, _np(fw, y), X * X + 1.0, "value")


def _printoptions(spec: OpSpec, fw: str, api: Any) -> tuple[Any, float]:
    a = lm.native(fw, [THIRDS])[0]
    with api(precision=2):
        inside = str(a)
    after = str(a)
    if "0.33" not in inside or re.search(r"0\.333", inside):
        raise Mismatch(f"with precision=2 the array prints as {inside!r}")
    if not re.search(r"0\.333", after):
        raise Mismatch(f"after the block the array prints as {after!r} (options not restored)")
    return THIRDS, 0.0


def _script_unused(spec: OpSpec, fw: str, api: Any) -> tuple[Any, float]:
    class Net:
        @api
        def f(self, x: Any) -> Any:
            return x * x + 1.0

    y = _np(fw, Net().f(lm.native(fw, [X])[0]))
    return y, _same(spec, y, X * X + 1.0, "the decorated method's value")


def _overload_method(spec: OpSpec, fw: str, api: Any) -> tuple[Any, float]:
    class Net:
        @api
        def f(self, x: Any) -> Any: ...  # the declared overload: a stub

        def f(self, x: Any) -> Any:  # noqa: F811 - the definition that is called
            return x * x + 1.0

    y = Net().f(lm.native(fw, [X])[0])
    if y is None or y is Ellipsis:
        raise Mismatch("the call ran the overload stub, not the definition that follows it")
    return _np(fw, y), _same(spec, _np(fw, y), X * X + 1.0, "the method's value")


CHECKS: dict[str, Callable[[OpSpec, str, Any], tuple[Any, float]]] = {
    "custom_gradient": _custom_gradient,
    "default_device": _default_device,
    "jit": _jit,
    "no_grad": _no_grad,
    "overload_method": _overload_method,
    "printoptions": _printoptions,
    "script_unused": _script_unused,
}
NEEDS: dict[str, dict[str, Any]] = {
    "custom_gradient": GRADIENT,
    "default_device": CPU,
    "no_grad": {**GRAD_RECORDED, **ON_REQUEST},
}


def _mapped(spec: OpSpec, variant: Any) -> Any:
    """The mapped API, or a composed variant as a function of the spec's arguments
    (``jit: {compose: 'fun'}``: the identity, for a framework that needs no compiling)."""
    if variant.compose is None:
        return resolve(variant.api)[0]
    import importlib.util

    from switcheroo.ontology import compose

    tree = compose.parse(variant.compose)
    roots = {n.id for n, _ in compose.walk_names(tree)} - set(spec.arg_names)
    scope = {r: importlib.import_module(r) for r in roots if importlib.util.find_spec(r) is not None}
    return eval(f"lambda {', '.join(spec.arg_names)}: {variant.compose}", scope)  # the ontology's own data


def _verify(spec: OpSpec, runnable: list[str], what: str) -> dict[str, PairResult]:
    check = CHECKS.get(spec.operation)
    if check is None:
        return {
            fw: PairResult("skipped", f"{what}: no check for {spec.operation}") for fw in runnable
        }
    order = ["numpy", *FRAMEWORK_KEYS]
    fws = sorted(runnable, key=lambda fw: order.index(fw) if fw in order else len(order))
    values: dict[str, Any] = {}
    out: dict[str, PairResult] = {}
    for fw in fws:
        table = NEEDS.get(spec.operation)
        if table is not None and fw not in table:
            out[fw] = PairResult("skipped", f"{what}: {spec.operation} has no probe for {fw}")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values[fw], err = check(spec, fw, _mapped(spec, spec.variants[fw]))
        except (Mismatch, lm.ConversionError) as e:
            out[fw] = PairResult("failed", str(e), math.inf, 0)
        except Exception as e:  # noqa: BLE001 - any framework error is this mapping's failure
            out[fw] = PairResult("failed", f"raised {_error_text(e)}", math.inf, 0)
        else:
            out[fw] = PairResult("verified", "", err, 1)
    ref = next(iter(values), None)
    for fw, value in values.items():
        if fw == ref:
            continue
        outcome = compare(spec, _np(ref, values[ref]), _np(fw, value))
        if not outcome.ok:
            out[fw] = PairResult("failed", f"vs {ref}: {outcome.why}", math.inf, 1, ref)
        else:
            out[fw].reference = ref
    if ref is not None and len(values) > 1:
        out[ref].reason = f"reference; agrees with {', '.join(f for f in values if f != ref)}"
    elif ref is not None:
        out[ref].reason = "checked against the spec's claim only: no other mapping to compare with"
    return out


def verify_context(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for one context (see the module docstring)."""
    return _verify(spec, runnable, "op_type context")


def verify_decorator(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for one decorator (see the module docstring)."""
    return _verify(spec, runnable, "op_type decorator")
