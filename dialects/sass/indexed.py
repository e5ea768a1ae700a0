"""Indexed memory accesses: what ``sass-fold-addressing`` makes of a lifted load/store
whose byte address is ``pointer parameter + element size * index``.

``param`` names the pointer as the decompiled function does (``p0`` is the first kernel
parameter), ``offset`` is its bank-0 offset, ``elem`` the element size in bytes; the
access is ``param[index]`` (index sign-extended, no wrap, as ``sass_affine`` assumes).
"""

from __future__ import annotations

from switcheroo.dialects.sass.lifted import SPACES
from xdsl.dialects.builtin import I1, I32, IntegerAttr, StringAttr
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    prop_def,
    var_operand_def,
    var_result_def,
)
from xdsl.utils.exceptions import VerifyException


def _check(op, space: StringAttr, elem: IntegerAttr, width: IntegerAttr) -> None:
    if space.data not in SPACES:
        raise VerifyException(f"{op.name}: unknown memory space {space.data!r}")
    if elem.value.data * 8 != width.value.data:
        raise VerifyException(f"{op.name}: element size must equal the access width")


@irdl_op_definition
class LoadIndexedOp(IRDLOperation):
    """``res = param[index]`` (``sass.load`` at ``param + elem * index``), for the threads
    whose ``mask`` holds (others read 0)."""

    name = "sass.load_indexed"
    index = operand_def(I32)
    mask = opt_operand_def(I1)
    param = prop_def(StringAttr)
    offset = prop_def(IntegerAttr)
    elem = prop_def(IntegerAttr)
    space = prop_def(StringAttr)
    width = prop_def(IntegerAttr)
    res = var_result_def(I32)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$param `[` $index `]` (`if` $mask^)? attr-dict `:` type($res)"

    def verify_(self) -> None:
        _check(self, self.space, self.elem, self.width)


@irdl_op_definition
class StoreIndexedOp(IRDLOperation):
    """``param[index] = values`` (``sass.store`` at ``param + elem * index``) for the
    threads whose ``mask`` holds."""

    name = "sass.store_indexed"
    index = operand_def(I32)
    values = var_operand_def(I32)
    mask = opt_operand_def(I1)
    param = prop_def(StringAttr)
    offset = prop_def(IntegerAttr)
    elem = prop_def(IntegerAttr)
    space = prop_def(StringAttr)
    width = prop_def(IntegerAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True), ParsePropInAttrDict())
    assembly_format = ("$param `[` $index `]` `=` $values (`if` $mask^)? attr-dict "
                       "`:` type($values)")  # fmt: skip

    def verify_(self) -> None:
        _check(self, self.space, self.elem, self.width)


INDEXED_OPS = (LoadIndexedOp, StoreIndexedOp)
