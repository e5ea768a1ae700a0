"""Lock-step symbolic evaluation of one thread block of a lifted SASS kernel.

For a concrete 1-D block size ``B`` every thread ``tid.x = 0 .. B-1`` of one block runs
the lifted func (``sass-lift``) with concrete launch values (``ntid.x = B``, the y/z
indices 0, their dimensions 1) and symbolic ones: ``ctaid.x``, ``nctaid.x``, parameter
words, pointers and the uniform ``SR_CgaCtaId`` are polynomial leaves (``sass_affine``).
Scheduling is the emulator's: the threads at the lowest block run it together; a
``gpu.barrier`` must be reached by every live thread at once, and a shared cell that one
thread writes and another touches between two barriers is a race (no proof).

Values (all hashable, so uniform work is done once per block: ``_memo``):

- ``int``: a concrete integer, unsigned, of its type's width;
- ``Lin``: a symbolic integer's mathematical value (a polynomial; index arithmetic is
  assumed not to wrap, as in ``sass_affine``); ``Half``: a word of a symbolic 64-bit one;
- ``Lit``: a symbolic predicate ``q < 0`` over mathematical values (``signed`` says how
  the compared 32-bit words were read); ``Sel``: a select on one;
- ``Acc``: a float that is a reduction (``kind`` ``add`` or ``max``; None for one
  element) of guarded element atoms ``(pointer, index polynomial, guards)`` with
  multiplicities: ``+0.0`` is the empty sum, ``-inf`` the empty max, a load of
  ``p[i]`` one atom, and a masked-off load (0 in ``sass.load``'s semantics) nothing.

Branches must be concrete per thread (a symbolic one ends the evaluation: no proof);
the result lists every executed global side effect (``Effect``) by thread.
"""

from __future__ import annotations

import math as pymath
import struct
from collections import Counter
from dataclasses import dataclass

from xdsl.dialects import arith, cf, func, gpu
from xdsl.dialects.builtin import IntegerType
from xdsl.ir import Block, SSAValue

from switcheroo.dialects.sass.lifted import (
    AtomicOp,
    ConstBankOp,
    LoadOp,
    ParamOp,
    SpecialRegOp,
    StoreOp,
)
from switcheroo.passes import sass_affine as affine
from switcheroo.passes.sass_recover_loops import reachable
from switcheroo.passes.sass_warp_reduce import NoIdiom

NEG_INF_BITS = 0xFF800000
# Two adjacent bank-0 words read as one 64-bit value: a pointer parameter, or another
# constant-bank pair (the global-memory descriptor of sm_90+).
_PAIRS = {"param": "ptr", "cbank": "cbank64"}
MAX_STEPS = 4_000_000


@dataclass(frozen=True)
class Lin:
    p: frozenset

    @property
    def poly(self) -> dict:
        return dict(self.p)


@dataclass(frozen=True)
class Half:
    p: frozenset
    part: str  # "lo", "hi" (shifted down) or "hi<<32"


@dataclass(frozen=True)
class Lit:
    q: frozenset
    signed: bool


@dataclass(frozen=True)
class Sel:
    cond: Lit
    a: object
    b: object


@dataclass(frozen=True)
class Acc:
    kind: str | None
    atoms: frozenset  # of ((ptr, frozen index poly, frozenset of Lit guards), count)

    def counter(self) -> Counter:
        return Counter(dict(self.atoms))


@dataclass(frozen=True)
class FConst:
    value: float


@dataclass
class Effect:
    """A global side effect one thread executed (``op`` is the lifted op)."""

    tid: int
    op: object
    addr: object
    value: object


def lin(p: dict):
    """A polynomial as a value: an ``int`` when constant (callers mask it)."""
    c = affine.constant_of(p)
    return c if c is not None else Lin(frozenset(p.items()))


def negate(lit: Lit) -> Lit:
    """``not (q < 0)`` is ``-q - 1 < 0`` over the integers."""
    return Lit(frozenset(affine.add(affine.const(-1), {m: -c for m, c in lit.q}).items()),
               lit.signed)  # fmt: skip


def _width(v: SSAValue) -> int:
    return v.type.width.data if isinstance(v.type, IntegerType) else 32


def _signed(v: int, w: int) -> int:
    v &= (1 << w) - 1
    return v - (1 << w) if w > 1 and v >> (w - 1) else v


def _poly(x, w: int, signed: bool = True) -> dict:
    if isinstance(x, int):
        return affine.const(_signed(x, w) if signed else x)
    if isinstance(x, Lin):
        return x.poly
    raise NoIdiom("integer that is not a polynomial")


