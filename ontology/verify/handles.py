"""Verify ops whose values are device handles or files rather than arrays.

No value of a ``Device`` or a file name can be compared across frameworks, but each claim
has a finite domain on this machine and a property that shows it:

- ``device``: the handle named ``cpu`` (and ``cpu:0``) is the CPU (``IS_CPU``) and works:
  an array put there (``PUT``) keeps its values and is placed on the CPU
  (``contexts.PLACED``);
- ``to_device``: with the framework's own ``device('cpu')`` handle (its ``device``
  mapping, as a conversion writes both), ``x`` comes back with the same values, on the CPU;
- ``save`` and ``load``: a round trip through a temporary file, each written as a
  conversion writes it (the framework's ``save`` then its ``load``), gives back the saved
  array (values, shape and dtype). The file names are a ``torch``-style ``.pt``, a ``.npy``
  and a bare name; only arrays are drawn (``obj`` may be any object in the spec).

Arrays are the multiples of 1/8 of :data:`X` and an int64 vector. Only a CPU is present,
so ``device`` and ``to_device`` show that the handle is formed and usable, not that work
moves between devices.
"""

from __future__ import annotations

import math
import os
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from switcheroo.ontology.odl import OpSpec
from switcheroo.ontology.verify import adapters
from switcheroo.ontology.verify.calls import NotApplicable, build_plan, execute, invoke, render_call
from switcheroo.ontology.verify.check import PairResult, _error_text
from switcheroo.ontology.verify.compare import compare
from switcheroo.ontology.verify.contexts import PLACED

ARRAYS = (
    np.array([[-1.5, -0.25, 0.0], [0.5, 1.0, 2.0]], np.float32),
    np.array([3, -1, 0, 7], np.int64),
)
DEVICE_NAMES = ("cpu", "cpu:0")
FILE_NAMES = ("tensor.pt", "tensor.npy", "tensor")


def _mlx_is_cpu(d: Any) -> bool:
    import mlx.core as mx

    return d.type == mx.DeviceType.cpu


# device: whether a handle is the CPU, per framework.
IS_CPU: dict[str, Callable[[Any], bool]] = {
    "jax": lambda d: d.platform == "cpu",
    "mlx": _mlx_is_cpu,
    "torch": lambda d: d.type == "cpu",
}


def _jax_put(handle: Any, x: np.ndarray) -> Any:
    import jax

    return jax.device_put(x, handle)


def _mlx_put(handle: Any, x: np.ndarray) -> Any:
    import mlx.core as mx

    with mx.stream(handle):
        y = mx.array(x) + 0
        mx.eval(y)
    return y


def _torch_put(handle: Any, x: np.ndarray) -> Any:
    import torch

    return torch.as_tensor(x, device=handle)


# device: an array made on the handle's device, with the framework's own call.
PUT: dict[str, Callable[[Any, np.ndarray], Any]] = {
    "jax": _jax_put,
    "mlx": _mlx_put,
    "torch": _torch_put,
}


class Mismatch(AssertionError):
    """The mapping's result contradicts the claim: the message says how."""


def _ontology() -> Any:
    from switcheroo.ontology.loader import load_ontology

    return load_ontology()


def _plan(op: str, fw: str, example: dict[str, Any]) -> Any:
    """The call a conversion writes for the framework's mapping of ``op``."""
    spec = _ontology().specs[op]
    if fw not in spec.variants:
        raise NotApplicable(f"{fw} has no {op} mapping")
    return build_plan(spec, fw, spec.variants[fw], example)


def _same(spec: OpSpec, got: Any, expected: np.ndarray, what: str) -> float:
    outcome = compare(spec, expected, got)
    if not outcome.ok:
        raise Mismatch(f"{what}: {outcome.why}")
    return outcome.max_abs_err


def _device(spec: OpSpec, fw: str, calls: list[str]) -> float:
    err = 0.0
    for name in DEVICE_NAMES:
        plan = _plan("device", fw, {"name": name})
        calls.append(render_call(plan))
        handle = invoke(plan, {"name": name})
        if not IS_CPU[fw](handle):
            raise Mismatch(f"device({name!r}) is {handle!r}, not the CPU")
        for x in ARRAYS:
            y = PUT[fw](handle, x)
            if not PLACED[fw](y):
                raise Mismatch(f"an array put on device({name!r}) is not on the CPU")
            err = max(err, _same(spec, adapters.to_numpy(fw, y), x, f"an array put on device({name!r})"))
    return err


