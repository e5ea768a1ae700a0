"""Instruction selection: a lifted per-thread ``func.func`` (``sass-lift`` output) ->
machine blocks over virtual registers (``regalloc.py``).

One dispatch over op classes. Words (i32/f32/index) live in 32-bit registers, i64 values
in register pairs (read as ``lo``/``hi`` halves, built lazily: ``extui``, ``shli 32``,
``ori`` and ``trunci`` of the lifter's pair idiom only move halves around), i1 in
predicates (``xori x, true`` is a negated predicate operand). Constants: 0 is ``RZ``,
true ``PT``. Parameters and launch sizes are ``LDC`` reads of bank 0 at the offsets the
lifted IR carries (the architecture's ABI, ``dialects/sass/abi.py``); a pointer read as
two words becomes one ``LDC.64``. ``addi(muli(ext a, ext b), p)`` is ``IMAD.WIDE``.
Block arguments are copies on the edges (parallel copies through temporaries when a
source is itself a destination). Ops without a selection rule raise ``SelectionError``
naming the op: nothing is silently dropped.
"""

from __future__ import annotations

import struct

from switcheroo.backends.sass.regalloc import Half, Lane, MBlock, MemV, MInstr, Pre, VReg
from switcheroo.dialects.sass.abi import abi_for
from switcheroo.dialects.sass.lifted import (
    AtomicOp,
    ConstBankOp,
    LoadOp,
    ParamOp,
    ShuffleOp,
    SpecialRegOp,
    StoreOp,
)
from switcheroo.frontends.sass.model import CBank, Imm, Reg, Target
from xdsl.dialects import arith, cf, func, gpu, math
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, IntegerType
from xdsl.ir import Block, Operation, SSAValue

RZ, PT = Reg("RZ"), Reg("PT")
_ICMP = {"slt": "LT", "sle": "LE", "sgt": "GT", "sge": "GE", "eq": "EQ", "ne": "NE",
         "ult": "LT", "ule": "LE", "ugt": "GT", "uge": "GE"}  # fmt: skip
_FCMP = {"olt": "LT", "ole": "LE", "ogt": "GT", "oge": "GE", "oeq": "EQ", "one": "NE",
         "ord": "NUM", "uno": "NAN", "ult": "LTU", "ule": "LEU", "ugt": "GTU", "uge": "GEU",
         "ueq": "EQU", "une": "NEU"}  # fmt: skip
_MUFU = {math.Exp2Op: "EX2", math.Log2Op: "LG2", math.SqrtOp: "SQRT", math.RsqrtOp: "RSQ",
         math.SinOp: "SIN", math.CosOp: "COS", math.TanhOp: "TANH"}  # fmt: skip
_LUT = {arith.AndIOp: 0xC0, arith.OrIOp: 0xFC, arith.XOrIOp: 0x3C}  # LUT(a, b, c=*)
_WIDTH_MOD = {8: ".U8", 16: ".U16", 32: "", 64: ".64"}
_SPACE = {"global": ("LDG.E", "STG.E"), "shared": ("LDS", "STS")}


class SelectionError(ValueError):
    """An op of the lifted IR that the SASS backend cannot select."""


def _cbank(off: int, bank: int = 0) -> CBank:
    return CBank((Imm(hex(bank)),), (Imm(hex(off)),))


