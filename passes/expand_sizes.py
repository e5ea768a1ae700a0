"""torch's ``-1`` sizes of ``expand``/``broadcast_to``, raised as the sizes they keep.

``x.expand(b, -1, -1)`` keeps every dimension given as ``-1``; the hub's (the Array API's)
``broadcast_to`` takes the target shape itself. A target of rank ``n`` over an input of
rank ``r`` lines up from the right (``expand`` may add leading dimensions), so entry ``j``
is input dimension ``j - (n - r)``: counted from the right, ``x.shape[j - n]``, which needs
no rank. Raising writes that read for each literal ``-1``. An entry that is not a literal
must be shown to be a size (a literal, ``y.shape[i]``, ``y.size(i)``, ``len(...)``,
arithmetic without subtraction on those, or a name every assignment of which is one);
anything else may be ``-1`` at run time, and the call is refused (kept, marked).
"""

from __future__ import annotations

from collections.abc import Callable

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.passes.fw_common import _NO_VALUE, OBJ, const_value, make_const
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue


class SizeRefusal(Exception):
    """An entry may be -1 and is not literal; the call is kept, marked."""


def _assignments(name: pysrc.NameOp) -> list[tuple[str, SSAValue]] | None:
    """(target text, value) of each plain assignment to ``name`` in its enclosing bodies;
    None where an augmented assignment changes it."""
    found: list[tuple[str, SSAValue]] = []
    region = name.parent_region()
    while region is not None:
        for block in region.blocks:
            for op in block.walk():
                if isinstance(op, pysrc.AugAssignOp) and op.target.data == name.id.data:
                    return None
                if isinstance(op, pysrc.AssignOp):
                    targets = [t.strip(" ()") for t in op.target.data.split(",")]
                    if name.id.data in targets:
                        found.append((op.target.data, op.value))
        owner = region.parent_op()
        region = owner.parent_region() if owner is not None else None
    return found


def _is_shape(v: SSAValue) -> bool:
    """``y.shape`` or ``y.size()``: a tuple of sizes."""
    op = v.owner
    if isinstance(op, pysrc.AttrOp):
        return op.attr.data == "shape"
    if isinstance(op, fw.CallOp):
        return op.api.data == "torch.Tensor.size" and len(op.args) == 1
    return False


def is_size(v: SSAValue, seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``v`` is shown never to be ``-1`` (see the module docstring)."""
    value = const_value(v)
    if value is not _NO_VALUE:
        return type(value) is int and value >= 0
    op = v.owner
    if isinstance(op, pysrc.SubscriptOp):
        return _is_shape(op.value)
    if isinstance(op, fw.CallOp):
        return op.api.data == "torch.Tensor.size" and len(op.args) == 2
    if isinstance(op, hub.HubOp):
        return op.SPEC_NAME == "tensor_shape"
    if isinstance(op, pysrc.CallOp):
        callee = op.callee.owner
        return isinstance(callee, pysrc.NameOp) and callee.id.data in ("len", "int") and len(op.args) == 1 \
            and (callee.id.data == "len" or is_size(op.args[0], seen))
    if isinstance(op, pysrc.BinOp):
        return op.operator.data in ("+", "*", "//") and is_size(op.lhs, seen) and is_size(op.rhs, seen)
    if isinstance(op, pysrc.NameOp) and op.id.data not in seen:
        found = _assignments(op)
        if not found:
            return False
        inner = seen | {op.id.data}
        # b = x.shape[0], or B, N, C = x.shape (each name of the unpacking a size)
        return all(is_size(val, inner) if "," not in text else _is_shape(val) for text, val in found)
    return False


def _dim_read(x: SSAValue, index: int) -> list[Operation]:
    """``x.shape[index]``."""
    shape = pysrc.AttrOp.create(operands=[x], properties={"attr": StringAttr("shape")}, result_types=[OBJ])
    idx = make_const(index)
    return [shape, *idx, pysrc.SubscriptOp.create(operands=[shape.results[0], idx[-1].results[0]],
                                                  result_types=[OBJ])]


def kept_sizes(x: SSAValue, shape: SSAValue, pure_read: Callable[[SSAValue], bool]) -> list[Operation]:
    """The ops that spell ``shape`` with each literal ``-1`` as the input size it keeps
    (the last op's result is the new shape; none when nothing changes)."""
    if _is_shape(shape):
        return []
    owner = shape.owner
    if isinstance(owner, pysrc.TupleOp) and owner.kind.data in ("tuple", "list"):
        entries = list(owner.elts)
    elif is_size(shape):
        return []  # one size: x.expand(5), a shape of rank 1
    else:
        raise SizeRefusal("the target shape is not a literal tuple; an entry may be -1 (keep "
                          "that dimension), which only a literal shows")
    if any(isinstance(e.owner, pysrc.StarOp) for e in entries):
        raise SizeRefusal("a starred size may hold -1")
    n = len(entries)
    new_ops: list[Operation] = []
    out: list[SSAValue] = []
    for j, e in enumerate(entries):
        value = const_value(e)
        if value == -1 and type(value) is int:
            if not pure_read(x):
                raise SizeRefusal("the expanded tensor is an expression that would be evaluated "
                                  "once per -1; assign it to a name first")
            ops = _dim_read(x, j - n)
            new_ops.extend(ops)
            out.append(ops[-1].results[0])
        elif is_size(e):
            out.append(e)
        else:
            raise SizeRefusal(f"size {j} is not shown to be a size and may be -1 (keep that "
                              "dimension); give it literally or as a shape read")
    if not new_ops:
        return []
    tup = pysrc.TupleOp.create(operands=out, properties={"kind": StringAttr("tuple")}, result_types=[OBJ])
    return [*new_ops, tup]