def _to_device(spec: OpSpec, fw: str, calls: list[str]) -> float:
    handle = invoke(_plan("device", fw, {"name": "cpu"}), {"name": "cpu"})
    err = 0.0
    for x in ARRAYS:
        example = {"x": x, "device": handle}
        plan = build_plan(spec, fw, spec.variants[fw], example)
        calls.append(render_call(plan))
        y = invoke(plan, example)
        if not PLACED[fw](y):
            raise Mismatch("the result is not on the CPU")
        err = max(err, _same(spec, adapters.to_numpy(fw, y), x, "to_device(x, device('cpu'))"))
    return err


# accelerator_device where no accelerator is present: the CPU, in the framework's own form
# (a handle, or the name `with tf.device(...)` and NumPy's `device=` take).
NO_ACCELERATOR_IS_CPU: dict[str, Callable[[Any], bool]] = {
    **IS_CPU,
    "numpy": lambda d: d == "cpu",
    "tensorflow": lambda d: isinstance(d, str) and d.upper().endswith("CPU:0"),
}


def _has_accelerator() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _accelerator_device(spec: OpSpec, fw: str, calls: list[str]) -> float:
    if _has_accelerator():
        raise NotApplicable("this machine has an accelerator: the check is for one without")
    plan = _plan("accelerator_device", fw, {})
    calls.append(render_call(plan))
    handle = invoke(plan, {})
    if not NO_ACCELERATOR_IS_CPU[fw](handle):
        raise Mismatch(f"with no accelerator present the device is {handle!r}, not the CPU")
    return 0.0


def _round_trip(spec: OpSpec, fw: str, calls: list[str]) -> float:
    err = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name in FILE_NAMES:
            path = os.path.join(tmp, name)
            for x in ARRAYS:
                save = _plan("save", fw, {"obj": x, "f": path})
                load = _plan("load", fw, {"f": path})
                calls[:] = [render_call(p).replace(path, name) for p in (save, load)]
                invoke(save, {"obj": x, "f": path})
                got = execute(load, {"f": path})
                err = max(err, _same(spec, got, x, f"loaded back from {name!r}"))
                if np.asarray(got).dtype != x.dtype:
                    raise Mismatch(f"loaded back from {name!r} as {np.asarray(got).dtype}, saved {x.dtype}")
    return err


# op -> check(spec, framework, calls): the largest error seen; ``calls`` is filled with
# the source of the calls being run, for the report of a failure.
CHECKS: dict[str, Callable[[OpSpec, str, list[str]], float]] = {
    "accelerator_device": _accelerator_device,
    "device": _device,
    "load": _round_trip,
    "save": _round_trip,
    "to_device": _to_device,
}
VERIFIED = {
    "accelerator_device": "with no accelerator present the device is the CPU",
    "device": "device('cpu') and device('cpu:0') are the CPU and hold arrays there",
    "load": "a save then load round trip gives the arrays back",
    "save": "a save then load round trip gives the arrays back",
    "to_device": "to_device(x, device('cpu')) gives x, on the CPU",
}
# Frameworks each check has the probes for (the rest are skipped with the reason).
NEEDS: dict[str, dict[str, Any]] = {"accelerator_device": NO_ACCELERATOR_IS_CPU, "device": IS_CPU, "to_device": PLACED}


def verify_handle(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for one op of this module (see its docstring)."""
    check = CHECKS[spec.operation]
    out: dict[str, PairResult] = {}
    for fw in runnable:
        table = NEEDS.get(spec.operation)
        if table is not None and fw not in table:
            out[fw] = PairResult("skipped", f"{spec.operation} has no probe for {fw} in verify/handles.py")
            continue
        calls: list[str] = []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                err = check(spec, fw, calls)
        except NotApplicable as e:
            out[fw] = PairResult("skipped", f"the conversion keeps the call: {e}")
        except Exception as e:  # noqa: BLE001 - any framework error is this mapping's failure
            why = str(e) if isinstance(e, Mismatch) else f"raised {_error_text(e)}"
            out[fw] = PairResult("failed", why, math.inf, 0, snippet="\n".join(calls) + "\n")
        else:
            out[fw] = PairResult("verified", VERIFIED[spec.operation], err, len(ARRAYS))
        adapters.after_op([fw])
    return out