class Selector:
    """Selects one function. ``loc`` maps SSA values to where they live: a ``VReg``,
    a ``Half``, ``RZ`` (words); a ``(lo, hi)`` tuple (i64); ``(VReg | None, neg)`` (i1,
    None meaning PT)."""

    def __init__(self, fn: func.FuncOp, arch: str):
        self.fn, self.abi = fn, abi_for(arch)
        self.loc: dict[SSAValue, object] = {}
        self.params: dict[int, int] = {}  # id(VReg) -> bank-0 offset it was loaded from
        self.blocks: list[MBlock] = []
        self.nreg = 0
        names = [b for b in fn.body.blocks]
        self.exit = {b for b in names if [o.name for o in b.ops] == ["func.return"]}
        self.label = {b: f".L_x_{i}" for i, b in enumerate(names)}
        self.args: dict[Block, list] = {}

    # ------------------------------------------------------------- helpers
    def new(self, cls: str) -> VReg:
        self.nreg += 1
        return VReg(cls, self.nreg)

    def emit(self, opcode: str, *ops, ndefs: int = 1, guard=None, effect: bool = False) -> None:
        self.blocks[-1].instrs.append(MInstr(opcode, list(ops), ndefs, guard, effect))

    def where(self, op: Operation) -> str:
        return f"{self.fn.sym_name.data}: {op.name}"

    def word(self, v: SSAValue):
        """A 32-bit operand for ``v``."""
        loc = self.loc.get(v)
        if loc is None:
            raise SelectionError(f"{self.fn.sym_name.data}: value used before selection")
        if isinstance(loc, tuple):
            raise SelectionError(f"{self.fn.sym_name.data}: 64-bit value used as a word")
        return loc

    def reg_word(self, v: SSAValue):
        """A word in a register (RZ allowed), materialising nothing else."""
        return self.word(v)

    def halves(self, v: SSAValue) -> tuple:
        loc = self.loc[v]
        if isinstance(loc, VReg) and loc.cls == "r2":
            return Half(loc, False), Half(loc, True)
        if not isinstance(loc, tuple) or len(loc) != 2 or isinstance(loc[1], bool):
            raise SelectionError(f"{self.fn.sym_name.data}: expected a 64-bit value")
        return loc

    def pair(self, v: SSAValue) -> VReg | Reg:
        """``v`` in an aligned register pair (RZ for zero), copying halves if needed."""
        lo, hi = self.halves(v)
        if lo == RZ and hi == RZ:
            return RZ
        if isinstance(lo, Half) and isinstance(hi, Half) and lo.reg is hi.reg and hi.hi \
                and not lo.hi:
            return lo.reg
        d = self.new("r2")
        off_lo, off_hi = self.params.get(id(lo)), self.params.get(id(hi))
        if off_lo is not None and off_hi == off_lo + 4 and off_lo % 8 == 0:
            self.emit("LDC.64", d, _cbank(off_lo))
        else:
            self.emit("MOV", Half(d, False), lo)
            self.emit("MOV", Half(d, True), hi)
        self.loc[v] = d
        return d

    def pred(self, v: SSAValue) -> tuple:
        loc = self.loc[v]
        if not (isinstance(loc, tuple) and isinstance(loc[1], bool)):
            raise SelectionError(f"{self.fn.sym_name.data}: expected a predicate")
        return loc

    @staticmethod
    def pred_operand(p: tuple):
        reg, neg = p
        base = PT if reg is None else reg
        return Pre("!", base) if neg else base

    def const_word(self, bits: int):
        bits &= 0xFFFFFFFF
        if bits == 0:
            return RZ
        d = self.new("r")
        self.emit("MOV", d, Imm(hex(bits)))
        return d

    # ------------------------------------------------------------- driver
    def run(self) -> list[MBlock]:
        for b in self.fn.body.blocks:
            regs = []
            for a in b.args:
                cls = "p" if a.type == IntegerType(1) else \
                    "r2" if a.type == IntegerType(64) else "r"
                r = self.new(cls)
                regs.append(r)
                self.loc[a] = (r, False) if cls == "p" else r
            self.args[b] = regs
        for b in self.fn.body.blocks:
            self.blocks.append(MBlock(self.label[b]))
            for op in b.ops:
                self.select(op)
        return self.blocks

    def select(self, op: Operation) -> None:
        fn = _RULES.get(type(op))
        if fn is None:
            raise SelectionError(f"{self.where(op)}: no SASS selection rule")
        fn(self, op)

    # ------------------------------------------------------------- control flow
    def edge(self, target: Block, values) -> None:
        """Copies into ``target``'s arguments, then the jump (EXIT for the exit block)."""
        dests = self.args[target]
        srcs = [self.loc[v] for v in values]
        used = {id(r) for s in srcs for r in _vregs(s)}
        if any(id(d) in used for d in dests):
            temps = [self.new(d.cls) for d in dests]
            for t, s in zip(temps, srcs):
                self.copy(t, s)
            srcs = [(t, False) if t.cls == "p" else t for t in temps]
        for d, s in zip(dests, srcs):
            self.copy(d, s)
        if target in self.exit:
            self.emit("EXIT", ndefs=0, effect=True)
        else:
            self.emit("BRA", Target(self.label[target]), ndefs=0, effect=True)
            self.blocks[-1].succs.append(self.label[target])

    def copy(self, d: VReg, src) -> None:
        if d.cls == "p":
            self.emit("PLOP3.LUT", d, PT, self.pred_operand(src), PT, PT, Imm("0xf0"),
                      Imm("0x0"), ndefs=2)  # fmt: skip
        elif d.cls == "r2":
            lo, hi = (Half(src, False), Half(src, True)) if isinstance(src, VReg) else src
            self.emit("MOV", Half(d, False), lo)
            self.emit("MOV", Half(d, True), hi)
        else:
            self.emit("MOV", d, src)

    def branch_if(self, p: tuple, target: Block) -> None:
        """``@p BRA target`` (or ``@p EXIT``); the block continues on fall-through."""
        guard = (p[0], p[1]) if p[0] is not None else None
        if p[0] is None and p[1]:  # never taken
            return
        if target in self.exit:
            self.emit("EXIT", ndefs=0, guard=guard, effect=True)
        else:
            self.emit("BRA", Target(self.label[target]), ndefs=0, guard=guard, effect=True)
            self.blocks[-1].succs.append(self.label[target])
        if guard is not None:
            self.blocks[-1].falls_through = True
            self.blocks.append(MBlock(None))


