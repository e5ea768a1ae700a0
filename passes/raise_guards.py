"""Raising refusals where a framework API means its hub op for some arguments only.

A variant names the guard in ``requires_plugin``; raising asks :func:`check_raise` after
binding, and a call the guard refuses is kept as written, marked with the reason.

- ``matrix_norm_on_pairs``: the API (``tf.norm``) computes a matrix norm over a pair of
  axes. It is the hub's ``vector_norm`` where ``ord`` is left out or None (over a pair,
  the Frobenius norm: the 2-norm of every entry), or the axis is one int or none.
- ``matrix_norm_on_matrices``: the API (``keras.ops.norm``, ``mlx.core.linalg.norm``)
  also computes a matrix norm of a matrix when ``axis`` is None: ``vector_norm`` only
  where ``ord`` is left out or None (the Frobenius norm, the 2-norm of every entry), or
  the axis is one int.
- ``dtype_argument``: the API (torch's ``x.to(...)``) casts only when its argument is a
  data type (a dtype constant, a tensor's ``.dtype``); ``x.to("cuda")``, ``x.to(dev)``
  and ``x.to(other)`` are other ops.
- ``device_argument``: the API (torch's ``x.to(...)``) moves to a device only when its
  argument is shown to be one (``passes/device_values.py``).
"""

from __future__ import annotations

from switcheroo.ontology.odl import Variant
from switcheroo.passes.fw_common import const_value, is_const
from xdsl.ir import SSAValue


class RaiseRefused(Exception):
    """The call means another op than the variant's with these arguments."""


def _literal(names: list[str], values: list[SSAValue], name: str) -> tuple[bool, object]:
    """(given, value): whether ``name`` is passed, and its literal value (``...`` if not one)."""
    if name not in names:
        return False, None
    v = values[names.index(name)]
    return True, const_value(v) if is_const(v) else ...


def check_raise(variant: Variant, names: list[str], values: list[SSAValue], api: str) -> None:
    """RaiseRefused where a guard of ``variant`` says the call is not its hub op."""
    plugins = variant.requires_plugin
    if "dtype_argument" in plugins:
        _check_dtype(names, values, api)
    if "device_argument" in plugins:
        _check_device(names, values, api)
    if "matrix_norm_on_pairs" not in plugins and "matrix_norm_on_matrices" not in plugins:
        return
    ord_given, order = _literal(names, values, "ord")
    axis_given, axis = _literal(names, values, "axis")
    if not ord_given or order is None:
        return  # the 2-norm of every entry (Frobenius over a matrix), over any axes
    if isinstance(order, str):  # tf.norm(ord='euclidean'): the hub's ord is a number
        raise RaiseRefused(f"{api}: ord={order!r} is a name the hub's vector_norm does not take")
    if type(axis) is int:
        return  # one axis: a vector norm
    if "matrix_norm_on_pairs" in plugins and (not axis_given or axis is None):
        return  # no axis: the input read as one vector
    where = "axis=None" if axis is None else "a non-literal axis" if axis is ... else f"axis={axis!r}"
    shown = "a non-literal ord" if order is ... else f"ord={order!r}"
    raise RaiseRefused(f"{api}: {shown} with {where} may be a matrix norm; give one int axis for a vector norm")


def _check_dtype(names: list[str], values: list[SSAValue], api: str) -> None:
    from switcheroo.passes.dtype_values import is_dtype

    if "dtype" not in names:
        raise RaiseRefused(f"{api}: no data type given: not a cast")
    if not is_dtype(values[names.index("dtype")]):
        raise RaiseRefused(f"{api}: the argument is not a known data type (a device or a tensor?): not a cast")


def _check_device(names: list[str], values: list[SSAValue], api: str) -> None:
    from switcheroo.passes.device_values import is_device

    if "device" not in names or not is_device(values[names.index("device")]):
        raise RaiseRefused(f"{api}: the argument is not shown to be a device (a name, torch.device(...)): not a move")