def as_acc(x) -> Acc:
    """A float value as a reduction (concrete words: +0.0 and -inf are the identities)."""
    if isinstance(x, Acc):
        return x
    if isinstance(x, int) and x & 0xFFFFFFFF == 0:
        return Acc("add", frozenset())
    if isinstance(x, int) and x & 0xFFFFFFFF == NEG_INF_BITS:
        return Acc("max", frozenset())
    raise NoIdiom("float that is not a reduction of elements")


def _kind(a: Acc, b: Acc, want: str | None = None) -> str | None:
    kinds = {k for k in (a.kind, b.kind, want) if k is not None}
    if len(kinds) > 1:
        raise NoIdiom("reductions of different kinds combined")
    return kinds.pop() if kinds else None


def combine(a: Acc, b: Acc, kind: str) -> Acc:
    k = _kind(a, b, kind)
    total = a.counter() + b.counter()
    return Acc(k, frozenset(total.items()))


def guard(a: Acc, lit: Lit) -> Acc:
    out: Counter = Counter()
    neg = negate(lit)
    for (ptr, idx, gs), n in a.atoms:
        if neg not in gs:  # an atom under both lit and not lit never counts
            out[(ptr, idx, gs | {lit})] += n
    return Acc(a.kind, frozenset(out.items()))


def select(c, a, b):
    """``c ? a : b`` with ``c`` concrete or a ``Lit``."""
    if isinstance(c, bool) or isinstance(c, int):
        return a if c else b
    if not isinstance(c, Lit):
        raise NoIdiom("select on a condition that is not one comparison")
    if a == b:
        return a
    if isinstance(a, Acc) or isinstance(b, Acc):
        x, y = as_acc(a), as_acc(b)
        return combine(guard(x, c), guard(y, negate(c)), _kind(x, y))
    if isinstance(a, Sel) and a.cond == c:
        a = a.a
    if isinstance(b, Sel) and b.cond == c:
        b = b.b
    return Sel(c, a, b)


def under(x, lits: frozenset):
    """``x`` where every ``Lit`` of ``lits`` holds (selects on them resolved)."""
    while isinstance(x, Sel):
        if x.cond in lits:
            x = x.a
        elif negate(x.cond) in lits:
            x = x.b
        else:
            raise NoIdiom("address depends on a condition the access does not test")
    return x


def _float_const(v: float):
    if v == 0.0 and not pymath.copysign(1.0, v) < 0:
        return Acc("add", frozenset())
    if v == float("-inf"):
        return Acc("max", frozenset())
    return FConst(v)


def _bits_to_float(x):
    if isinstance(x, int):
        return _float_const(struct.unpack("<f", struct.pack("<I", x & 0xFFFFFFFF))[0])
    return x


_CMP = {"slt": (1, 0), "ult": (1, 0), "sle": (1, -1), "ule": (1, -1),
        "sgt": (-1, 0), "ugt": (-1, 0), "sge": (-1, -1), "uge": (-1, -1)}  # fmt: skip


def compare(pred: str, a, b, w: int):
    if isinstance(a, int) and isinstance(b, int):
        if pred[0] == "s":
            a, b = _signed(a, w), _signed(b, w)
        return {"eq": a == b, "ne": a != b, "slt": a < b, "ult": a < b, "sle": a <= b,
                "ule": a <= b, "sgt": a > b, "ugt": a > b, "sge": a >= b,
                "uge": a >= b}[pred]  # fmt: skip
    signed = pred[0] == "s"
    pa, pb = _poly(a, w, signed), _poly(b, w, signed)
    diff = affine.add(pa, pb, -1)
    if pred in ("eq", "ne"):
        c = affine.constant_of(diff)
        if c is None:
            raise NoIdiom("symbolic equality test")
        return (c == 0) == (pred == "eq")
    sign, shift = _CMP[pred]
    q = affine.add({m: sign * c for m, c in diff.items()}, affine.const(shift))
    c = affine.constant_of(q)
    return c < 0 if c is not None else Lit(frozenset(q.items()), signed)


