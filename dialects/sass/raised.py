"""The ops a raised SASS kernel needs beside ``hub`` and ``arith`` (``sass-raise-idioms``).

A raised kernel is a ``func.func`` over whole parameter arrays (``tensor<?xf32>``) and
scalars; hub ops compute on tensors. What hub does not say about a launch is here: how
many threads the launch has along x, the first ``m`` elements of a flat array, and the
write of a value into the first ``m`` elements of an output parameter.
"""

from __future__ import annotations

from xdsl.dialects.builtin import DYNAMIC_INDEX, I32, StringAttr, TensorType, f64, i32
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    var_operand_def,
)
from xdsl.traits import Pure
from xdsl.irdl import traits_def
from xdsl.utils.exceptions import VerifyException


@irdl_op_definition
class GridExtentOp(IRDLOperation):
    """``gridDim.d * blockDim.d``: the threads a launch has along dimension ``d``."""

    name = "sass.grid_extent"
    dim = prop_def(StringAttr)
    res = result_def(I32)
    traits = traits_def(Pure())
    assembly_format = "$dim attr-dict `:` type($res)"

    def __init__(self, dim: str = "x"):
        super().__init__(properties={"dim": StringAttr(dim)}, result_types=[i32])

    def verify_(self) -> None:
        if self.dim.data not in ("x", "y", "z"):
            raise VerifyException("sass.grid_extent: dim is x, y or z")


@irdl_op_definition
class PrefixOp(IRDLOperation):
    """``array[:count]``: the first ``count`` elements of a flat array (count >= 0)."""

    name = "sass.prefix"
    array = operand_def(TensorType)
    count = operand_def(I32)
    res = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$array `,` $count attr-dict `:` type($array) `->` type($res)"

    def __init__(self, array: SSAValue, count: SSAValue):
        super().__init__(operands=[array, count], result_types=[array.type])


@irdl_op_definition
class AssignPrefixOp(IRDLOperation):
    """``array[:count] = value``: writes an output parameter in place (jax: returns it)."""

    name = "sass.assign_prefix"
    array = operand_def(TensorType)
    count = operand_def(I32)
    value = operand_def(Attribute)
    assembly_format = "$array `,` $count `,` $value attr-dict `:` type($array) `,` type($value)"

    def __init__(self, array: SSAValue, count: SSAValue, value: SSAValue):
        super().__init__(operands=[array, count, value])



@irdl_op_definition
class WidenOp(IRDLOperation):
    """The elements of ``array`` as float64 (exact for f16/f32): a reduction written as
    ``sum`` then rounds once, so its order of additions does not matter to float32."""

    name = "sass.widen"
    array = operand_def(TensorType)
    res = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$array attr-dict `:` type($array) `->` type($res)"

    def __init__(self, array: SSAValue):
        shape = array.type.get_shape()
        super().__init__(operands=[array], result_types=[TensorType(f64, shape)])


@irdl_op_definition
class AccumulateOp(IRDLOperation):
    """``array[0] += value`` (rounded to the array's type): what the threads' atomicAdds
    to ``array[0]`` amount to together (jax: returns the array)."""

    name = "sass.accumulate"
    array = operand_def(TensorType)
    value = operand_def(Attribute)
    assembly_format = "$array `,` $value attr-dict `:` type($array) `,` type($value)"

    def __init__(self, array: SSAValue, value: SSAValue):
        super().__init__(operands=[array, value])


@irdl_op_definition
class BlockCountOp(IRDLOperation):
    """``gridDim.d``: the blocks a launch has along dimension ``d``."""

    name = "sass.block_count"
    dim = prop_def(StringAttr)
    res = result_def(I32)
    traits = traits_def(Pure())
    assembly_format = "$dim attr-dict `:` type($res)"

    def __init__(self, dim: str = "z"):
        super().__init__(properties={"dim": StringAttr(dim)}, result_types=[i32])

    def verify_(self) -> None:
        if self.dim.data not in ("x", "y", "z"):
            raise VerifyException("sass.block_count: dim is x, y or z")


@irdl_op_definition
class ViewOp(IRDLOperation):
    """``array[:prod(shape)].reshape(shape)[:counts[0], :counts[1], ...]``: a row-major
    array over the front of a flat one, cut to its first ``counts`` (every size >= 0)."""

    name = "sass.view"
    array = operand_def(TensorType)
    shape = var_operand_def(I32)
    counts = var_operand_def(I32)
    res = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, array: SSAValue, shape: list[SSAValue], counts: list[SSAValue]):
        elem = array.type.get_element_type()
        super().__init__(operands=[array, shape, counts],
                         result_types=[TensorType(elem, [DYNAMIC_INDEX] * len(shape))])

    def verify_(self) -> None:
        if len(self.shape) != len(self.counts) or len(self.res.type.get_shape()) != len(
                self.shape):
            raise VerifyException("sass.view: one count per dimension of the shape")


@irdl_op_definition
class AssignViewOp(IRDLOperation):
    """``view(array, shape, counts) = value[0, ..., 0, :counts[0], :counts[1], ...]``:
    writes the front of ``value``'s trailing dimensions (its extra leading ones have size
    1) into an output parameter (jax: returns it); nothing is written when a count is 0."""

    name = "sass.assign_view"
    array = operand_def(TensorType)
    shape = var_operand_def(I32)
    counts = var_operand_def(I32)
    value = operand_def(TensorType)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, array: SSAValue, shape: list[SSAValue], counts: list[SSAValue],
                 value: SSAValue):  # fmt: skip
        super().__init__(operands=[array, shape, counts, value])

    def verify_(self) -> None:
        if len(self.shape) != len(self.counts):
            raise VerifyException("sass.assign_view: one count per dimension of the shape")
        if len(self.value.type.get_shape()) < len(self.shape):
            raise VerifyException("sass.assign_view: the value has fewer dimensions than the view")


RAISED_OPS = (GridExtentOp, PrefixOp, AssignPrefixOp, WidenOp, AccumulateOp, BlockCountOp,
              ViewOp, AssignViewOp)
