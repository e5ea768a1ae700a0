"""Helpers shared by the StableHLO raising patterns: building hub ops with literal
arguments, and looking through broadcasts to the values they repeat."""

from __future__ import annotations

from typing import Any

from switcheroo.dialects import hub
from switcheroo.dialects import stablehlo_elementwise as she
from switcheroo.dialects import stablehlo_reduce as shr
from switcheroo.dialects import stablehlo_shape as shs
from switcheroo.passes.fw_common import make_const
from xdsl.dialects.builtin import ArrayAttr, DenseIntOrFPElementsAttr, StringAttr, TensorType
from xdsl.ir import Attribute, Operation, SSAValue


def hub_op(
    spec: str, args: list[tuple[str, SSAValue | Any]], result: Attribute
) -> tuple[list[Operation], Operation]:
    """Ops computing hub ``spec`` on named args; non-SSA args become ``pysrc`` literals
    (the same literal ops the Python path uses). Returns (all new ops, the hub op)."""
    ops: list[Operation] = []
    values: list[SSAValue] = []
    names: list[str] = []
    for name, v in args:
        if not isinstance(v, SSAValue):
            lit = make_const(v)
            ops.extend(lit)
            v = lit[-1].results[0]
        values.append(v)
        names.append(name)
    op = hub.op_for(spec).create(
        operands=values,
        properties={"arg_names": ArrayAttr([StringAttr(n) for n in names])},
        result_types=[result],
    )
    return [*ops, op], op


def through_broadcasts(v: SSAValue) -> SSAValue:
    """The value a chain of broadcast_in_dim/reshape ops repeats."""
    while isinstance(v.owner, shs.BroadcastInDimOp | shs.ReshapeOp):
        v = v.owner.operand
    return v


def splat_value(v: SSAValue) -> float | None:
    """The scalar a (broadcast) splat constant holds, else None."""
    v = through_broadcasts(v)
    op = v.owner
    if not isinstance(op, she.ConstantOp) or not isinstance(op.value, DenseIntOrFPElementsAttr):
        return None
    vals = set(op.value.get_values())
    return float(next(iter(vals))) if len(vals) == 1 else None


def dtype_name(t: Attribute) -> str:
    """``tensor<4xf32>`` -> ``'float32'`` (Array API dtype names)."""
    el = t.get_element_type() if isinstance(t, TensorType) else t
    text = str(el)
    table = {
        "f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
        "i1": "bool", "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
        "ui8": "uint8", "ui16": "uint16", "ui32": "uint32", "ui64": "uint64",
        "complex<f32>": "complex64", "complex<f64>": "complex128",
    }
    return table.get(text, text)


def reduce_kind(op: shr.ReduceOp) -> str | None:
    """``'add'``/``'maximum'``/... when ``op`` is a single-input reduce with that body."""
    if len(op.inputs) != 1:
        return None
    block = op.body.block
    inner = block.first_op
    if inner is None or inner.next_op is None or inner.next_op.next_op is not None:
        return None
    if list(inner.operands) != list(block.args):
        return None
    return inner.name.removeprefix("stablehlo.")