def _vregs(loc) -> list[VReg]:
    if isinstance(loc, VReg):
        return [loc]
    if isinstance(loc, Half):
        return [loc.reg]
    if isinstance(loc, tuple):
        return [r for x in loc if not isinstance(x, bool) for r in _vregs(x)]
    return []


# ----------------------------------------------------------------- rules
_RULES: dict = {}


def rule(*classes):
    def deco(fn):
        for c in classes:
            _RULES[c] = fn
        return fn

    return deco


@rule(arith.ConstantOp)
def _constant(S: Selector, op) -> None:
    v, ty = op.value, op.result.type
    if isinstance(v, FloatAttr):
        if ty.bitwidth != 32:
            raise SelectionError(f"{S.where(op)}: only f32 constants")
        S.loc[op.result] = S.const_word(struct.unpack("<I", struct.pack("<f", v.value.data))[0])
        return
    assert isinstance(v, IntegerAttr)
    n, width = v.value.data, getattr(ty, "width", None)
    w = width.data if width is not None else 32
    if w == 1:
        S.loc[op.result] = (None, not (n & 1))
    elif w == 64:
        S.loc[op.result] = (S.const_word(n), S.const_word(n >> 32))
    else:
        S.loc[op.result] = S.const_word(n)


@rule(arith.IndexCastOp, arith.BitcastOp)
def _alias(S: Selector, op) -> None:
    S.loc[op.result] = S.word(op.input)


@rule(arith.ExtUIOp, arith.ExtSIOp)
def _ext(S: Selector, op) -> None:
    if op.result.type != IntegerType(64) or op.input.type != IntegerType(32):
        if op.input.type == IntegerType(1) and op.result.type in (IntegerType(32),
                                                                   IntegerType(64)):
            d = S.new("r")  # a carry or flag as 0/1 (the high word of an i64 is 0)
            S.emit("SEL", d, Imm("0x1"), RZ, S.pred_operand(S.pred(op.input)))
            S.loc[op.result] = (d, RZ) if op.result.type == IntegerType(64) else d
            return
        raise SelectionError(f"{S.where(op)}: only i32 -> i64 extensions")
    a = S.word(op.input)
    if isinstance(op, arith.ExtUIOp) or a == RZ:
        S.loc[op.result] = (a, RZ)
        return
    hi = S.new("r")
    S.emit("SHF.R.S32.HI", hi, RZ, Imm("0x1f"), a)
    S.loc[op.result] = (a, hi)


@rule(arith.TruncIOp)
def _trunc(S: Selector, op) -> None:
    src, dst = op.input.type, op.result.type
    if dst == IntegerType(1):  # bit 0 (the lifter's carry out of a 64-bit sum)
        lo = S.halves(op.input)[0] if src == IntegerType(64) else S.word(op.input)
        d = S.new("p")
        S.emit("LOP3.LUT", d, RZ, _reg_or_mov(S, lo), Imm("0x1"), RZ, Imm("0xc0"),
               Pre("!", PT), ndefs=2)  # fmt: skip
        S.loc[op.result] = (d, False)
        return
    if dst == IntegerType(16) and src == IntegerType(32):
        S.loc[op.result] = Lane(_reg_or_mov(S, S.word(op.input)))  # read by extf only
        return
    if dst != IntegerType(32):
        raise SelectionError(f"{S.where(op)}: i{src.width.data} -> i{dst.width.data} truncation")
    S.loc[op.result] = S.halves(op.input)[0]


@rule(arith.ExtFOp)
def _extf(S: Selector, op) -> None:
    lane = S.loc.get(op.input)
    if not isinstance(lane, Lane) or op.result.type.bitwidth != 32:
        raise SelectionError(f"{S.where(op)}: only the low f16 lane of a register to f32")
    d = S.new("r")
    S.emit("HADD2.F32", d, Pre("-", RZ), lane)  # -0.0 + h, exact in f32
    S.loc[op.result] = d


