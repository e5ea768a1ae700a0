"""The lifting rules of ``sass_semantics``, one function per opcode family.

Each rule reads its operands through the ``Lifter`` (which applies operand prefixes and
knows register pairs) and writes its destinations; unsupported modifier combinations
raise ``_Unmapped`` so the instruction is kept as ``sass.unmapped`` instead of guessed.
"""

from __future__ import annotations

import numpy as np

from switcheroo.dialects.sass.attrs import ImmAttr, MemAttr
from switcheroo.dialects.sass.lifted import (
    AtomicOp,
    LoadOp,
    ShuffleOp,
    StoreOp,
)
from switcheroo.dialects.sass.registers import PredicateType, UniformPredicateType
from switcheroo.passes.sass_semantics import (
    Lifter,
    _next_reg,
    _reg_name,
    _suffixes,
    _Unmapped,
    rule,
)
from xdsl.dialects import arith, gpu, math
from xdsl.dialects.builtin import IntegerType, f16, f32, i1, i16, i32, i64

_ICMP = {"LT": "slt", "LE": "sle", "GT": "sgt", "GE": "sge", "EQ": "eq", "NE": "ne"}
_UCMP = {"LT": "ult", "LE": "ule", "GT": "ugt", "GE": "uge", "EQ": "eq", "NE": "ne"}
_FCMP = {"LT": "olt", "LE": "ole", "GT": "ogt", "GE": "oge", "EQ": "oeq", "NE": "one",
         "NUM": "ord", "NAN": "uno", "LTU": "ult", "LEU": "ule", "GTU": "ugt", "GEU": "uge",
         "EQU": "ueq", "NEU": "une"}  # fmt: skip
_NOOPS = ("NOP", "BSSY", "BSYNC", "WARPSYNC", "YIELD", "DEPBAR", "MEMBAR", "ERRBAR", "CCTL",
          "NANOSLEEP", "BRA", "JMP", "EXIT", "CALL", "RET", "KILL", "BMOV")  # fmt: skip


def _is_pred(a) -> bool:
    reg = getattr(a, "reg", a)
    return isinstance(reg, PredicateType | UniformPredicateType)


def _split_carries(args: list) -> tuple[str | None, list, list]:
    """``d, [carry-out preds], sources..., [carry-in preds]`` of IADD3/LEA forms."""
    d = _reg_name(args[0])
    i = 1
    couts = []
    while i < len(args) and _is_pred(args[i]):
        couts.append(args[i])
        i += 1
    return d, couts, args[i:]


def _tail_preds(rest: list) -> tuple[list, list]:
    j = len(rest)
    while j > 0 and _is_pred(rest[j - 1]):
        j -= 1
    return rest[:j], rest[j:]


def _carry_out(L: Lifter, couts: list, wide_sum) -> None:
    for k, p in enumerate(couts[:1]):
        c = L.add(arith.ShRUIOp(wide_sum, L.const(32, i64)))
        bit = L.add(arith.TruncIOp(c, i1))
        L.write(_reg_name(p), bit)


def _zext64(L: Lifter, v):
    return L.add(arith.ExtUIOp(v, i64))


def _add_carry_ins(L: Lifter, total, pins: list):
    for p in pins:
        total = L.add(arith.AddiOp(total, L.add(arith.ExtUIOp(L.pred(p), i64))))
    return total


@rule(*_NOOPS)
def _noop(L: Lifter, ins, args) -> None:
    """Control transfers are the block terminators; the rest has no data effect."""


@rule("BAR")
def _bar(L: Lifter, ins, args) -> None:
    if ins.modifiers[:1] not in (("SYNC",), ()):
        raise _Unmapped(f"BAR.{'.'.join(ins.modifiers)}")
    L.add(gpu.BarrierOp())


@rule("MOV", "UMOV", "R2UR")
def _mov(L: Lifter, ins, args) -> None:
    if ins.modifiers == ("64",):  # MOV.64 R6, UR4 (sm_120): a register-pair copy
        L.write_pair(_reg_name(args[0]), L.pair(args[1]))
        return
    if ins.modifiers:
        raise _Unmapped(f"{ins.base_opcode}.{'.'.join(ins.modifiers)}")
    L.write(_reg_name(args[0]), L.int_(args[1]))


@rule("S2R", "S2UR", "CS2R")
def _s2r(L: Lifter, ins, args) -> None:
    src = _reg_name(args[1])
    if src == "SRZ":
        L.write(_reg_name(args[0]), L.const(0))
        if "32" not in ins.modifiers:
            L.write(_next_reg(_reg_name(args[0])), L.const(0))
        return
    L.write(_reg_name(args[0]), L.special(src))