class BlockEval:
    """One block of ``fn`` evaluated for block size ``B`` (see the module docstring)."""

    def __init__(self, fn: func.FuncOp, B: int):
        self.fn, self.B = fn, B
        self.blocks = reachable(fn)
        self.index = {b: i for i, b in enumerate(self.blocks)}
        self.shared: dict[int, object] = {}
        self.shared_base: frozenset | None = None
        self.effects: list[Effect] = []
        self.steps = 0
        self._memo: dict = {}
        self._touched: dict[int, set] = {}
        self._written: dict[int, int] = {}

    def run(self) -> "BlockEval":
        pcs: list[Block | None] = [self.blocks[0]] * self.B
        envs: list[dict] = [{} for _ in range(self.B)]
        plans = {b: self._plan(b) for b in self.blocks}
        while any(pc is not None for pc in pcs):
            live = [t for t in range(self.B) if pcs[t] is not None]
            block = min((pcs[t] for t in live), key=self.index.__getitem__)
            group = [t for t in live if pcs[t] is block]
            plan, barrier = plans[block]
            if barrier and len(group) != len(live):
                raise NoIdiom("a barrier not reached by every thread together")
            self.steps += len(plan) * len(group)
            if self.steps > MAX_STEPS:
                raise NoIdiom("block evaluation too long")
            for t in group:
                pcs[t] = self._block(plan, t, envs[t])
            if barrier:
                self._touched, self._written = {}, {}
        return self

    # ------------------------------------------------------------------ threads
    @staticmethod
    def _plan(block: Block) -> tuple[list, bool]:
        """The block's ops as ``(tag, op, operands, results)`` (tags decided once)."""
        plan, barrier = [], False
        for op in block.ops:
            if isinstance(op, gpu.BarrierOp):
                barrier = True
                continue
            tag = ("br" if isinstance(op, cf.BranchOp) else
                   "cbr" if isinstance(op, cf.ConditionalBranchOp) else
                   "ret" if isinstance(op, func.ReturnOp) else
                   "mem" if isinstance(op, LoadOp | StoreOp | AtomicOp) else
                   "tid" if isinstance(op, gpu.ThreadIdOp) else "pure")  # fmt: skip
            plan.append((tag, op, tuple(op.operands), tuple(op.results)))
        return plan, barrier

    def _block(self, plan: list, t: int, env: dict) -> Block | None:
        memo = self._memo
        for tag, op, operands, results in plan:
            if tag == "pure":
                key = (op, tuple(env[o] for o in operands))
                out = memo.get(key)
                if out is None:
                    out = memo[key] = self._pure(op, key[1])
                for r, v in zip(results, out):
                    env[r] = v
            elif tag == "br":
                return self._jump(op.successor, [env[a] for a in op.arguments], env)
            elif tag == "cbr":
                c = env[op.cond]
                if not isinstance(c, bool | int):
                    raise NoIdiom("branch on a symbolic condition")
                succ, args = ((op.then_block, op.then_arguments) if c
                              else (op.else_block, op.else_arguments))  # fmt: skip
                return self._jump(succ, [env[a] for a in args], env)
            elif tag == "ret":
                return None
            elif tag == "mem":
                self._memory(op, t, env, tuple(env[o] for o in operands))
            else:
                env[results[0]] = t if op.dimension.data.value == "x" else 0
        raise NoIdiom("block without terminator")

    def _jump(self, succ: Block, args: list, env: dict) -> Block:
        for a, v in zip(succ.args, args):
            env[a] = v
        return succ

    # ------------------------------------------------------------------ memory
    def _mask(self, op, vals):
        if op.mask is None:
            return True
        m = vals[-1]
        if isinstance(m, bool | int):
            return bool(m)
        if isinstance(m, Lit):
            return m
        raise NoIdiom("access mask that is not one comparison")

    def _cell(self, addr) -> int:
        p = _poly(addr, 64)
        const = p.pop((), 0)
        base = frozenset(p.items())
        if self.shared_base is None:
            self.shared_base = base
        if base != self.shared_base:
            raise NoIdiom("shared accesses from different bases")
        return const

    def _touch(self, cell: int, t: int, write: bool) -> None:
        w = self._written.get(cell)
        if w is not None and w != t:
            raise NoIdiom("shared-memory race between barriers")
        if write:
            if self._touched.get(cell, {t}) - {t}:
                raise NoIdiom("shared-memory race between barriers")
            self._written[cell] = t
        self._touched.setdefault(cell, set()).add(t)

    def _memory(self, op, t: int, env: dict, vals) -> None:
        mask = self._mask(op, vals)
        lits = frozenset([mask]) if isinstance(mask, Lit) else frozenset()
        if mask is False:
            if isinstance(op, LoadOp):
                for r in op.res:
                    env[r] = 0
            elif isinstance(op, AtomicOp):
                env[op.res] = 0
            return
        if op.space.data not in ("global", "shared") or (
                not isinstance(op, AtomicOp) and op.width.value.data != 32):  # fmt: skip
            raise NoIdiom("memory access that is not a 32-bit global/shared word")
        addr = under(vals[0], lits)
        if op.space.data == "shared" and not isinstance(op, AtomicOp):
            cell = self._cell(addr)
            if isinstance(op, LoadOp):
                self._touch(cell, t, False)
                if cell not in self.shared:
                    raise NoIdiom("shared cell read before written")
                env[op.res[0]] = select(mask, self.shared[cell], 0)
            else:
                self._touch(cell, t, True)
                if mask is not True and cell not in self.shared:
                    raise NoIdiom("masked store to an unwritten shared cell")
                self.shared[cell] = select(mask, vals[1], self.shared.get(cell))
            return
        if op.space.data == "shared":
            raise NoIdiom("shared-memory atomic")
        if isinstance(op, LoadOp):
            split = affine.split_pointer(_poly(addr, 64))
            idx = affine.divide(split[1], 4) if split is not None else None
            if idx is None:
                raise NoIdiom("global load that is not ptr[i] of words")
            atom = (split[0], frozenset(idx.items()), lits)
            env[op.res[0]] = Acc(None, frozenset({(atom, 1)}))
            return
        if lits:
            raise NoIdiom("global side effect under a symbolic mask")
        value = vals[1]
        self.effects.append(Effect(t, op, addr, value))
        if isinstance(op, AtomicOp):
            env[op.res] = Lin(frozenset({((("old", len(self.effects)),), 1)}))

    # ------------------------------------------------------------------ pure ops
    def _pure(self, op, vals) -> tuple:
        sels = [k for k, v in enumerate(vals) if isinstance(v, Sel)]
        if sels and not isinstance(op, arith.SelectOp):
            k = sels[0]
            s = vals[k]
            a = self._pure(op, vals[:k] + (s.a,) + vals[k + 1:])
            b = self._pure(op, vals[:k] + (s.b,) + vals[k + 1:])
            return tuple(select(s.cond, x, y) for x, y in zip(a, b))
        return (self._value(op, vals),)

    def _value(self, op, vals):
        name = op.name
        if name in _LEAVES:
            return _LEAVES[name](op, self.B)
        match name:
            case "arith.constant":
                v = op.value.value.data
                if isinstance(v, float):
                    return _float_const(v)
                return v & ((1 << _width(op.result)) - 1) if _width(op.result) > 1 else bool(v)
            case "arith.index_cast":
                return vals[0]
            case "arith.select":
                return select(vals[0], vals[1], vals[2])
            case "arith.bitcast":
                return _bits_to_float(vals[0]) if not isinstance(op.result.type, IntegerType) else (
                    _float_bits(vals[0]))
            case "arith.addf":
                return combine(as_acc(vals[0]), as_acc(vals[1]), "add")
            case "arith.maxnumf":
                return combine(as_acc(vals[0]), as_acc(vals[1]), "max")
            case "arith.cmpi":
                pred = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
                return compare(pred, vals[0], vals[1], _width(op.lhs))
        if op.results and _width(op.results[0]) == 1:
            return _logic(op, vals)
        return _integer(op, vals)


