"""Devices while raising: which bound values name a device.

torch's ``x.to(...)`` casts or moves (``raise_guards``): it is the hub's ``to_device``
only where its argument is shown to be a device. :func:`is_device` accepts a device name
(``"cuda"``, ``"cpu:0"``), a device handle (``torch.device(...)``, raised or not), and a
name whose assignments in the enclosing function or at module level all bind one
(``device = torch.device("cuda" if ... else "cpu")``). Anything else (a parameter
``dev``, another tensor) is not shown to be a device, and the call stays marked.
"""

from __future__ import annotations

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.passes.fw_common import const_value, is_const
from xdsl.ir import Operation, SSAValue

DEVICE_KINDS = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "gpu", "tpu")


def _is_device_name(value: object) -> bool:
    return isinstance(value, str) and value.split(":")[0] in DEVICE_KINDS


def _is_device_handle(op: Operation | None) -> bool:
    if isinstance(op, hub.HubOp):
        return op.SPEC_NAME in ("device", "accelerator_device")
    return isinstance(op, fw.CallOp) and op.api.data == "torch.device"


def _assigned_values(name: pysrc.NameOp) -> list[SSAValue]:
    """Values bound to ``name.id`` by plain assignments in each enclosing body."""
    found: list[SSAValue] = []
    region = name.parent_region()
    while region is not None:
        for block in region.blocks:
            for op in block.ops:
                if isinstance(op, pysrc.AssignOp) and op.target.data == name.id.data and len(op.operands) == 1:
                    found.append(op.operands[0])
        owner = region.parent_op()
        region = owner.parent_region() if owner is not None else None
    return found


def is_device(v: SSAValue) -> bool:
    """Whether ``v`` is shown to be a device (see the module docstring)."""
    if is_const(v):
        return _is_device_name(const_value(v))
    if _is_device_handle(v.owner):
        return True
    if isinstance(v.owner, pysrc.NameOp):
        values = _assigned_values(v.owner)
        return bool(values) and all(is_device(a) for a in values if not isinstance(a.owner, pysrc.NameOp))
    return False