@rule("LDC", "ULDC", "LDCU")
def _ldc(L: Lifter, ins, args) -> None:
    d = _reg_name(args[0])
    if "64" in ins.modifiers:
        L.write_pair(d, L.pair(args[1]))
    else:
        L.write(d, L.int_(args[1]))


@rule("IMAD", "UIMAD")
def _imad(L: Lifter, ins, args) -> None:
    mods = set(ins.modifiers) - {"MOV", "SHL", "IADD", "U32"}
    unsigned = "U32" in ins.modifiers
    if "X" in mods:
        raise _Unmapped("IMAD.X")
    d, a, b = _reg_name(args[0]), L.int_(args[1]), L.int_(args[2])
    ext = arith.ExtUIOp if unsigned else arith.ExtSIOp
    if "WIDE" in mods:
        prod = L.add(arith.MuliOp(L.add(ext(a, i64)), L.add(ext(b, i64))))
        L.write_pair(d, L.add(arith.AddiOp(prod, L.pair(args[3]))))
    elif "HI" in mods:
        prod = L.add(arith.MuliOp(L.add(ext(a, i64)), L.add(ext(b, i64))))
        _, hi = L.halves(prod)
        L.write(d, L.add(arith.AddiOp(hi, L.int_(args[3]))))
    elif mods:
        raise _Unmapped(f"IMAD.{'.'.join(ins.modifiers)}")
    else:
        L.write(d, L.add(arith.AddiOp(L.add(arith.MuliOp(a, b)), L.int_(args[3]))))


@rule("IADD3", "UIADD3")
def _iadd3(L: Lifter, ins, args) -> None:
    d, couts, rest = _split_carries(args)
    srcs, pins = _tail_preds(rest)
    if set(ins.modifiers) - {"X", "64"} or (pins and "X" not in ins.modifiers):
        raise _Unmapped(f"IADD3.{'.'.join(ins.modifiers)}")
    if "64" in ins.modifiers:
        _add64(L, d, srcs, couts or pins)
        return
    if len(srcs) != 3:
        raise _Unmapped("IADD3 operand form")
    total = L.const(0, i64)
    for s in srcs:
        total = L.add(arith.AddiOp(total, _zext64(L, L.int_(s))))
    total = _add_carry_ins(L, total, pins)
    L.write(d, L.add(arith.TruncIOp(total, i32)))
    _carry_out(L, couts, total)


def _add64(L: Lifter, d, srcs, preds) -> None:
    """64-bit sum of register pairs/immediates (``IADD.64``, ``UIADD3.64``)."""
    if any(_reg_name(p) not in ("PT", "UPT") for p in preds):
        raise _Unmapped("64-bit add with carries")
    total = L.const(0, i64)
    for s in srcs:
        v = L.pair(s)
        if getattr(s, "prefix", None) is not None and s.prefix.data == "-":
            v = L.add(arith.SubiOp(L.const(0, i64), v))
        total = L.add(arith.AddiOp(total, v))
    L.write_pair(d, total)


@rule("VIADD", "IADD")
def _viadd(L: Lifter, ins, args) -> None:
    if ins.modifiers == ("64",):
        d, couts, rest = _split_carries(args)
        srcs, pins = _tail_preds(rest)
        _add64(L, d, srcs, couts + pins)
        return
    if ins.modifiers or len(args) != 3:
        raise _Unmapped("VIADD form")
    L.write(_reg_name(args[0]), L.add(arith.AddiOp(L.int_(args[1]), L.int_(args[2]))))


def _shift_amount(L: Lifter, a) -> int:
    if not isinstance(a, ImmAttr):
        raise _Unmapped("LEA with a register shift")
    return int(a.value)


