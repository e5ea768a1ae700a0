"""The few per-thread ops ``sass-lift`` needs beside the standard dialects.

Arithmetic lifts to ``arith``/``math``, control flow to ``cf``, thread and block indices
to ``gpu``; what those dialects do not express about a SASS thread is here: kernel
parameters read from constant bank 0, other constant-bank words, special registers,
memory accesses by 64-bit byte address (memref-like, with an access mask for predicated
instructions), atomics, warp shuffles, and instructions that could not be lifted.
ISA reference: https://docs.nvidia.com/cuda/cuda-binary-utilities/index.html
"""

from __future__ import annotations

from xdsl.dialects.builtin import (
    I1,
    I32,
    I64,
    IntegerAttr,
    IntegerType,
    StringAttr,
    i1,
    i32,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.irdl import AttrSizedOperandSegments
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

SPACES = ("global", "shared", "local", "generic")


def _check_space(op: IRDLOperation, space: StringAttr) -> None:
    if space.data not in SPACES:
        raise VerifyException(f"{op.name}: unknown memory space {space.data!r}")


@irdl_op_definition
class ParamOp(IRDLOperation):
    """One 32-bit word of the kernel parameters: bank-0 offset ``offset`` (bytes, absolute
    per the architecture's ABI). A 64-bit pointer is two words (``offset``, ``offset+4``)."""

    name = "sass.param"
    offset = prop_def(IntegerAttr)
    res = result_def(I32)
    traits = traits_def(Pure())
    assembly_format = "attr-dict `offset` $offset `:` type($res)"

    def __init__(self, offset: int):
        super().__init__(properties={"offset": IntegerAttr(offset, 64)}, result_types=[i32])

    def verify_(self) -> None:
        if self.offset.value.data % 4:
            raise VerifyException("sass.param: offset must be word-aligned")


@irdl_op_definition
class ConstBankOp(IRDLOperation):
    """A constant-bank word that is neither a parameter nor a launch dimension (the stack
    pointer at ``c[0x0][0x28]``, the global-memory descriptor...): ``c[bank][offset]``."""

    name = "sass.const_bank"
    bank = prop_def(IntegerAttr)
    offset = prop_def(IntegerAttr)
    res = result_def(I32)
    traits = traits_def(Pure())
    assembly_format = "attr-dict $bank `,` $offset `:` type($res)"

    def __init__(self, bank: int, offset: int):
        super().__init__(
            properties={"bank": IntegerAttr(bank, 64), "offset": IntegerAttr(offset, 64)},
            result_types=[i32],
        )


@irdl_op_definition
class SpecialRegOp(IRDLOperation):
    """A special register other than the thread/block indices (``SR_LANEID``,
    ``SR_CgaCtaId``, clocks...), read per thread."""

    name = "sass.special_reg"
    register = prop_def(StringAttr)
    res = result_def(I32)
    assembly_format = "attr-dict $register `:` type($res)"

    def __init__(self, register: str):
        super().__init__(properties={"register": StringAttr(register)}, result_types=[i32])


@irdl_op_definition
class LoadOp(IRDLOperation):
    """``res = *(iN*)addr`` in memory space ``space``, for the threads whose ``mask`` holds
    (all when absent); ``width`` is the access size in bits (16, 32, 64, 128), the result
    is that many bits as i32 words (64 and 128 give several results)."""

    name = "sass.load"
    addr = operand_def(I64)
    mask = opt_operand_def(I1)
    space = prop_def(StringAttr)
    width = prop_def(IntegerAttr)
    res = var_result_def(I32)

    def __init__(self, addr: SSAValue, space: str, width: int, mask: SSAValue | None = None):
        n = max(width // 32, 1)
        super().__init__(
            operands=[addr, [mask] if mask is not None else []],
            properties={"space": StringAttr(space), "width": IntegerAttr(width, 64)},
            result_types=[[i32] * n],
        )

    def verify_(self) -> None:
        _check_space(self, self.space)
        w = self.width.value.data
        if w not in (8, 16, 32, 64, 128) or len(self.res) != max(w // 32, 1):
            raise VerifyException("sass.load: width must be 8..128 bits, one i32 per word")


@irdl_op_definition
class StoreOp(IRDLOperation):
    """``*(iN*)addr = values`` in ``space`` for the threads whose ``mask`` holds."""

    name = "sass.store"
    addr = operand_def(I64)
    values = var_operand_def(I32)
    mask = opt_operand_def(I1)
    space = prop_def(StringAttr)
    width = prop_def(IntegerAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, addr, values, space: str, width: int, mask=None):
        super().__init__(
            operands=[addr, values, [mask] if mask is not None else []],
            properties={"space": StringAttr(space), "width": IntegerAttr(width, 64)},
        )

    def verify_(self) -> None:
        _check_space(self, self.space)
        if len(self.values) != max(self.width.value.data // 32, 1):
            raise VerifyException("sass.store: one i32 value per stored word")


@irdl_op_definition
class AtomicOp(IRDLOperation):
    """Atomic read-modify-write ``*addr = kind(*addr, value)`` (``kind`` e.g. ``add.f32``,
    ``add.u32``, ``max.s32``) for the threads whose ``mask`` holds; ``res`` is the old
    value (unused for ``RED``)."""

    name = "sass.atomic"
    addr = operand_def(I64)
    value = operand_def(I32)
    mask = opt_operand_def(I1)
    space = prop_def(StringAttr)
    kind = prop_def(StringAttr)
    res = result_def(I32)

    def __init__(self, addr, value, space: str, kind: str, mask=None):
        super().__init__(
            operands=[addr, value, [mask] if mask is not None else []],
            properties={"space": StringAttr(space), "kind": StringAttr(kind)},
            result_types=[i32],
        )

    def verify_(self) -> None:
        _check_space(self, self.space)
        op, _, ty = self.kind.data.partition(".")
        if op not in ("add", "min", "max", "exch", "and", "or", "xor") or not ty:
            raise VerifyException(f"sass.atomic: unknown kind {self.kind.data!r}")


@irdl_op_definition
class ShuffleOp(IRDLOperation):
    """Warp shuffle (``SHFL.mode``, ``__shfl_*_sync``): ``res`` is ``value`` of the source
    lane (``idx``/``up``/``down``/``bfly`` by ``offset``, within ``clamp``); ``valid``
    says whether the source lane was in range (else ``res`` is the own value)."""

    name = "sass.shuffle"
    value = operand_def(I32)
    offset = operand_def(I32)
    clamp = operand_def(I32)
    mode = prop_def(StringAttr)
    res = result_def(I32)
    valid = result_def(I1)

    def __init__(self, mode: str, value, offset, clamp):
        super().__init__(
            operands=[value, offset, clamp],
            properties={"mode": StringAttr(mode)},
            result_types=[i32, i1],
        )

    def verify_(self) -> None:
        if self.mode.data not in ("idx", "up", "down", "bfly"):
            raise VerifyException(f"sass.shuffle: unknown mode {self.mode.data!r}")


@irdl_op_definition
class UnmappedOp(IRDLOperation):
    """An instruction the lifting does not understand, kept by its text and source line:
    its destinations get unknown values, and every output marks it (``# swc: unmapped``)."""

    name = "sass.unmapped"
    text = prop_def(StringAttr)
    line = opt_prop_def(IntegerAttr)
    ins = var_operand_def(Attribute)
    outs = var_result_def(IntegerType)

    def __init__(self, text: str, line: int | None, result_types: list[Attribute]):
        props: dict[str, Attribute] = {"text": StringAttr(text)}
        if line is not None:
            props["line"] = IntegerAttr(line, 64)
        super().__init__(operands=[[]], properties=props, result_types=[result_types])


LIFTED_OPS = (ParamOp, ConstBankOp, SpecialRegOp, LoadOp, StoreOp, AtomicOp, ShuffleOp,
              UnmappedOp)  # fmt: skip
