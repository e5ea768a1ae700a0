"""The ``sass`` dialect: NVIDIA SASS as an xDSL ISA dialect, split like xDSL's RISC-V
dialect into registers (types), operand attributes, and ops (one per opcode)."""

from switcheroo.dialects.sass.attrs import OPERAND_ATTRS
from switcheroo.dialects.sass.ops import (
    INSTRUCTION_OPS,
    DirectiveOp,
    GenericInstructionOp,
    KernelOp,
    LabelOp,
    LineOp,
)
from switcheroo.dialects.sass.indexed import INDEXED_OPS
from switcheroo.dialects.sass.lifted import LIFTED_OPS
from switcheroo.dialects.sass.raised import RAISED_OPS
from switcheroo.dialects.sass.registers import REGISTER_TYPES
from xdsl.ir import Dialect

SASS = Dialect(
    "sass",
    [KernelOp, LabelOp, DirectiveOp, LineOp, GenericInstructionOp, *INSTRUCTION_OPS.values(),
     *LIFTED_OPS, *INDEXED_OPS, *RAISED_OPS],
    [*REGISTER_TYPES, *OPERAND_ATTRS],
)
