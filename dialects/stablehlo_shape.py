"""Shape ``stablehlo`` ops: reshape, transpose, broadcast_in_dim, concatenate, slice,
dynamic_slice, dynamic_update_slice, pad, reverse, gather, scatter, tuples and
optimization_barrier. Spec: https://openxla.org/stablehlo/spec
"""

from __future__ import annotations

import math
from typing import ClassVar

from switcheroo.dialects.stablehlo_attrs import (
    GatherDimensionNumbersAttr,
    ScatterDimensionNumbersAttr,
)
from switcheroo.dialects.stablehlo_syntax import (
    KeywordSyntax,
    Kw,
    array_values,
    i64_array,
    parse_sig,
    print_attr_dict,
    print_sig,
    shape_of,
    split_attr_dict,
)
from xdsl.dialects.builtin import BoolAttr, DenseArrayBase, IntegerAttr, TensorType
from xdsl.ir import Attribute
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException


@irdl_op_definition
class ReshapeOp(KeywordSyntax):
    """Same elements in row-major order, new static shape.
    Spec: https://openxla.org/stablehlo/spec#reshape"""

    name = "stablehlo.reshape"
    SIG: ClassVar[str] = "func"
    operand = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        a, b = shape_of(self.operand.type), shape_of(self.result.type)
        if a and b and -1 not in a + b and math.prod(a) != math.prod(b):
            raise VerifyException("stablehlo.reshape: element counts differ")


@irdl_op_definition
class TransposeOp(KeywordSyntax):
    """Permute dimensions: ``result.shape[i] = operand.shape[permutation[i]]``.
    Spec: https://openxla.org/stablehlo/spec#transpose"""

    name = "stablehlo.transpose"
    SIG: ClassVar[str] = "func"
    KEYWORDS: ClassVar[tuple[Kw, ...]] = (Kw("dims", "permutation", "i64s"),)
    operand = operand_def(TensorType)
    permutation = prop_def(DenseArrayBase)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        perm = array_values(self.permutation)
        s, r = shape_of(self.operand.type) or (), shape_of(self.result.type) or ()
        if sorted(perm) != list(range(len(s))):
            raise VerifyException("stablehlo.transpose: permutation is not a permutation")
        if tuple(s[p] for p in perm) != r:
            raise VerifyException("stablehlo.transpose: result shape is not the permuted shape")


@irdl_op_definition
class BroadcastInDimOp(KeywordSyntax):
    """Broadcast: operand dim i becomes result dim ``broadcast_dimensions[i]`` (size 1 or
    equal); other result dims are new. Spec: https://openxla.org/stablehlo/spec#broadcast_in_dim"""

    name = "stablehlo.broadcast_in_dim"
    SIG: ClassVar[str] = "func"
    KEYWORDS: ClassVar[tuple[Kw, ...]] = (Kw("dims", "broadcast_dimensions", "i64s"),)
    operand = operand_def(TensorType)
    broadcast_dimensions = prop_def(DenseArrayBase)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        dims = array_values(self.broadcast_dimensions)
        s, r = shape_of(self.operand.type) or (), shape_of(self.result.type) or ()
        if len(dims) != len(s):
            raise VerifyException("stablehlo.broadcast_in_dim: one dimension per operand dim")
        for i, d in enumerate(dims):
            if not 0 <= d < len(r) or s[i] not in (1, r[d], -1):
                raise VerifyException(f"stablehlo.broadcast_in_dim: bad mapping of dim {i}")


