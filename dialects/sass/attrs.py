"""Operand attributes of SASS instructions, and their conversion to/from the parse model.

A plain register operand is its register type (``!sass.r<R3>``); a register with a
prefix or dotted suffixes is ``#sass.use<!sass.r<R2>, "-", ["reuse"]>``. Immediates keep
their text (``#sass.imm<"0x4">``) so they print back exactly; constant-bank reads are
``#sass.cbank<[bank], [offset], prefix>``, memory addresses ``#sass.mem<[terms], desc>``
and symbolic targets ``#sass.target<".L_x_3">``.
"""

from __future__ import annotations

from switcheroo.dialects.sass.registers import SassRegisterType, register
from switcheroo.frontends.sass.model import CBank, Imm, Mem, Operand, Reg, Target
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Attribute, ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.utils.exceptions import VerifyException

_PREFIXES = ("", "-", "+", "!", "~", "|")


@irdl_attr_definition
class RegUseAttr(ParametrizedAttribute):
    """A register read with a prefix (``-`` negate, ``!`` not, ``~`` invert, ``|`` abs)
    and dotted suffixes (``.reuse``, ``.64`` pair, ``.H0_H0`` half select, ``.X4`` scale)."""

    name = "sass.use"
    reg: SassRegisterType
    prefix: StringAttr
    suffixes: ArrayAttr[StringAttr]

    def verify(self) -> None:
        if self.prefix.data not in _PREFIXES:
            raise VerifyException(f"sass.use: bad prefix {self.prefix.data!r}")


@irdl_attr_definition
class ImmAttr(ParametrizedAttribute):
    """An immediate as the disassembler wrote it (hex, decimal or float)."""

    name = "sass.imm"
    text: StringAttr

    @property
    def value(self) -> int | float:
        return Imm(self.text.data).value


@irdl_attr_definition
class CBankAttr(ParametrizedAttribute):
    """``c[bank][offset]``: a read of constant bank ``bank`` (kernel parameters and launch
    dimensions live in bank 0; see the per-architecture ABI in dialects/sass/abi.py)."""

    name = "sass.cbank"
    bank: ArrayAttr[Attribute]
    offset: ArrayAttr[Attribute]
    prefix: StringAttr


@irdl_attr_definition
class MemAttr(ParametrizedAttribute):
    """A memory address: the sum of its terms; ``desc`` holds the sm_90+ memory
    descriptor (``desc[UR4][...]``, a uniform register pair) or is empty."""

    name = "sass.mem"
    terms: ArrayAttr[Attribute]
    desc: ArrayAttr[Attribute]

    def verify(self) -> None:
        if len(self.desc.data) > 1 or not all(
            isinstance(d, SassRegisterType | RegUseAttr) for d in self.desc.data
        ):
            raise VerifyException("sass.mem: desc must be one register or empty")


@irdl_attr_definition
class TargetAttr(ParametrizedAttribute):
    """A symbolic branch/call target: a label or a function symbol."""

    name = "sass.target"
    symbol: StringAttr


def _reg_attr(r: Reg) -> Attribute:
    t = register(r.name)
    if not r.prefix and not r.suffixes:
        return t
    return RegUseAttr(t, StringAttr(r.prefix), ArrayAttr([StringAttr(s) for s in r.suffixes]))


def _terms(ts: tuple) -> ArrayAttr:
    return ArrayAttr([to_attr(t) for t in ts])


def to_attr(op: Operand) -> Attribute:
    """The attribute of a parsed operand."""
    match op:
        case Reg():
            return _reg_attr(op)
        case Imm():
            return ImmAttr(StringAttr(op.text))
        case CBank():
            return CBankAttr(_terms(op.bank), _terms(op.offset), StringAttr(op.prefix))
        case Mem():
            desc = ArrayAttr([_reg_attr(op.desc)] if op.desc else [])
            return MemAttr(_terms(op.terms), desc)
        case Target():
            return TargetAttr(StringAttr(op.symbol))
    raise TypeError(f"not a SASS operand: {op!r}")


def from_attr(a: Attribute) -> Operand:
    """The parse-model operand of an attribute (inverse of :func:`to_attr`)."""
    match a:
        case SassRegisterType():
            return Reg(a.register_name.data)
        case RegUseAttr():
            sfx = tuple(s.data for s in a.suffixes.data)
            return Reg(a.reg.register_name.data, sfx, a.prefix.data)
        case ImmAttr():
            return Imm(a.text.data)
        case CBankAttr():
            bank = tuple(from_attr(t) for t in a.bank.data)
            off = tuple(from_attr(t) for t in a.offset.data)
            return CBank(bank, off, a.prefix.data)  # type: ignore[arg-type]  # terms only
        case MemAttr():
            desc = from_attr(a.desc.data[0]) if a.desc.data else None
            return Mem(tuple(from_attr(t) for t in a.terms.data), desc)  # type: ignore[arg-type]
        case TargetAttr():
            return Target(a.symbol.data)
    raise TypeError(f"not a SASS operand attribute: {a}")


OPERAND_ATTRS = (RegUseAttr, ImmAttr, CBankAttr, MemAttr, TargetAttr)
