"""What each SASS instruction computes, as ``arith``/``math``/``gpu``/``sass`` ops.

``Lifter`` keeps the register values of the block being lifted and reads operands
(registers with their ``-``/``!``/``~``/``|x|`` prefixes, register pairs, immediates,
constant-bank words); ``RULES`` maps a base opcode to the function that lifts it. Semantics
follow NVIDIA's "Instruction Set Reference" (CUDA Binary Utilities); registers are 32-bit
(``i32``), predicates ``i1``, 64-bit values register pairs (low word first).
Approximations, kept visible here: ``MUFU`` computes the exact function (the hardware is
within 2 ulp), ``.FTZ``/rounding-mode modifiers are ignored, and ``FFMA`` is fused.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from switcheroo.dialects.sass.abi import CBankAbi, bank0_offset
from switcheroo.dialects.sass.attrs import CBankAttr, ImmAttr, MemAttr, RegUseAttr, from_attr
from switcheroo.dialects.sass.lifted import (
    ConstBankOp,
    ParamOp,
    SpecialRegOp,
    UnmappedOp,
)
from switcheroo.dialects.sass.ops import SassInstructionOp
from switcheroo.dialects.sass.registers import SassRegisterType
from xdsl.dialects import arith, gpu, math
from xdsl.dialects.builtin import (
    FloatAttr,
    IntegerAttr,
    f32,
    i1,
    i32,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue

_ZERO = {"RZ", "URZ"}
_TRUE = {"PT", "UPT"}
_DIMS = {"SR_TID": gpu.ThreadIdOp, "SR_CTAID": gpu.BlockIdOp, "SR_NTID": gpu.BlockDimOp,
         "SR_NCTAID": gpu.GridDimOp}  # fmt: skip


def _signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def _reg_name(a: Attribute) -> str | None:
    reg = a.reg if isinstance(a, RegUseAttr) else a
    return reg.register_name.data if isinstance(reg, SassRegisterType) else None


def _prefix(a: Attribute) -> str:
    return a.prefix.data if isinstance(a, RegUseAttr | CBankAttr) else ""


def _suffixes(a: Attribute) -> tuple[str, ...]:
    return tuple(s.data for s in a.suffixes.data) if isinstance(a, RegUseAttr) else ()


def _next_reg(name: str) -> str:
    head = name.rstrip("0123456789")
    return f"{head}{int(name[len(head):]) + 1}"


class Lifter:
    """Builds the ops of one block; reads and writes registers as SSA values."""

    def __init__(self, abi: CBankAbi, arch: str):
        self.abi, self.arch = abi, arch
        self.unmapped = 0

    def begin(self, block: Block, live_in: dict, out: dict, entry: bool) -> None:
        self.block, self.live_in, self.out, self.entry = block, live_in, out, entry
        self.unmapped = 0
        self.guard: SSAValue | None = None

    # ------------------------------------------------------------- building
    def add(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0] if op.results else None  # type: ignore[return-value]

    def const(self, v: int, ty=i32) -> SSAValue:
        bits = 1 if ty == i1 else ty.width.data
        return self.add(arith.ConstantOp(IntegerAttr(_signed(v, bits) if bits > 1 else v & 1, ty)))

    def fconst(self, v: float, ty=f32) -> SSAValue:
        return self.add(arith.ConstantOp(FloatAttr(v, ty)))

    def bits_to_f32(self, v: SSAValue) -> SSAValue:
        return self.add(arith.BitcastOp(v, f32))

    def f32_to_bits(self, v: SSAValue) -> SSAValue:
        return self.add(arith.BitcastOp(v, i32))

    def not_(self, p: SSAValue) -> SSAValue:
        return self.add(arith.XOrIOp(p, self.const(1, i1)))

    def wide(self, lo: SSAValue, hi: SSAValue) -> SSAValue:
        """The i64 ``hi:lo``."""
        l64 = self.add(arith.ExtUIOp(lo, i64))
        h64 = self.add(arith.ExtUIOp(hi, i64))
        return self.add(arith.OrIOp(l64, self.add(arith.ShLIOp(h64, self.const(32, i64)))))

    def halves(self, v: SSAValue) -> tuple[SSAValue, SSAValue]:
        lo = self.add(arith.TruncIOp(v, i32))
        hi = self.add(arith.TruncIOp(self.add(arith.ShRUIOp(v, self.const(32, i64))), i32))
        return lo, hi

    # ------------------------------------------------------------- registers
    def reg(self, name: str) -> SSAValue:
        """The current value of a register (RZ/PT are constants)."""
        if name in _ZERO:
            return self.const(0)
        if name in _TRUE:
            return self.const(1, i1)
        if name in self.out:
            return self.out[name]
        if name not in self.live_in:
            ty = i1 if name.startswith(("P", "UP")) else i32
            if self.entry:  # read before any write: undefined on the GPU, zero here
                self.out[name] = self.const(0, ty)
                return self.out[name]
            self.live_in[name] = self.block.insert_arg(ty, len(self.block.args))
        return self.live_in[name]

    def write(self, name: str | None, value: SSAValue) -> None:
        if name is None or name in _ZERO or name in _TRUE:
            return
        if self.guard is not None:
            value = self.add(arith.SelectOp(self.guard, value, self.reg(name)))
        self.out[name] = value

    def write_pair(self, name: str | None, value: SSAValue) -> None:
        if name is None or name in _ZERO:
            return
        lo, hi = self.halves(value)
        self.write(name, lo)
        self.write(_next_reg(name), hi)

    def guard_value(self, ins: SassInstructionOp) -> SSAValue | None:
        if ins.pred is None:
            return None
        return self.pred(ins.pred)

    def read_reg(self, a: Attribute) -> SSAValue:
        return self.reg(_reg_name(a) or "RZ")

    # ------------------------------------------------------------- operands
    def pred(self, a: Attribute) -> SSAValue:
        v = self.reg(_reg_name(a) or "PT")
        return self.not_(v) if _prefix(a) == "!" else v

    def int_(self, a: Attribute) -> SSAValue:
        """A 32-bit integer operand, with its ``-``/``~``/``|x|`` prefix applied."""
        if isinstance(a, ImmAttr):
            v = a.value
            if isinstance(v, float):  # float immediate in an integer slot: its bits
                v = struct.unpack("<I", struct.pack("<f", v))[0]
            return self.const(int(v))
        if isinstance(a, CBankAttr):
            v = self.cbank(a)
        else:
            name = _reg_name(a)
            if name is None:
                raise _Unmapped(f"operand {from_attr(a).render()}")
            v = self.reg(name)
            if "H1_H1" in _suffixes(a):
                v = self.add(arith.ShRUIOp(v, self.const(16)))
        match _prefix(a):
            case "-":
                v = self.add(arith.SubiOp(self.const(0), v))
            case "~":
                v = self.add(arith.XOrIOp(v, self.const(-1)))
            case "|":
                v = self.add(arith.MaxSIOp(v, self.add(arith.SubiOp(self.const(0), v))))
        return v

    def float_(self, a: Attribute) -> SSAValue:
        """A 32-bit float operand with ``-``/``|x|`` applied."""
        if isinstance(a, ImmAttr):
            v = a.value
            if isinstance(a.value, int) and a.text.data.lstrip("-").startswith("0x"):
                return self.bits_to_f32(self.const(int(v)))
            return self.fconst(float(v))
        if isinstance(a, CBankAttr):
            v = self.bits_to_f32(self.cbank(a))
        else:
            v = self.bits_to_f32(self.reg(_reg_name(a) or "RZ"))
        match _prefix(a):
            case "-":
                v = self.add(arith.NegfOp(v))
            case "|":
                v = self.add(math.AbsFOp(v))
        return v

    def pair(self, a: Attribute) -> SSAValue:
        """A 64-bit operand: a register pair, a 64-bit constant-bank read, an immediate."""
        if isinstance(a, ImmAttr):
            return self.const(int(a.value), i64)
        if isinstance(a, CBankAttr):
            return self.wide(self.cbank(a), self.cbank(a, 4))
        name = _reg_name(a)
        if name in _ZERO:
            return self.const(0, i64)
        return self.wide(self.reg(name), self.reg(_next_reg(name)))

    def cbank(self, a: CBankAttr, delta: int = 0) -> SSAValue:
        off = bank0_offset(a)
        if off is None:
            raise _Unmapped(f"constant bank {from_attr(a).render()}")
        off += delta
        abi = self.abi
        for base, op in ((abi.block_dim, gpu.BlockDimOp), (abi.grid_dim, gpu.GridDimOp)):
            if base <= off < base + 12 and (off - base) % 4 == 0:
                return self.dim(op, "xyz"[(off - base) // 4])
        if off >= abi.param_base:
            return self.add(ParamOp(off))
        return self.add(ConstBankOp(0, off))

    def dim(self, op_cls, comp: str) -> SSAValue:
        idx = self.add(op_cls(gpu.DimensionAttr(gpu.DimensionEnum(comp))))
        return self.add(arith.IndexCastOp(idx, i32))

    def special(self, name: str) -> SSAValue:
        reg, _, comp = name.partition(".")
        if reg in _DIMS and comp:
            return self.dim(_DIMS[reg], comp.lower())
        return self.add(SpecialRegOp(name))

    def address(self, m: MemAttr, scale_words: bool = False) -> tuple[SSAValue, bool]:
        """The byte address of ``[terms]`` as i64, and whether it is a 64-bit address."""
        total: SSAValue | None = None
        is64 = False
        for t in m.terms.data:
            if isinstance(t, ImmAttr):
                v = self.const(int(t.value), i64)
            else:
                name = _reg_name(t)
                sfx = _suffixes(t)
                if "64" in sfx:
                    is64 = True
                    v = self.pair(t)
                else:
                    r = self.reg(name or "RZ")
                    v = self.add(arith.ExtUIOp(r, i64))
                    if "X4" in sfx or "X8" in sfx or "X16" in sfx:
                        k = int(next(s for s in sfx if s.startswith("X"))[1:])
                        v = self.add(arith.MuliOp(v, self.const(k, i64)))
            total = v if total is None else self.add(arith.AddiOp(total, v))
        return (total if total is not None else self.const(0, i64)), is64

    def unmapped_op(self, ins: SassInstructionOp, why: str) -> None:
        """Keep an instruction we cannot lift; its destinations become unknown values."""
        self.unmapped += 1
        dsts = [n for n in (_reg_name(a) for a in ins.args.data[:_ndst(ins)]) if n]
        types = [i1 if d.startswith(("P", "UP")) else i32 for d in dsts]
        line = ins.line.value.data if ins.line else None
        op = UnmappedOp(f"{ins.assembly_line()}  ({why})", line, types)
        self.add(op)
        for d, r in zip(dsts, op.results):
            self.out[d] = r


class _Unmapped(Exception):
    """An operand or modifier combination the rules do not cover."""


def _ndst(ins: SassInstructionOp) -> int:
    return ins.INFO.ndst if ins.INFO is not None else 1


Rule = Callable[[Lifter, SassInstructionOp, list], None]
RULES: dict[str, Rule] = {}


def rule(*opcodes: str):
    def deco(fn: Rule) -> Rule:
        for o in opcodes:
            RULES[o] = fn
        return fn

    return deco


def lift_instruction(L: Lifter, ins: SassInstructionOp) -> None:
    """Lift one instruction into the current block (terminators are the caller's)."""
    base = ins.base_opcode
    fn = RULES.get(base)
    if fn is None:
        L.unmapped_op(ins, "no lifting rule")
        return
    L.guard = L.guard_value(ins) if base not in _MASKED else None
    try:
        fn(L, ins, list(ins.args.data))
    except _Unmapped as e:
        L.guard = None
        L.unmapped_op(ins, str(e))
    L.guard = None


# Instructions whose guard becomes an access mask (or that end a block) rather than a select.
_MASKED = {"LDG", "STG", "LDS", "STS", "LDL", "STL", "LD", "ST", "RED", "REDG", "ATOM", "ATOMG",
           "ATOMS", "BRA", "JMP", "EXIT", "CALL", "RET", "KILL"}  # fmt: skip

from switcheroo.passes import sass_semantics_rules as _rules  # noqa: E402  (registers RULES)

_ = _rules
