"""SASS operations: one op per opcode (grouped in families below), the kernel that holds
them, and the listing's other lines (labels, directives, comments) so a module prints back
as the listing it came from.

Operands are attributes (see attrs.py), destinations first: an instruction op is a line of
assembly, not yet a dataflow node; ``sass-to-ssa`` builds the dataflow. ``mods`` are the
dotted opcode modifiers, ``pred`` the guard predicate, ``enc``/``ctrl`` the two 64-bit
encoding words (control bits: stall, yield, barriers, reuse; see ``control_bits``) and
``layout`` the blanks of the original line. ISA reference:
https://docs.nvidia.com/cuda/cuda-binary-utilities/index.html#instruction-set-reference
"""

from __future__ import annotations

import warnings
from typing import ClassVar

from switcheroo.dialects.sass.attrs import RegUseAttr, from_attr
from switcheroo.dialects.sass.families import FAMILIES, OpcodeInfo
from switcheroo.dialects.sass.registers import PredicateType, UniformPredicateType
from switcheroo.frontends.sass.model import Instr
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, StringAttr
from xdsl.ir import Attribute, Region
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    traits_def,
)
from xdsl.traits import NoTerminator, SymbolOpInterface
from xdsl.utils.exceptions import VerifyException


class SassInstructionOp(IRDLOperation):
    """Base of the instruction ops; the op name is the opcode, lower-cased."""

    INFO: ClassVar[OpcodeInfo | None] = None

    args = prop_def(ArrayAttr[Attribute])
    mods = opt_prop_def(ArrayAttr[StringAttr])
    pred = opt_prop_def(Attribute)
    addr = prop_def(IntegerAttr)
    enc = opt_prop_def(StringAttr)
    ctrl = opt_prop_def(StringAttr)
    layout = prop_def(StringAttr)
    seps = opt_prop_def(StringAttr)
    raw = opt_prop_def(StringAttr)
    line = opt_prop_def(IntegerAttr)

    @property
    def opcode(self) -> str:
        """The opcode with its modifiers: ``ISETP.GE.AND``."""
        return ".".join((self.base_opcode, *self.modifiers))

    @property
    def base_opcode(self) -> str:
        return self.name.split(".", 1)[1].upper()

    @property
    def modifiers(self) -> tuple[str, ...]:
        return tuple(m.data for m in self.mods.data) if self.mods else ()

    def verify_(self) -> None:
        if self.pred is not None:
            p = self.pred.reg if isinstance(self.pred, RegUseAttr) else self.pred
            if not isinstance(p, PredicateType | UniformPredicateType):
                raise VerifyException(f"{self.name}: guard must be a predicate, got {p}")
        info = self.INFO
        if info is not None and len(self.args.data) < info.ndst:
            raise VerifyException(f"{self.name}: needs at least {info.ndst} destination operand(s)")

    def to_model(self) -> Instr:
        """The parse-model instruction (for printing and for the lifting passes)."""
        ops = tuple(from_attr(a) for a in self.args.data)
        commas = (
            tuple(c == "," for c in self.seps.data)
            if self.seps is not None
            else (True,) * max(len(ops) - 1, 0)
        )
        pred = from_attr(self.pred).render() if self.pred is not None else None
        return Instr(
            addr=f"{self.addr.value.data:04x}",
            opcode=self.opcode,
            operands=ops,
            commas=commas,
            pred=f"@{pred}" if pred else None,
            enc=self.enc.data if self.enc else None,
            ctrl=self.ctrl.data if self.ctrl else None,
            raw_body=self.raw.data if self.raw else None,
            line=self.line.value.data if self.line else 0,
        )

    def assembly_line(self) -> str:
        """The instruction as SASS text: ``@P0 ISETP.GE.AND P0, PT, R9, UR4, PT``."""
        return self.to_model().body()

    def control_bits(self) -> dict[str, int] | None:
        """Scheduling controls of Volta+ encodings (bits 105..125 of the instruction):
        stall cycles, yield, write/read scoreboard, wait mask and operand reuse."""
        if self.ctrl is None:
            return None
        hi = int(self.ctrl.data, 16)
        return {
            "stall": (hi >> 41) & 0xF,
            "yield": (hi >> 45) & 0x1,
            "write_barrier": (hi >> 46) & 0x7,
            "read_barrier": (hi >> 49) & 0x7,
            "wait_mask": (hi >> 52) & 0x3F,
            "reuse": (hi >> 58) & 0xF,
        }


@irdl_op_definition
class GenericInstructionOp(SassInstructionOp):
    """An instruction whose opcode this dialect does not model: kept by name so it prints
    back and the lifting passes can report it."""

    name = "sass.instr"
    opcode_name = prop_def(StringAttr)

    @property
    def base_opcode(self) -> str:
        return self.opcode_name.data


def _make_instruction_op(info: OpcodeInfo) -> type[SassInstructionOp]:
    cls = type(
        info.class_name,
        (SassInstructionOp,),
        {
            "name": f"sass.{info.opcode.lower()}",
            "INFO": info,
            "__annotations__": {"INFO": ClassVar[OpcodeInfo | None]},
            "__doc__": f"{info.opcode}: {info.doc} (family: {info.family}).",
            "__module__": __name__,
        },
    )
    return irdl_op_definition(cls)


INSTRUCTION_OPS: dict[str, type[SassInstructionOp]] = {
    info.opcode: _make_instruction_op(info) for info in FAMILIES
}


def instruction_op(opcode: str) -> type[SassInstructionOp]:
    """The op class of a base opcode; unknown opcodes get the generic op and a warning."""
    op = INSTRUCTION_OPS.get(opcode)
    if op is None:
        warnings.warn(f"unknown SASS opcode {opcode}: kept as sass.instr", stacklevel=2)
        return GenericInstructionOp
    return op


@irdl_op_definition
class KernelOp(IRDLOperation):
    """A kernel's code section: its instructions, labels and local directives in listing
    order. Analysis passes attach their findings as properties (``params``, ``cfg``...)."""

    name = "sass.kernel"
    sym_name = prop_def(StringAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator(), SymbolOpInterface())

    def __init__(self, sym_name: str, body: Region, props: dict[str, Attribute] | None = None):
        super().__init__(
            properties={"sym_name": StringAttr(sym_name), **(props or {})}, regions=[body]
        )


@irdl_op_definition
class LabelOp(IRDLOperation):
    """``name:`` — a branch target or symbol definition at this point of the listing."""

    name = "sass.label"
    label = prop_def(StringAttr)
    layout = prop_def(StringAttr)


@irdl_op_definition
class DirectiveOp(IRDLOperation):
    """An assembler directive (``.section``, ``.align``, ``.byte``...) with its argument
    text as written; ``addr`` is set for data lines of ELF sections."""

    name = "sass.directive"
    directive = prop_def(StringAttr)
    text = opt_prop_def(StringAttr)
    addr = opt_prop_def(StringAttr)
    layout = prop_def(StringAttr)


@irdl_op_definition
class LineOp(IRDLOperation):
    """A line kept as text: a comment, a cuobjdump header, the end-of-function dots or a
    blank line (``kind`` says which)."""

    name = "sass.line"
    kind = prop_def(StringAttr)
    text = prop_def(StringAttr)
    layout = prop_def(StringAttr)

    def verify_(self) -> None:
        if self.kind.data not in ("blank", "comment", "cuobjdump_header", "end_of_function"):
            raise VerifyException(f"sass.line: unknown kind {self.kind.data!r}")
