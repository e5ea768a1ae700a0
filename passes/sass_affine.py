"""Integer values of lifted SASS as polynomials over leaf values (the address arithmetic).

``poly(v)`` reads an integer SSA value as ``{monomial: coefficient}``; a monomial is a
sorted tuple of leaf keys: ``("tid", "x")``, ``("ctaid", "x")``, ``("ntid", "x")``,
``("nctaid", "x")``, ``("param", off)`` (a 32-bit parameter word), ``("ptr", off)`` (the
64-bit pointer parameter at ``off``), or an SSA value the algebra does not look into
(a block argument, a load...). ``arith`` add/sub/mul/shl-by-constant, sign extension and
the lifter's 64-bit sums (``zext`` words added in 64 bits, then truncated) are followed.

Assumption (stated, as in the CUDA source where signed overflow is undefined): index
arithmetic does not wrap, so 32-bit sums equal their mathematical values and ``sext``
/``trunc`` are the identity on them. Zero extension is the identity only for values
known to be non-negative (launch indices and dimensions with non-negative coefficients);
the halves of a pointer are never looked into, except to rebuild the same pointer.
Block arguments are looked through when every edge passes one value (``resolve``: edges
that pass the argument back to itself, as loop headers do with unchanged registers, add
nothing); ``truth``/``compare_of`` read the lifter's predicates (``xor true``/``and true``).
"""

from __future__ import annotations

from xdsl.dialects import arith, cf, gpu
from xdsl.dialects.builtin import IntegerType
from xdsl.ir import BlockArgument, OpResult, SSAValue

from switcheroo.dialects.sass.lifted import ParamOp

Poly = dict[tuple, int]

_GPU = {gpu.ThreadIdOp: "tid", gpu.BlockIdOp: "ctaid", gpu.BlockDimOp: "ntid",
        gpu.GridDimOp: "nctaid"}  # fmt: skip
NONNEG = ("tid", "ctaid", "ntid", "nctaid")


def const(v: int) -> Poly:
    return {(): v} if v else {}


def leaf(key) -> Poly:
    return {(key,): 1}


def add(a: Poly, b: Poly, sign: int = 1) -> Poly:
    out = dict(a)
    for m, c in b.items():
        out[m] = out.get(m, 0) + sign * c
        if not out[m]:
            del out[m]
    return out


def mul(a: Poly, b: Poly) -> Poly:
    out: Poly = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            m = tuple(sorted(ma + mb, key=_order))
            out[m] = out.get(m, 0) + ca * cb
            if not out[m]:
                del out[m]
    return out


def _order(key) -> tuple:
    return (0, key[0], str(key[1])) if isinstance(key, tuple) else (1, "", str(id(key)))


def constant_of(p: Poly | None) -> int | None:
    if p is None or any(m for m in p):
        return None
    return p.get((), 0)


def nonneg(p: Poly) -> bool:
    return all(c >= 0 and all(isinstance(k, tuple) and k[0] in NONNEG for k in m)
               for m, c in p.items())  # fmt: skip


def _signed(v: int, width: int) -> int:
    v &= (1 << width) - 1
    return v - (1 << width) if v >> (width - 1) else v


def resolve(v: SSAValue, seen: set | None = None) -> SSAValue:
    """``v`` seen through block arguments that receive one value (itself resolved) on
    every edge: maximal SSA passes unchanged registers through every block."""
    seen = set() if seen is None else seen
    if not isinstance(v, BlockArgument) or v in seen:
        return v
    seen.add(v)
    ins = {resolve(x, seen) for x in incoming(v) or [] if x is not v}
    ins.discard(v)
    return ins.pop() if len(ins) == 1 else v


def _pointer_pair(op) -> int | None:
    """``zext(param off) | zext(param off+4) << 32``: the pointer parameter ``off``."""
    if not isinstance(op, arith.OrIOp):
        return None
    lo, hi = op.lhs.owner, op.rhs.owner
    if not (isinstance(lo, arith.ExtUIOp) and isinstance(hi, arith.ShLIOp)):
        return None
    h = hi.lhs.owner
    if not isinstance(h, arith.ExtUIOp) or constant_of(poly(hi.rhs)) != 32:
        return None
    a, b = resolve(lo.input).owner, resolve(h.input).owner
    if isinstance(a, ParamOp) and isinstance(b, ParamOp):
        if b.offset.value.data == a.offset.value.data + 4:
            return a.offset.value.data
    return None


def _rejoined(op) -> SSAValue | None:
    """``zext(trunc x) | zext(trunc(x >> 32)) << 32`` (a pair split and read back): x."""
    if not isinstance(op, arith.OrIOp):
        return None
    lo, hi = op.lhs.owner, op.rhs.owner
    if not (isinstance(lo, arith.ExtUIOp) and isinstance(hi, arith.ShLIOp)):
        return None
    tl, h = resolve(lo.input).owner, hi.lhs.owner
    if not (isinstance(tl, arith.TruncIOp) and isinstance(h, arith.ExtUIOp)):
        return None
    th = resolve(h.input).owner
    if not isinstance(th, arith.TruncIOp) or not isinstance(th.input.owner, arith.ShRUIOp):
        return None
    sh = th.input.owner
    if sh.lhs is tl.input and constant_of(poly(sh.rhs)) == 32 == constant_of(poly(hi.rhs)):
        return tl.input
    return None


def poly(v: SSAValue, cache: dict | None = None, wrapped: bool = False) -> Poly:
    """The polynomial of integer value ``v`` (a leaf when nothing better is known).
    ``wrapped``: the value is truncated back to 32 bits later, so zero extensions of
    32-bit values are the identity there (the sum is the same modulo 2**32)."""
    cache = {} if cache is None else cache
    if (v, wrapped) in cache:
        return cache[(v, wrapped)]
    cache[(v, wrapped)] = leaf(v)  # a cycle through block arguments stays a leaf
    cache[(v, wrapped)] = out = _poly(v, cache, wrapped)
    return out