def _leaf(*key) -> Lin:
    return Lin(frozenset({(key,): 1}.items()))


def _sreg(op, B: int):
    if op.register.data != "SR_CgaCtaId":  # the only uniform one we know of
        raise NoIdiom(f"special register {op.register.data}")
    return _leaf("sreg", op.register.data)


def _x(op) -> bool:
    return op.dimension.data.value == "x"


# Launch values and bank-0 words: concrete for the block (1-D: y/z indices 0, sizes 1)
# or symbolic leaves.
_LEAVES = {
    "gpu.block_dim": lambda op, B: B if _x(op) else 1,
    "gpu.grid_dim": lambda op, B: _leaf("nctaid", "x") if _x(op) else 1,
    "gpu.block_id": lambda op, B: _leaf("ctaid", "x") if _x(op) else 0,
    "sass.param": lambda op, B: _leaf("param", op.offset.value.data),
    "sass.const_bank": lambda op, B: _leaf("cbank", op.offset.value.data),
    "sass.special_reg": _sreg,
}  # fmt: skip


def _float_bits(x):
    if isinstance(x, FConst):
        return struct.unpack("<I", struct.pack("<f", x.value))[0]
    return x


def _logic(op, vals):
    a, b = (vals + (None,))[:2]
    if op.name == "arith.xori":
        if isinstance(a, bool | int) and isinstance(b, bool | int):
            return bool(a) != bool(b)
        x, c = (a, b) if isinstance(b, bool | int) else (b, a)
        if isinstance(x, Lit) and isinstance(c, bool | int):
            return negate(x) if c else x
    if op.name in ("arith.andi", "arith.ori"):
        is_and = op.name == "arith.andi"
        if isinstance(a, bool | int) and isinstance(b, bool | int):
            return bool(a) and bool(b) if is_and else bool(a) or bool(b)
        x, c = (a, b) if isinstance(b, bool | int) else (b, a)
        if isinstance(c, bool | int):
            return (x if c else False) if is_and else (True if c else x)
        if a == b:
            return a
    raise NoIdiom(f"{op.name} of symbolic predicates")