@irdl_op_definition
class ConcatenateOp(KeywordSyntax):
    """Join inputs along ``dimension``. Spec: https://openxla.org/stablehlo/spec#concatenate"""

    name = "stablehlo.concatenate"
    SIG: ClassVar[str] = "func"
    KEYWORDS: ClassVar[tuple[Kw, ...]] = (Kw("dim", "dimension", "int"),)
    inputs = var_operand_def(TensorType)
    dimension = prop_def(IntegerAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        d = self.dimension.value.data
        shapes = [shape_of(v.type) or () for v in self.inputs]
        if not shapes or not all(0 <= d < len(s) for s in shapes):
            raise VerifyException("stablehlo.concatenate: dimension out of range")


@irdl_op_definition
class SliceOp(IRDLOperation):
    """Static strided slice ``operand[start:limit:stride, ...]``.
    Spec: https://openxla.org/stablehlo/spec#slice"""

    name = "stablehlo.slice"
    operand = operand_def(TensorType)
    start_indices = prop_def(DenseArrayBase)
    limit_indices = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> SliceOp:
        operand = parser.parse_operand()

        def one() -> tuple[int, int, int]:
            start = parser.parse_integer()
            parser.parse_punctuation(":")
            limit = parser.parse_integer()
            stride = parser.parse_integer() if parser.parse_optional_punctuation(":") else 1
            return start, limit, stride

        triples = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, one)
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        parser.parse_punctuation(":")
        props = {
            "start_indices": i64_array([t[0] for t in triples]),
            "limit_indices": i64_array([t[1] for t in triples]),
            "strides": i64_array([t[2] for t in triples]),
            **more,
        }
        return cls.create(
            operands=[operand], result_types=parse_sig(parser, "func", 1),
            properties=props, attributes=attrs,
        )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.operand)
        parts = []
        for a, b, c in zip(
            array_values(self.start_indices), array_values(self.limit_indices),
            array_values(self.strides), strict=True,
        ):
            parts.append(f"{a}:{b}" + (f":{c}" if c != 1 else ""))
        printer.print_string(" [" + ", ".join(parts) + "]")
        print_attr_dict(printer, self, {"start_indices", "limit_indices", "strides"})
        print_sig(printer, self, "func")

    def verify_(self) -> None:
        n = len(shape_of(self.operand.type) or ())
        if not (len(self.start_indices) == len(self.limit_indices) == len(self.strides) == n):
            raise VerifyException("stablehlo.slice: one start/limit/stride per dimension")


@irdl_op_definition
class DynamicSliceOp(KeywordSyntax):
    """Slice of size ``slice_sizes`` at runtime ``start_indices`` (clamped in bounds).
    Spec: https://openxla.org/stablehlo/spec#dynamic_slice"""

    name = "stablehlo.dynamic_slice"
    SIG: ClassVar[str] = "func"
    KEYWORDS: ClassVar[tuple[Kw, ...]] = (Kw("sizes", "slice_sizes", "i64s"),)
    operand = operand_def(TensorType)
    start_indices = var_operand_def(TensorType)
    slice_sizes = prop_def(DenseArrayBase)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        n = len(shape_of(self.operand.type) or ())
        if len(self.start_indices) != n or len(self.slice_sizes) != n:
            raise VerifyException("stablehlo.dynamic_slice: one index and size per dimension")


@irdl_op_definition
class DynamicUpdateSliceOp(KeywordSyntax):
    """``operand`` with ``update`` written at runtime ``start_indices`` (clamped).
    Spec: https://openxla.org/stablehlo/spec#dynamic_update_slice"""

    name = "stablehlo.dynamic_update_slice"
    SIG: ClassVar[str] = "func"
    operand = operand_def(TensorType)
    update = operand_def(TensorType)
    start_indices = var_operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        if len(self.start_indices) != len(shape_of(self.operand.type) or ()):
            raise VerifyException("stablehlo.dynamic_update_slice: one index per dimension")


@irdl_op_definition
class PadOp(KeywordSyntax):
    """Pad with ``padding_value``: low/high edges (negative crops) and interior gaps.
    Spec: https://openxla.org/stablehlo/spec#pad"""

    name = "stablehlo.pad"
    SIG: ClassVar[str] = "func"
    KEYWORDS: ClassVar[tuple[Kw, ...]] = (
        Kw("low", "edge_padding_low", "i64s"),
        Kw("high", "edge_padding_high", "i64s"),
        Kw("interior", "interior_padding", "i64s"),
    )
    operand = operand_def(TensorType)
    padding_value = operand_def(TensorType)
    edge_padding_low = prop_def(DenseArrayBase)
    edge_padding_high = prop_def(DenseArrayBase)
    interior_padding = prop_def(DenseArrayBase)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        n = len(shape_of(self.operand.type) or ())
        if {len(self.edge_padding_low), len(self.edge_padding_high), len(self.interior_padding)} != {n}:
            raise VerifyException("stablehlo.pad: one padding per dimension")


@irdl_op_definition
class ReverseOp(KeywordSyntax):
    """Reverse the order of elements along ``dimensions``.
    Spec: https://openxla.org/stablehlo/spec#reverse"""

    name = "stablehlo.reverse"
    KEYWORDS: ClassVar[tuple[Kw, ...]] = (Kw("dims", "dimensions", "i64s"),)
    operand = operand_def(TensorType)
    dimensions = prop_def(DenseArrayBase)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        if self.operand.type != self.result.type:
            raise VerifyException("stablehlo.reverse: result type differs from operand type")