def _const_of(v: SSAValue) -> int | None:
    o = v.owner
    if isinstance(o, arith.ConstantOp) and isinstance(o.value, IntegerAttr):
        return o.value.value.data
    return None


def _amount(v: SSAValue) -> int | None:
    """A constant shift amount, also the lifter's clamp ``min(ext(c), limit)`` of one."""
    k = _const_of(v)
    m = v.owner
    if k is None and isinstance(m, arith.MinUIOp):
        a, b = (x.owner.input if isinstance(x.owner, arith.ExtUIOp) else x
                for x in (m.lhs, m.rhs))  # fmt: skip
        if _const_of(a) is not None and _const_of(b) is not None:
            k = min(_const_of(a) & 0xFFFFFFFF, _const_of(b))
    return k


def _shift64(S: Selector, op) -> bool:
    """i64 shifts by 32 move halves; other amounts use SHF funnel shifts."""
    k = _amount(op.rhs)
    if k is None:
        return _shift64_by_register(S, op)
    lo, hi = S.halves(op.lhs)
    if k == 32:
        if isinstance(op, arith.ShRSIOp):  # the high word's sign fills the new one
            sign = S.new("r")
            S.emit("SHF.R.S32.HI", sign, RZ, Imm("0x1f"), hi)
            S.loc[op.result] = (hi, sign)
            return True
        S.loc[op.result] = (RZ, lo) if isinstance(op, arith.ShLIOp) else (hi, RZ)
        return True
    if not 0 < k < 32:
        raise SelectionError(f"{S.where(op)}: 64-bit shift by {k}")
    nlo, nhi = S.new("r"), S.new("r")
    if isinstance(op, arith.ShLIOp):
        S.emit("SHF.L.U64.HI", nhi, lo, Imm(hex(k)), hi)
        S.emit("SHF.L.U32", nlo, lo, Imm(hex(k)), RZ)
    else:
        sx = "S" if isinstance(op, arith.ShRSIOp) else "U"
        S.emit(f"SHF.R.{sx}64", nlo, lo, Imm(hex(k)), hi)
        S.emit(f"SHF.R.{sx}32.HI", nhi, RZ, Imm(hex(k)), hi)
    S.loc[op.result] = (nlo, nhi)
    return True


def _shift64_by_register(S: Selector, op) -> bool:
    """An i64 shift by ``min(k, 32)`` (the lifter's clamped funnel-shift amount): the
    funnel ``SHF.*.U64``/``.S64`` for one word, the clamped 32-bit shift for the other."""
    amount = op.rhs.owner
    if not (isinstance(amount, arith.MinUIOp) and (
            32 in (_const_of(amount.lhs), _const_of(amount.rhs)))):  # fmt: skip
        raise SelectionError(f"{S.where(op)}: 64-bit shift by a register")
    lo, hi = S.halves(op.lhs)
    k = S.halves(op.rhs)[0]
    nlo, nhi = S.new("r"), S.new("r")
    if isinstance(op, arith.ShLIOp):
        S.emit("SHF.L.U64.HI", nhi, lo, k, hi)
        S.emit("SHF.L.U32", nlo, lo, k, RZ)
    else:
        sx = "S" if isinstance(op, arith.ShRSIOp) else "U"
        S.emit(f"SHF.R.{sx}64", nlo, lo, k, hi)
        S.emit(f"SHF.R.{sx}32.HI", nhi, RZ, k, hi)
    S.loc[op.result] = (nlo, nhi)
    return True


@rule(arith.ShLIOp, arith.ShRUIOp, arith.ShRSIOp)
def _shift(S: Selector, op) -> None:
    if op.result.type == IntegerType(64):
        _shift64(S, op)
        return
    a, k = S.word(op.lhs), S.word(op.rhs)
    d = S.new("r")
    if isinstance(op, arith.ShLIOp):
        S.emit("SHF.L.U32", d, a, k, RZ)
    else:
        S.emit("SHF.R.S32.HI" if isinstance(op, arith.ShRSIOp) else "SHF.R.U32.HI", d, RZ, k, a)
    S.loc[op.result] = d