def incoming(arg: BlockArgument) -> list[SSAValue] | None:
    """The values every branch to ``arg``'s block passes for it (None: not all known)."""
    out = []
    for use in arg.block.uses:
        term = use.operation
        if isinstance(term, cf.BranchOp):
            out.append(term.arguments[arg.index])
        elif isinstance(term, cf.ConditionalBranchOp):
            args = term.then_arguments if use.index == 0 else term.else_arguments
            out.append(args[arg.index])
        else:
            return None
    return out or None


def _poly(v: SSAValue, cache: dict, wrapped: bool) -> Poly:
    if isinstance(v, BlockArgument) and isinstance(v.type, IntegerType):
        # maximal SSA passes a register to a block with one incoming value: look through
        # (a loop header passes an invariant register back to itself: that edge adds nothing)
        ins = [x for x in incoming(v) or [] if x is not v]
        polys = [poly(x, cache, wrapped) for x in ins]
        if polys and all(p == polys[0] for p in polys) and leaf(v) != polys[0]:
            return polys[0]
        return leaf(v)
    if not isinstance(v, OpResult) or not isinstance(v.type, IntegerType):
        return leaf(v)
    op = v.op
    width = v.type.width.data
    match op:
        case arith.ConstantOp():
            return const(_signed(op.value.value.data, width))
        case ParamOp():
            return leaf(("param", op.offset.value.data))
        case arith.AddiOp():
            return add(poly(op.lhs, cache, wrapped), poly(op.rhs, cache, wrapped))
        case arith.SubiOp():
            return add(poly(op.lhs, cache, wrapped), poly(op.rhs, cache, wrapped), -1)
        case arith.MuliOp():
            return mul(poly(op.lhs, cache, wrapped), poly(op.rhs, cache, wrapped))
        case arith.ShLIOp():
            k = constant_of(poly(op.rhs, cache, wrapped))
            if k is not None and 0 <= k < width:
                return mul(poly(op.lhs, cache, wrapped), const(1 << k))
        case arith.ExtSIOp():
            return poly(op.input, cache, wrapped)
        case arith.IndexCastOp() if type(op.input.owner) in _GPU:
            g = op.input.owner
            return leaf((_GPU[type(g)], g.dimension.data.value))
        case arith.ExtUIOp():
            p = poly(op.input, cache, wrapped)
            c = constant_of(p)
            if c is not None and not wrapped:
                return const(c & ((1 << op.input.type.width.data) - 1))
            if wrapped or nonneg(p):
                return p
        case arith.TruncIOp():
            p = poly(op.input, cache, width <= 32)
            if all(_narrow(k) for m in p for k in m):
                c = constant_of(p)
                return const(_signed(c, width)) if c is not None else p
        case arith.OrIOp():
            off = _pointer_pair(op)
            if off is not None:
                return leaf(("ptr", off))
            x = _rejoined(op)
            if x is not None:
                return poly(x, cache, wrapped)
    return leaf(v)


def _narrow(key) -> bool:
    """A leaf that holds a 32-bit value (so truncating a no-wrap sum of them is exact)."""
    if isinstance(key, tuple):
        return key[0] != "ptr"
    return isinstance(key.type, IntegerType) and key.type.width.data <= 32


def leaves(p: Poly) -> set:
    return {k for m in p for k in m}


def split_pointer(p: Poly) -> tuple[int, Poly] | None:
    """``ptr(off) + rest`` -> ``(off, rest)`` when exactly one pointer appears, linearly."""
    ptrs = [m for m in p if any(isinstance(k, tuple) and k[0] == "ptr" for k in m)]
    if len(ptrs) != 1 or len(ptrs[0]) != 1 or p[ptrs[0]] != 1:
        return None
    rest = dict(p)
    del rest[ptrs[0]]
    return ptrs[0][0][1], rest


def divide(p: Poly, k: int) -> Poly | None:
    """``p / k`` when every coefficient is a multiple of ``k``."""
    if any(c % k for c in p.values()):
        return None
    return {m: c // k for m, c in p.items()}


def truth(v: SSAValue) -> bool | None:
    """A constant i1 (through xor/and/or of constants), else None."""
    op = v.owner
    if isinstance(op, arith.ConstantOp) and isinstance(v.type, IntegerType):
        return bool(op.value.value.data & 1)
    if isinstance(op, arith.XOrIOp | arith.AndIOp | arith.OrIOp):
        a, b = truth(op.lhs), truth(op.rhs)
        if a is not None and b is not None:
            return {arith.XOrIOp: a != b, arith.AndIOp: a and b, arith.OrIOp: a or b}[type(op)]
    return None


def compare_of(v: SSAValue) -> tuple[arith.CmpiOp, bool] | None:
    """``v`` as ``(compare, holds)``: ``v`` is the compare (``holds``) or its negation,
    through the lifter's ``and true`` / ``xor true``; None for anything else."""
    op = v.owner
    if isinstance(op, arith.CmpiOp):
        return op, True
    if isinstance(op, arith.XOrIOp) and truth(op.rhs) is True:
        found = compare_of(op.lhs)
        return None if found is None else (found[0], not found[1])
    if isinstance(op, arith.AndIOp) and truth(op.rhs) is True:
        return compare_of(op.lhs)
    if isinstance(op, arith.AndIOp) and truth(op.lhs) is True:
        return compare_of(op.rhs)
    return None