def _integer(op, vals):
    w = _width(op.results[0]) if op.results else 32
    mask = (1 << w) - 1
    if all(isinstance(v, int) for v in vals):
        return _concrete(op, vals, w) & mask
    name = op.name
    if name in ("arith.addi", "arith.subi", "arith.muli"):
        a, b = (_poly(v, _width(o)) for v, o in zip(vals, op.operands))
        if name == "arith.muli":
            r = affine.mul(a, b)
        else:
            r = affine.add(a, b, -1 if name == "arith.subi" else 1)
        out = lin(r)
        return out & mask if isinstance(out, int) else out
    if name in ("arith.extsi", "arith.extui"):
        return vals[0]
    match name:
        case "arith.trunci":
            x = vals[0]
            if isinstance(x, Lin):
                return x if all(affine._narrow(k) for m, _ in x.p for k in m) else Half(x.p, "lo")
            if isinstance(x, Half) and x.part in ("lo", "hi"):
                return x
        case "arith.shli" if isinstance(vals[1], int):
            x, k = vals[0], vals[1]
            if isinstance(x, Lin) and k < w:
                return lin(affine.mul(x.poly, affine.const(1 << k)))
            if isinstance(x, Half) and x.part == "hi" and k == 32:
                return Half(x.p, "hi<<32")
        case "arith.shrui" if isinstance(vals[1], int):
            if isinstance(vals[0], Lin) and vals[1] == 32 and w == 64:
                return Half(vals[0].p, "hi")
        case "arith.ori":
            a, b = vals
            if a == 0 or b == 0:
                return b if a == 0 else a
            if isinstance(a, Half) and isinstance(b, Half) and a.p == b.p and {a.part, b.part} == {
                    "lo", "hi<<32"}:  # fmt: skip
                return Lin(a.p)
            if isinstance(a, Lin) and isinstance(b, Lin) and len(a.p) == len(b.p) == 1:
                ((mlo, clo),), ((mhi, chi),) = a.p, b.p
                if (clo, chi, len(mlo), len(mhi)) == (1, 1 << 32, 1, 1) and (
                        mlo[0][0] == mhi[0][0] in _PAIRS and mhi[0][1] == mlo[0][1] + 4):
                    return Lin(frozenset({((_PAIRS[mlo[0][0]], mlo[0][1]),): 1}.items()))
    raise NoIdiom(f"{op.name} on symbolic integers")


_CONCRETE = {
    "arith.addi": lambda v, w, w0: v[0] + v[1],
    "arith.subi": lambda v, w, w0: v[0] - v[1],
    "arith.muli": lambda v, w, w0: v[0] * v[1],
    "arith.andi": lambda v, w, w0: v[0] & v[1],
    "arith.ori": lambda v, w, w0: v[0] | v[1],
    "arith.xori": lambda v, w, w0: v[0] ^ v[1],
    "arith.shli": lambda v, w, w0: v[0] << v[1] if v[1] < w else 0,
    "arith.shrui": lambda v, w, w0: v[0] >> v[1] if v[1] < w else 0,
    "arith.shrsi": lambda v, w, w0: _signed(v[0], w) >> min(v[1], w - 1),
    "arith.extui": lambda v, w, w0: v[0],
    "arith.trunci": lambda v, w, w0: v[0],
    "arith.extsi": lambda v, w, w0: _signed(v[0], w0),
    "arith.minui": lambda v, w, w0: min(v),
    "arith.maxui": lambda v, w, w0: max(v),
    "arith.minsi": lambda v, w, w0: min(_signed(x, w0) for x in v),
    "arith.maxsi": lambda v, w, w0: max(_signed(x, w0) for x in v),
}  # fmt: skip


def _concrete(op, vals, w: int) -> int:
    rule = _CONCRETE.get(op.name)
    if rule is None:
        raise NoIdiom(f"{op.name} in the block")
    return rule(vals, w, _width(op.operands[0]))