@rule(arith.AndIOp, arith.OrIOp, arith.XOrIOp)
def _bitwise(S: Selector, op) -> None:
    ty = op.result.type
    if ty == IntegerType(1):
        _pred_logic(S, op)
        return
    lut = _LUT[type(op)]

    def one(a, b):
        if isinstance(op, arith.OrIOp | arith.XOrIOp) and RZ in (a, b):
            return b if a == RZ else a
        if isinstance(op, arith.AndIOp) and RZ in (a, b):
            return RZ
        d = S.new("r")
        S.emit("LOP3.LUT", d, a, b, RZ, Imm(hex(lut)), Pre("!", PT))
        return d

    if ty == IntegerType(64):
        (alo, ahi), (blo, bhi) = S.halves(op.lhs), S.halves(op.rhs)
        S.loc[op.result] = (one(alo, blo), one(ahi, bhi))
    else:
        S.loc[op.result] = one(S.word(op.lhs), S.word(op.rhs))


def _pred_logic(S: Selector, op) -> None:
    a, b = S.pred(op.lhs), S.pred(op.rhs)
    # Fold the lifter's `x and true`, `x xor true` (not), `x or false`.
    for x, y in ((a, b), (b, a)):
        if y[0] is None:
            true = not y[1]
            if isinstance(op, arith.AndIOp):
                S.loc[op.result] = x if true else (None, True)
                return
            if isinstance(op, arith.OrIOp):
                S.loc[op.result] = (None, False) if true else x
                return
            S.loc[op.result] = (x[0], x[1] != true)
            return
    d = S.new("p")
    S.emit("PLOP3.LUT", d, PT, S.pred_operand(a), S.pred_operand(b), PT,
           Imm(hex(_LUT[type(op)])), Imm("0x0"), ndefs=2)  # fmt: skip
    S.loc[op.result] = (d, False)


def _wide_factors(v: SSAValue):
    """``(a, b, unsigned)`` when ``v = muli(ext a, ext b)`` with both extensions alike."""
    m = v.owner
    if not isinstance(m, arith.MuliOp):
        return None
    x, y = m.lhs.owner, m.rhs.owner
    for cls, unsigned in ((arith.ExtSIOp, False), (arith.ExtUIOp, True)):
        if isinstance(x, cls) and isinstance(y, cls) \
                and x.input.type == IntegerType(32) == y.input.type:
            return x.input, y.input, unsigned
    return None


def _reg_or_mov(S: Selector, w):
    if isinstance(w, VReg | Half):
        return w
    d = S.new("r")
    S.emit("MOV", d, w)
    return d


@rule(arith.AddiOp, arith.SubiOp, arith.MuliOp)
def _int_arith(S: Selector, op) -> None:
    if op.result.type == IntegerType(64):
        _int_arith64(S, op)
        return
    a, b = S.word(op.lhs), S.word(op.rhs)
    d = S.new("r")
    if isinstance(op, arith.AddiOp):
        S.emit("IADD3", d, a, b, RZ)
    elif isinstance(op, arith.SubiOp):
        S.emit("IADD3", d, a, Pre("-", _reg_or_mov(S, b)) if b != RZ else RZ, RZ)
    else:
        S.emit("IMAD", d, a, b, RZ)
    S.loc[op.result] = d


def _imad_wide(S: Selector, d: VReg, factors, addend) -> None:
    a, b, unsigned = factors
    S.emit("IMAD.WIDE.U32" if unsigned else "IMAD.WIDE", d,
           _reg_or_mov(S, S.word(a)), _reg_or_mov(S, S.word(b)), addend)  # fmt: skip


def _imad_wide_const(S: Selector, op, d: VReg) -> None:
    """``ext(a) * c`` for a constant ``0 <= c < 2**31`` (a scaled index): IMAD.WIDE[.U32]
    with ``c`` in a register."""
    for x, y in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
        c, ext = _const_of(y), x.owner
        if c is not None and 0 <= c < 1 << 31 and isinstance(
                ext, arith.ExtUIOp | arith.ExtSIOp) and ext.input.type == IntegerType(32):  # fmt: skip
            S.emit("IMAD.WIDE.U32" if isinstance(ext, arith.ExtUIOp) else "IMAD.WIDE", d,
                   _reg_or_mov(S, S.word(ext.input)), _reg_or_mov(S, S.const_word(c)), RZ)  # fmt: skip
            return
    raise SelectionError(f"{S.where(op)}: 64-bit multiply of non-extended values")