@irdl_op_definition
class GatherOp(IRDLOperation):
    """Gather slices of ``operand`` at ``start_indices`` (generic form only).
    Spec: https://openxla.org/stablehlo/spec#gather"""

    name = "stablehlo.gather"
    operand = operand_def(TensorType)
    start_indices = operand_def(TensorType)
    dimension_numbers = prop_def(GatherDimensionNumbersAttr)
    slice_sizes = prop_def(DenseArrayBase)
    indices_are_sorted = opt_prop_def(BoolAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        if len(self.slice_sizes) != len(shape_of(self.operand.type) or ()):
            raise VerifyException("stablehlo.gather: one slice size per operand dimension")


@irdl_op_definition
class ScatterOp(IRDLOperation):
    """Combine ``updates`` into ``inputs`` at ``scatter_indices`` with the
    ``update_computation`` region (generic form only).
    Spec: https://openxla.org/stablehlo/spec#scatter"""

    name = "stablehlo.scatter"
    # inputs..., scatter_indices, updates... (N, 1, N): MLIR prints no segment sizes, so
    # one variadic holds them all and the accessors below split it.
    args = var_operand_def(TensorType)
    scatter_dimension_numbers = prop_def(ScatterDimensionNumbersAttr)
    indices_are_sorted = opt_prop_def(BoolAttr)
    unique_indices = opt_prop_def(BoolAttr)
    update_computation = region_def("single_block")
    result = var_result_def(TensorType)

    @property
    def inputs(self) -> tuple:
        return tuple(self.args[: len(self.args) // 2])

    @property
    def scatter_indices(self):
        return self.args[len(self.args) // 2]

    @property
    def updates(self) -> tuple:
        return tuple(self.args[len(self.args) // 2 + 1 :])

    def verify_(self) -> None:
        if len(self.args) % 2 == 0 or len(self.result) != len(self.args) // 2:
            raise VerifyException("stablehlo.scatter: inputs, indices, updates (N, 1, N)")


@irdl_op_definition
class TupleOp(KeywordSyntax):
    """A tuple of the operands. Spec: https://openxla.org/stablehlo/spec#tuple"""

    name = "stablehlo.tuple"
    SIG: ClassVar[str] = "result"
    val = var_operand_def(Attribute)
    result = result_def(Attribute)
    traits = traits_def(Pure())


@irdl_op_definition
class GetTupleElementOp(IRDLOperation):
    """Element ``index`` of a tuple. Spec: https://openxla.org/stablehlo/spec#get_tuple_element"""

    name = "stablehlo.get_tuple_element"
    operand = operand_def(Attribute)
    index = prop_def(IntegerAttr)
    result = result_def(Attribute)
    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> GetTupleElementOp:
        operand = parser.parse_operand()
        with parser.in_square_brackets():
            index = parser.parse_integer()
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        parser.parse_punctuation(":")
        res = parse_sig(parser, "func", 1)
        return cls.create(
            operands=[operand], result_types=res,
            properties={"index": IntegerAttr(index, 32), **more}, attributes=attrs,
        )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.operand)
        printer.print_string(f"[{self.index.value.data}]")
        print_attr_dict(printer, self, {"index"})
        print_sig(printer, self, "func")


@irdl_op_definition
class OptimizationBarrierOp(KeywordSyntax):
    """Identity that stops optimizations from moving work across it.
    Spec: https://openxla.org/stablehlo/spec#optimization_barrier"""

    name = "stablehlo.optimization_barrier"
    SIG: ClassVar[str] = "list"
    operand = var_operand_def(Attribute)
    result = var_result_def(Attribute)

    def verify_(self) -> None:
        if [o.type for o in self.operand] != [r.type for r in self.result]:
            raise VerifyException("stablehlo.optimization_barrier: results must match operands")


SHAPE_OPS: list[type[IRDLOperation]] = [
    BroadcastInDimOp,
    ConcatenateOp,
    DynamicSliceOp,
    DynamicUpdateSliceOp,
    GatherOp,
    GetTupleElementOp,
    OptimizationBarrierOp,
    PadOp,
    ReshapeOp,
    ReverseOp,
    ScatterOp,
    SliceOp,
    TransposeOp,
    TupleOp,
]