@rule("LEA", "ULEA")
def _lea(L: Lifter, ins, args) -> None:
    d, couts, rest = _split_carries(args)
    srcs, pins = _tail_preds(rest)
    mods = set(ins.modifiers)
    if "HI" not in mods:
        a, b, s = srcs
        shifted = L.add(arith.ShLIOp(L.int_(a), L.const(_shift_amount(L, s))))
        total = L.add(arith.AddiOp(_zext64(L, shifted), _zext64(L, L.int_(b))))
        total = _add_carry_ins(L, total, pins)
        L.write(d, L.add(arith.TruncIOp(total, i32)))
        _carry_out(L, couts, total)
        return
    if "SX32" in mods:
        a, b, s = srcs
        k = _shift_amount(L, s)
        hi = L.add(arith.ShRSIOp(L.int_(a), L.const(32 - k)))
    else:
        a, b, c, s = srcs
        k = _shift_amount(L, s)
        lo_part = L.add(arith.ShRUIOp(L.int_(a), L.const(32 - k)))
        hi = L.add(arith.OrIOp(lo_part, L.add(arith.ShLIOp(L.int_(c), L.const(k)))))
    total = L.add(arith.AddiOp(_zext64(L, hi), _zext64(L, L.int_(b))))
    total = _add_carry_ins(L, total, pins)
    L.write(d, L.add(arith.TruncIOp(total, i32)))
    _carry_out(L, couts, total)


@rule("SHF", "USHF")
def _shf(L: Lifter, ins, args) -> None:
    mods = set(ins.modifiers)
    d, a, s, b = _reg_name(args[0]), L.int_(args[1]), L.int_(args[2]), L.int_(args[3])
    signed = bool(mods & {"S32", "S64"})
    hi64 = L.add((arith.ExtSIOp if signed else arith.ExtUIOp)(b, i64))
    v = L.add(arith.OrIOp(L.add(arith.ShLIOp(hi64, L.const(32, i64))), _zext64(L, a)))
    limit = 63 if mods & {"U64", "S64"} else 32
    amount = L.add(arith.MinUIOp(_zext64(L, s), L.const(limit, i64)))
    if "L" in mods:
        v = L.add(arith.ShLIOp(v, amount))
    elif "R" in mods:
        v = L.add((arith.ShRSIOp if signed else arith.ShRUIOp)(v, amount))
    else:
        raise _Unmapped("SHF direction")
    lo, hi = L.halves(v)
    L.write(d, hi if "HI" in mods else lo)


def _lut(L: Lifter, a, b, c, lut: int, ones):
    """``LUT(a, b, c)`` bitwise: bit i of ``lut`` is the output for a=i>>2&1, b, c."""
    na, nb, nc = (L.add(arith.XOrIOp(x, ones)) for x in (a, b, c))
    out = None
    for i in range(8):
        if not (lut >> i) & 1:
            continue
        term = L.add(arith.AndIOp(a if i & 4 else na, b if i & 2 else nb))
        term = L.add(arith.AndIOp(term, c if i & 1 else nc))
        out = term if out is None else L.add(arith.OrIOp(out, term))
    return out if out is not None else L.add(arith.AndIOp(a, na))


@rule("LOP3", "ULOP3")
def _lop3(L: Lifter, ins, args) -> None:
    if "LUT" not in ins.modifiers:
        raise _Unmapped("LOP3 without .LUT")
    pout = None
    if _is_pred(args[0]):
        pout, args = args[0], args[1:]
    d = _reg_name(args[0])
    a, b, c = (L.int_(x) for x in args[1:4])
    lut = args[4]
    if not isinstance(lut, ImmAttr):
        raise _Unmapped("LOP3 with a register table")
    r = _lut(L, a, b, c, int(lut.value), L.const(-1))
    L.write(d, r)
    if pout is not None:
        L.write(_reg_name(pout), L.add(arith.CmpiOp(r, L.const(0), "ne")))


@rule("PLOP3", "UPLOP3")
def _plop3(L: Lifter, ins, args) -> None:
    p, q = _reg_name(args[0]), _reg_name(args[1])
    a, b, c = (L.pred(x) for x in args[2:5])
    one = L.const(1, i1)
    L.write(p, _lut(L, a, b, c, int(args[5].value), one))
    L.write(q, _lut(L, a, b, c, int(args[6].value), one))


def _combine(L: Lifter, mods, x, c):
    if "AND" in mods:
        return L.add(arith.AndIOp(x, c))
    if "OR" in mods:
        return L.add(arith.OrIOp(x, c))
    if "XOR" in mods:
        return L.add(arith.XOrIOp(x, c))
    raise _Unmapped("compare without .AND/.OR/.XOR")


@rule("ISETP", "UISETP")
def _isetp(L: Lifter, ins, args) -> None:
    mods = ins.modifiers
    if "EX" in mods:
        raise _Unmapped("ISETP.EX")
    table = _UCMP if "U32" in mods else _ICMP
    cmp = L.add(arith.CmpiOp(L.int_(args[2]), L.int_(args[3]), table[mods[0]]))
    c = L.pred(args[4])
    L.write(_reg_name(args[0]), _combine(L, mods, cmp, c))
    L.write(_reg_name(args[1]), _combine(L, mods, L.not_(cmp), c))