def _int_arith64(S: Selector, op) -> None:
    d = S.new("r2")
    if isinstance(op, arith.MuliOp):
        f = _wide_factors(op.result)
        if f is None:
            _imad_wide_const(S, op, d)
        else:
            _imad_wide(S, d, f, RZ)
    elif isinstance(op, arith.AddiOp) and (_wide_factors(op.lhs) or _wide_factors(op.rhs)):
        prod, other = (op.lhs, op.rhs) if _wide_factors(op.lhs) else (op.rhs, op.lhs)
        _imad_wide(S, d, _wide_factors(prod), S.pair(other))
    else:
        (alo, ahi), (blo, bhi) = S.halves(op.lhs), S.halves(op.rhs)
        c = S.new("p")
        if isinstance(op, arith.SubiOp):
            blo, bhi = Pre("~", _reg_or_mov(S, blo)), Pre("~", _reg_or_mov(S, bhi))
            # a - b = a + ~b + 1 on 64 bits: the +1 enters the low word.
            S.emit("IADD3", Half(d, False), c, alo, blo, Imm("0x1"), ndefs=2)
        else:
            S.emit("IADD3", Half(d, False), c, alo, blo, RZ, ndefs=2)
        S.emit("IADD3.X", Half(d, True), ahi, bhi, RZ, c, Pre("!", PT))
    S.loc[op.result] = d


@rule(arith.CmpiOp)
def _cmpi(S: Selector, op) -> None:
    name = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
    if op.lhs.type != IntegerType(32):
        raise SelectionError(f"{S.where(op)}: only 32-bit integer compares")
    u = ".U32" if name.startswith("u") else ""
    d = S.new("p")
    S.emit(f"ISETP.{_ICMP[name]}{u}.AND", d, PT, S.word(op.lhs), S.word(op.rhs), PT, ndefs=2)
    S.loc[op.result] = (d, False)


@rule(arith.CmpfOp)
def _cmpf(S: Selector, op) -> None:
    name = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
    if name not in _FCMP:
        raise SelectionError(f"{S.where(op)}: float compare {name}")
    d = S.new("p")
    S.emit(f"FSETP.{_FCMP[name]}.AND", d, PT, S.word(op.lhs), S.word(op.rhs), PT, ndefs=2)
    S.loc[op.result] = (d, False)


@rule(arith.SelectOp)
def _select(S: Selector, op) -> None:
    c = S.pred_operand(S.pred(op.cond))
    ty = op.result.type
    if ty == IntegerType(1):
        d = S.new("p")  # c ? a : b on predicates: LUT(c, a, b) = 0xe2
        S.emit("PLOP3.LUT", d, PT, c, S.pred_operand(S.pred(op.lhs)),
               S.pred_operand(S.pred(op.rhs)), Imm("0xe2"), Imm("0x0"), ndefs=2)  # fmt: skip
        S.loc[op.result] = (d, False)
        return

    def sel(a, b):
        d = S.new("r")
        S.emit("SEL", d, a, b, c)
        return d

    if ty == IntegerType(64):
        (alo, ahi), (blo, bhi) = S.halves(op.lhs), S.halves(op.rhs)
        S.loc[op.result] = (sel(alo, blo), sel(ahi, bhi))
    else:
        S.loc[op.result] = sel(S.word(op.lhs), S.word(op.rhs))


@rule(arith.MinUIOp, arith.MaxUIOp, arith.MinSIOp, arith.MaxSIOp)
def _minmax(S: Selector, op) -> None:
    u = ".U32" if isinstance(op, arith.MinUIOp | arith.MaxUIOp) else ""
    take_min = isinstance(op, arith.MinUIOp | arith.MinSIOp)
    d = S.new("r")
    if op.result.type == IntegerType(64):  # of two zero-extended words (a shift amount)
        (alo, ahi), (blo, bhi) = S.halves(op.lhs), S.halves(op.rhs)
        if not u or (ahi, bhi) != (RZ, RZ):
            raise SelectionError(f"{S.where(op)}: 64-bit min/max of wide values")
        S.emit(f"IMNMX{u}", d, alo, blo, PT if take_min else Pre("!", PT))
        S.loc[op.result] = (d, RZ)
        return
    S.emit(f"IMNMX{u}", d, S.word(op.lhs), S.word(op.rhs), PT if take_min else Pre("!", PT))
    S.loc[op.result] = d


@rule(arith.AddfOp, arith.SubfOp, arith.MulfOp, arith.MaxnumfOp, arith.MinnumfOp)
def _float_arith(S: Selector, op) -> None:
    if op.result.type.bitwidth != 32:
        raise SelectionError(f"{S.where(op)}: only f32 arithmetic")
    a, b = S.word(op.lhs), S.word(op.rhs)
    d = S.new("r")
    if isinstance(op, arith.AddfOp):
        S.emit("FADD", d, a, b)
    elif isinstance(op, arith.SubfOp):
        S.emit("FADD", d, a, Pre("-", b))
    elif isinstance(op, arith.MulfOp):
        S.emit("FMUL", d, a, b)
    else:
        S.emit("FMNMX", d, a, b, PT if isinstance(op, arith.MinnumfOp) else Pre("!", PT))
    S.loc[op.result] = d


@rule(arith.DivfOp)
def _divf(S: Selector, op) -> None:
    one = op.lhs.owner
    if not (isinstance(one, arith.ConstantOp) and one.value.value.data == 1.0):
        raise SelectionError(f"{S.where(op)}: only 1 / x (MUFU.RCP)")
    d = S.new("r")
    S.emit("MUFU.RCP", d, _reg_or_mov(S, S.word(op.rhs)))
    S.loc[op.result] = d


@rule(arith.NegfOp)
def _negf(S: Selector, op) -> None:
    d = S.new("r")
    S.emit("FADD", d, Pre("-", S.word(op.operand)), Pre("-", RZ))  # -x + -0.0 == -x
    S.loc[op.result] = d


@rule(math.FmaOp)
def _fma(S: Selector, op) -> None:
    d = S.new("r")
    S.emit("FFMA", d, S.word(op.a), S.word(op.b), S.word(op.c))
    S.loc[op.result] = d


@rule(*_MUFU)
def _mufu(S: Selector, op) -> None:
    d = S.new("r")
    S.emit(f"MUFU.{_MUFU[type(op)]}", d, _reg_or_mov(S, S.word(op.operand)))
    S.loc[op.result] = d


# ----------------------------------------------------------------- sass / gpu ops
@rule(ParamOp)
def _param(S: Selector, op) -> None:
    d = S.new("r")
    off = op.offset.value.data
    S.emit("LDC", d, _cbank(off))
    S.params[id(d)] = off
    S.loc[op.res] = d


@rule(ConstBankOp)
def _const_bank(S: Selector, op) -> None:
    d = S.new("r")
    S.emit("LDC", d, _cbank(op.offset.value.data, op.bank.value.data))
    S.loc[op.res] = d


@rule(SpecialRegOp)
def _special(S: Selector, op) -> None:
    d = S.new("r")
    S.emit("S2R", d, Reg(op.register.data))
    S.loc[op.res] = d


_SR = {gpu.ThreadIdOp: "SR_TID", gpu.BlockIdOp: "SR_CTAID"}


@rule(gpu.ThreadIdOp, gpu.BlockIdOp, gpu.BlockDimOp, gpu.GridDimOp)
def _index(S: Selector, op) -> None:
    comp = op.dimension.data.value  # "x" | "y" | "z"
    d = S.new("r")
    if type(op) in _SR:
        S.emit("S2R", d, Reg(f"{_SR[type(op)]}.{comp.upper()}"))
    else:  # launch sizes: bank-0 words at the architecture's offsets
        base = S.abi.block_dim if isinstance(op, gpu.BlockDimOp) else S.abi.grid_dim
        S.emit("LDC", d, _cbank(base + 4 * "xyz".index(comp)))
    S.loc[op.result] = d


@rule(gpu.BarrierOp)
def _barrier(S: Selector, op) -> None:
    S.emit("BAR.SYNC.DEFER_BLOCKING", Imm("0x0"), ndefs=0, effect=True)


def _address(S: Selector, op) -> MemV:
    if op.space.data == "global":
        return MemV(S.pair(op.addr))
    if op.space.data == "shared":
        return MemV(_reg_or_mov(S, S.halves(op.addr)[0]))
    raise SelectionError(f"{S.where(op)}: {op.space.data} memory")


def _guard(S: Selector, mask):
    if mask is None:
        return None
    reg, neg = S.pred(mask)
    return None if reg is None and not neg else (reg, neg)


@rule(LoadOp)
def _load(S: Selector, op) -> None:
    w = op.width.value.data
    if op.space.data not in _SPACE or w not in _WIDTH_MOD:
        raise SelectionError(f"{S.where(op)}: {w}-bit {op.space.data} load")
    mem = _address(S, op)
    d = S.new("r2" if w == 64 else "r")
    guard = _guard(S, op.mask)
    if guard is not None:  # a masked-off load reads 0 (as sass.load): zero it first
        S.copy(d, (RZ, RZ) if w == 64 else RZ)
    S.emit(_SPACE[op.space.data][0] + _WIDTH_MOD[w], d, mem, guard=guard, effect=True)
    S.loc.update(zip(op.res, [Half(d, False), Half(d, True)] if w == 64 else [d]))