@rule("FSETP")
def _fsetp(L: Lifter, ins, args) -> None:
    mods = ins.modifiers
    cmp = L.add(arith.CmpfOp(L.float_(args[2]), L.float_(args[3]), _FCMP[mods[0]]))
    c = L.pred(args[4])
    L.write(_reg_name(args[0]), _combine(L, mods, cmp, c))
    L.write(_reg_name(args[1]), _combine(L, mods, L.not_(cmp), c))


@rule("SEL", "USEL", "FSEL")
def _sel(L: Lifter, ins, args) -> None:
    v = L.add(arith.SelectOp(L.pred(args[3]), L.int_(args[1]), L.int_(args[2])))
    L.write(_reg_name(args[0]), v)


@rule("IMNMX")
def _imnmx(L: Lifter, ins, args) -> None:
    a, b = L.int_(args[1]), L.int_(args[2])
    u = "U32" in ins.modifiers
    lo = L.add((arith.MinUIOp if u else arith.MinSIOp)(a, b))
    hi = L.add((arith.MaxUIOp if u else arith.MaxSIOp)(a, b))
    L.write(_reg_name(args[0]), L.add(arith.SelectOp(L.pred(args[3]), lo, hi)))


@rule("POPC")
def _popc(L: Lifter, ins, args) -> None:
    L.write(_reg_name(args[0]), L.add(math.CtPopOp(L.int_(args[1]))))


def _fwrite(L: Lifter, d, v) -> None:
    L.write(_reg_name(d), L.f32_to_bits(v))


@rule("FADD")
def _fadd(L: Lifter, ins, args) -> None:
    _fwrite(L, args[0], L.add(arith.AddfOp(L.float_(args[1]), L.float_(args[2]))))


@rule("FMUL")
def _fmul(L: Lifter, ins, args) -> None:
    _fwrite(L, args[0], L.add(arith.MulfOp(L.float_(args[1]), L.float_(args[2]))))


@rule("FFMA")
def _ffma(L: Lifter, ins, args) -> None:
    a, b, c = (L.float_(x) for x in args[1:4])
    _fwrite(L, args[0], L.add(math.FmaOp(a, b, c)))


@rule("FMNMX")
def _fmnmx(L: Lifter, ins, args) -> None:
    a, b = L.float_(args[1]), L.float_(args[2])
    lo, hi = L.add(arith.MinnumfOp(a, b)), L.add(arith.MaxnumfOp(a, b))
    _fwrite(L, args[0], L.add(arith.SelectOp(L.pred(args[3]), lo, hi)))


_MUFU = {"EX2": math.Exp2Op, "LG2": math.Log2Op, "SQRT": math.SqrtOp, "RSQ": math.RsqrtOp,
         "SIN": math.SinOp, "COS": math.CosOp, "TANH": math.TanhOp}  # fmt: skip


@rule("MUFU")
def _mufu(L: Lifter, ins, args) -> None:
    fn = ins.modifiers[0] if ins.modifiers else ""
    x = L.float_(args[1])
    if fn == "RCP":
        v = L.add(arith.DivfOp(L.fconst(1.0), x))
    elif fn in _MUFU:
        v = L.add(_MUFU[fn](x))
    else:
        raise _Unmapped(f"MUFU.{fn}")
    _fwrite(L, args[0], v)


def _half(L: Lifter, a):
    """One fp16 lane of an operand, widened to f32 (``R2.H0_H0``, ``-RZ``)."""
    name = _reg_name(a)
    sfx = _suffixes(a)
    if name in ("RZ", "URZ"):
        v = L.fconst(0.0)
    else:
        bits = L.int_(a) if "H1_H1" in sfx else L.reg(name)
        if not ({"H0_H0", "H1_H1"} & set(sfx)):
            raise _Unmapped("packed half2 operand")
        h = L.add(arith.BitcastOp(L.add(arith.TruncIOp(bits, i16)), f16))
        v = L.add(arith.ExtFOp(h, f32))
    if getattr(a, "prefix", None) is not None and a.prefix.data == "-":
        v = L.add(arith.NegfOp(v))
    return v


@rule("HADD2")
def _hadd2(L: Lifter, ins, args) -> None:
    if ins.modifiers != ("F32",):
        raise _Unmapped("packed HADD2")
    _fwrite(L, args[0], L.add(arith.AddfOp(_half(L, args[1]), _half(L, args[2]))))


@rule("HFMA2")
def _hfma2(L: Lifter, ins, args) -> None:
    # HFMA2.MMA d, -RZ, RZ, h1, h0 materialises the half2 constant (h1:h0).
    if len(args) != 5 or {_reg_name(args[1]), _reg_name(args[2])} != {"RZ"}:
        raise _Unmapped("HFMA2 arithmetic")
    hi, lo = (int(np.float16(float(a.value)).view(np.uint16)) for a in args[3:5])
    L.write(_reg_name(args[0]), L.const((hi << 16) | lo))


_WIDTHS = {"U8": 8, "S8": 8, "U16": 16, "S16": 16, "64": 64, "128": 128}
_SPACE = {"LDG": "global", "STG": "global", "LDS": "shared", "STS": "shared", "LDL": "local",
          "STL": "local", "LD": "generic", "ST": "generic"}  # fmt: skip


def _width(mods) -> int:
    return next((w for m, w in _WIDTHS.items() if m in mods), 32)


def _mem(L: Lifter, a):
    if not isinstance(a, MemAttr):
        raise _Unmapped("memory operand")
    addr, _ = L.address(a)
    return addr


@rule("LDG", "LDS", "LDL", "LD")
def _load(L: Lifter, ins, args) -> None:
    w = _width(ins.modifiers)
    mask = L.guard_value(ins)
    op = LoadOp(_mem(L, args[1]), _SPACE[ins.base_opcode], w, mask)
    L.add(op)
    d = _reg_name(args[0])
    vals = list(op.res)
    if w < 32 and ("S8" in ins.modifiers or "S16" in ins.modifiers):
        narrow = L.add(arith.TruncIOp(vals[0], i16 if w == 16 else IntegerType(8)))
        vals[0] = L.add(arith.ExtSIOp(narrow, i32))
    for v in vals:
        L.write(d, _keep_unless(L, mask, v, d))
        d = _next_reg(d)


def _keep_unless(L: Lifter, mask, value, reg: str | None):
    """A masked op's result: threads whose guard fails keep the register's old value
    (the access mask of a load/atomic only says which threads access memory)."""
    if mask is None or reg is None or reg in ("RZ", "URZ"):
        return value
    return L.add(arith.SelectOp(mask, value, L.reg(reg)))


@rule("STG", "STS", "STL", "ST")
def _store(L: Lifter, ins, args) -> None:
    w = _width(ins.modifiers)
    name = _reg_name(args[1])
    vals = []
    for _ in range(max(w // 32, 1)):
        vals.append(L.reg(name))
        name = _next_reg(name) if name not in ("RZ", "URZ") else name
    mask = L.guard_value(ins)
    L.add(StoreOp(_mem(L, args[0]), vals, _SPACE[ins.base_opcode], w, mask))


_ATOM_OPS = {"ADD": "add", "MIN": "min", "MAX": "max", "EXCH": "exch", "AND": "and",
             "OR": "or", "XOR": "xor"}  # fmt: skip
_ATOM_TYPES = {"F32": "f32", "S32": "s32", "U32": "u32", "64": "u64"}


@rule("RED", "REDG", "ATOM", "ATOMG", "ATOMS")
def _atomic(L: Lifter, ins, args) -> None:
    mods = ins.modifiers
    op = next((v for k, v in _ATOM_OPS.items() if k in mods), None)
    ty = next((v for k, v in _ATOM_TYPES.items() if k in mods), "u32")
    if op is None or ty == "u64":
        raise _Unmapped("atomic kind")
    has_dst = ins.base_opcode.startswith("ATOM")
    mem, val = (args[1], args[2]) if has_dst else (args[0], args[1])
    space = "shared" if ins.base_opcode == "ATOMS" else "global"
    mask = L.guard_value(ins)
    old = L.add(AtomicOp(_mem(L, mem), L.int_(val), space, f"{op}.{ty}", mask))
    if has_dst:
        L.write(_reg_name(args[0]), _keep_unless(L, mask, old, _reg_name(args[0])))


@rule("SHFL")
def _shfl(L: Lifter, ins, args) -> None:
    mode = ins.modifiers[0].lower() if ins.modifiers else ""
    op = ShuffleOp(mode, L.int_(args[2]), L.int_(args[3]), L.int_(args[4]))
    L.add(op)
    L.write(_reg_name(args[1]), op.res)
    L.write(_reg_name(args[0]), op.valid)