@rule(StoreOp)
def _store(S: Selector, op) -> None:
    w = op.width.value.data
    if op.space.data not in _SPACE or w not in _WIDTH_MOD:
        raise SelectionError(f"{S.where(op)}: {w}-bit {op.space.data} store")
    mem = _address(S, op)
    if w == 64:
        tmp = S.new("r2")
        S.copy(tmp, tuple(S.word(v) for v in op.values))
        value = tmp
    else:
        value = S.word(op.values[0])
    S.emit(_SPACE[op.space.data][1] + _WIDTH_MOD[w], mem, value, ndefs=0,
           guard=_guard(S, op.mask), effect=True)  # fmt: skip


@rule(AtomicOp)
def _atomic(S: Selector, op) -> None:
    kind, _, ty = op.kind.data.partition(".")
    mods = f".{kind.upper()}" + {"f32": ".F32.FTZ.RN", "s32": ".S32", "u32": ""}[ty]
    mem, guard = _address(S, op), _guard(S, op.mask)
    value = _reg_or_mov(S, S.word(op.value))
    shared = op.space.data == "shared"
    if not op.res.uses and not shared:
        S.emit(f"RED.E{mods}.STRONG.GPU", mem, value, ndefs=0, guard=guard, effect=True)
        return
    d = S.new("r")
    if guard is not None:
        S.copy(d, RZ)
    S.emit(f"ATOMS{mods}" if shared else f"ATOMG.E{mods}.STRONG.GPU", d, mem, value,
           guard=guard, effect=True)  # fmt: skip
    S.loc[op.res] = d


@rule(ShuffleOp)
def _shuffle(S: Selector, op) -> None:
    d, p = S.new("r"), S.new("p")
    S.emit(f"SHFL.{op.mode.data.upper()}", p, d, _reg_or_mov(S, S.word(op.value)),
           S.word(op.offset), S.word(op.clamp), ndefs=2, effect=True)  # fmt: skip
    S.loc[op.res], S.loc[op.valid] = d, (p, False)


@rule(cf.BranchOp)
def _br(S: Selector, op) -> None:
    S.edge(op.successor, op.arguments)


@rule(cf.ConditionalBranchOp)
def _cond_br(S: Selector, op) -> None:
    c = S.pred(op.cond)
    t, f = op.then_block, op.else_block
    ta, fa = op.then_arguments, op.else_arguments
    if not S.args[t]:
        S.branch_if(c, t)
        S.edge(f, fa)
    elif not S.args[f]:
        S.branch_if((c[0], not c[1]), f)
        S.edge(t, ta)
    else:  # both edges carry values: the false edge gets its own copy block
        split = MBlock(f"{S.label[t]}_{len(S.blocks)}")
        S.emit("BRA", Target(split.label), ndefs=0, guard=(c[0], not c[1]), effect=True)
        S.blocks[-1].succs.append(split.label)
        S.blocks[-1].falls_through = True
        S.blocks.append(MBlock(None))
        S.edge(t, ta)
        S.blocks.append(split)
        S.edge(f, fa)


@rule(cf.SwitchOp)
def _switch(S: Selector, op) -> None:
    """A compare and guarded jump per case (the lifter's ``RET`` to its return address),
    then the default; a case that passes values gets its own copy block."""
    flag = _reg_or_mov(S, S.word(op.flag))
    values = op.case_values.get_values() if op.case_values is not None else ()
    for value, target, args in zip(values, op.case_blocks, op.case_operand):
        p = S.new("p")
        S.emit("ISETP.EQ.AND", p, PT, flag, _reg_or_mov(S, S.const_word(value)), PT, ndefs=2)
        if not S.args[target]:
            S.branch_if((p, False), target)
            continue
        skip = MBlock(f"{S.label[target]}_{len(S.blocks)}")
        S.emit("BRA", Target(skip.label), ndefs=0, guard=(p, True), effect=True)
        S.blocks[-1].succs.append(skip.label)
        S.blocks[-1].falls_through = True
        S.blocks.append(MBlock(None))
        S.edge(target, args)
        S.blocks.append(skip)
    S.edge(op.default_block, op.default_operands)


@rule(func.ReturnOp)
def _return(S: Selector, op) -> None:
    S.emit("EXIT", ndefs=0, effect=True)


def select_function(fn: func.FuncOp, arch: str) -> list[MBlock]:
    """The machine blocks of one lifted kernel (before register allocation)."""
    return Selector(fn, arch).run()
