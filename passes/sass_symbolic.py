"""Path-by-path symbolic execution of one lifted SASS thread (helper of ``sass_loop_nest``).

Every value is symbolic over the launch indices and the parameters: integers are
polynomials (``sass_affine``), a 64-bit pointer kept in two registers is ``Half("lo"|
"hi", P)`` of its polynomial ``P`` (a pointer parameter's words are the halves of
``ptr@off``; two i32 parameters read as one pair are a ``words`` leaf whose halves are
the parameters again; the add-with-carry of the halves is followed: the
sum of the low half with ``c`` carries into the high half exactly when ``P + c`` does,
under the no-wrap assumption of ``sass_affine``), a float accumulator is ``Chain(k)``: the
first ``k`` terms of the idiom's sum, accumulated in order by ``fma`` (the idiom's
``term`` callback checks that each ``fma`` adds the ``k``-th term). Anything else is
``Opaque`` and fails any decision that depends on it.

Conditional branches on undecided comparisons fork the path, each side adding the
comparison (as a linear fact ``e >= 0`` or ``e == 0`` over the integers) to its path
condition, so the paths together cover every input. A single-block loop is summarised
instead of unrolled: a first run with fresh symbols for its arguments finds how each
changes per iteration (``arg + step``, a pointer pair ``P + step``, the accumulator
``k + d``, unchanged); a second run binds them to their values at iteration ``T - 1`` of
a fresh trip count ``T >= 1`` (so every check holds for every iteration), and the exit
edge is taken there: the exit test at ``T - 1`` is a fact; when it is an inequality,
the path splits into ``T == 1`` and ``T >= 2`` with the test at ``T - 2`` staying in
the loop. Facts are true on every execution that reaches the end of the path; the loops
are assumed to terminate (as the kernel does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from xdsl.dialects import arith, cf, func, gpu, math
from xdsl.dialects.builtin import IntegerType
from xdsl.ir import Block, BlockArgument, SSAValue

from switcheroo.dialects.sass.lifted import (
    AtomicOp,
    ConstBankOp,
    LoadOp,
    ParamOp,
    ShuffleOp,
    StoreOp,
    UnmappedOp,
)
from switcheroo.passes import sass_affine as affine
from switcheroo.passes.sass_facts import Facts, forks, freeze, thaw
from switcheroo.passes.sass_recover_loops import find_loops, reachable
from switcheroo.passes.sass_warp_reduce import NoIdiom

Poly = dict
_FRESH = count()


@dataclass(frozen=True)
class Half:
    part: str  # "lo" | "hi"
    p: tuple  # frozen polynomial


@dataclass(frozen=True)
class Carry:
    """The carry out of ``lo(P) + c`` (0 or 1)."""

    p: tuple
    c: tuple


@dataclass(frozen=True)
class Chain:
    k: tuple  # frozen polynomial: the number of terms accumulated


@dataclass(frozen=True)
class Load:
    addr: tuple  # frozen polynomial of the byte address


class Opaque:
    """A value the proof does not follow."""


@dataclass
class Sum64:
    """A 64-bit sum of a polynomial and halves/carries (before truncation)."""

    poly: Poly
    parts: list = field(default_factory=list)
    wrapped: bool = False  # zero-extended non-constant words: only exact mod 2**32


def fresh(tag: str) -> Poly:
    return affine.leaf(("sym", f"{tag}{next(_FRESH)}"))


def substitute(p: Poly, key, value: Poly) -> Poly:
    """``p`` with the leaf ``key`` replaced by ``value``."""
    out: Poly = {}
    for m, c in p.items():
        term = affine.const(c)
        for k in m:
            term = affine.mul(term, value if k == key else affine.leaf(k))
        out = affine.add(out, term)
    return out


# ---------------------------------------------------------------- evaluation of a block


class Evaluator:
    """Symbolic values of a path's SSA values (``env``: block arguments bound so far)."""

    def __init__(self, idiom, env: dict, strict: bool):
        self.idiom, self.env, self.strict = idiom, env, strict
        self.memo: dict = {}

    def __call__(self, v: SSAValue):
        if isinstance(v, BlockArgument):
            if v not in self.env:
                raise NoIdiom("a block argument not bound on the path")
            return self.env[v]
        if v not in self.memo:
            self.memo[v] = self._op(v)
        return self.memo[v]

    def poly(self, v: SSAValue) -> Poly:
        x = self(v)
        if isinstance(x, Sum64) and not x.parts and not x.wrapped:
            return x.poly
        if isinstance(x, dict):
            return x
        raise NoIdiom("an integer the proof does not follow")

    def _op(self, v: SSAValue):
        op = v.owner
        w = v.type.width.data if isinstance(v.type, IntegerType) else 32
        match op:
            case arith.ConstantOp() if isinstance(v.type, IntegerType):
                c = op.value.value.data
                return bool(c & 1) if w == 1 else affine.const(affine._signed(c, w))
            case arith.ConstantOp():
                c = op.value.value.data
                if c == 0.0 and str(c)[0] != "-":
                    return {}  # +0.0: the all-zero word
                return Opaque()
            case ParamOp():
                return _param_word(op)
            case ConstBankOp():
                return Opaque()
            case arith.IndexCastOp() if isinstance(op.input.owner, (gpu.ThreadIdOp,
                                                                    gpu.BlockIdOp,
                                                                    gpu.BlockDimOp,
                                                                    gpu.GridDimOp)):
                return affine.poly(v)
            case arith.BitcastOp():
                return self(op.input)
            case arith.CmpiOp():
                a, b = self(op.lhs), self(op.rhs)
                if not (isinstance(a, dict) and isinstance(b, dict)):
                    return a if isinstance(a, Opaque) else b if isinstance(b, Opaque) else Opaque()
                pred = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
                return ("cmp", pred, freeze(a), freeze(b))
            case arith.AndIOp() | arith.OrIOp() | arith.XOrIOp() if w == 1:
                a, b = self(op.lhs), self(op.rhs)
                if isinstance(a, Opaque) or isinstance(b, Opaque):
                    return a if isinstance(a, Opaque) else b
                name = {arith.AndIOp: "and", arith.OrIOp: "or", arith.XOrIOp: "xor"}[type(op)]
                if isinstance(a, bool) and isinstance(b, bool):
                    return {"and": a and b, "or": a or b, "xor": a != b}[name]
                for x, y in ((a, b), (b, a)):
                    if isinstance(y, bool):
                        if name == "and":
                            return x if y else False
                        if name == "or":
                            return True if y else x
                        return ("not", x) if y else x
                return (name, a, b)
            case arith.SelectOp():
                c = self(op.cond)
                if not isinstance(c, bool):
                    raise NoIdiom("select on an undecided condition")
                return self(op.lhs if c else op.rhs)
            case arith.AddiOp() | arith.SubiOp():
                return self._sum(op, w)
            case arith.MuliOp():
                a, b = self(op.lhs), self(op.rhs)
                a, b = _plain(a), _plain(b)
                return Opaque() if a is None or b is None else affine.mul(a, b)
            case arith.ShLIOp():
                a, k = _plain(self(op.lhs)), _plain(self(op.rhs))
                k = affine.constant_of(k) if k is not None else None
                if a is None or k is None or not 0 <= k < w:
                    return Opaque()
                return affine.mul(a, affine.const(1 << k))
            case arith.ExtSIOp():
                x = self(op.input)
                return x if isinstance(x, dict | bool) else Opaque()
            case arith.ExtUIOp():
                return self._zext(op)
            case arith.TruncIOp():
                return self._trunc(op, w)
            case arith.ShRUIOp():
                x, k = self(op.lhs), _plain(self(op.rhs))
                if k is None or affine.constant_of(k) != 32:
                    return Opaque()
                if isinstance(x, Sum64) and len(x.parts) == 1 and isinstance(x.parts[0], Half):
                    if x.parts[0].part == "lo" and not x.wrapped:
                        return Carry(x.parts[0].p, freeze(x.poly))
                if isinstance(x, dict) and (_has_ptr(x) or _words_of(x) is not None):
                    return ("hi-of", freeze(x))
                return Opaque()
            case arith.OrIOp() | arith.AndIOp() | arith.XOrIOp():
                if isinstance(op, arith.OrIOp):
                    pair = self._pair(op)
                    if not isinstance(pair, Opaque):
                        return pair
                return self._bits(op, w)
            case math.FmaOp():
                return self._fma(self(op.a), self(op.b), self(op.c))
            case arith.AddfOp() if isinstance(op.lhs.owner, arith.MulfOp):
                m = op.lhs.owner
                return self._fma(self(m.lhs), self(m.rhs), self(op.rhs))
            case LoadOp():
                if op.mask is not None or op.width.value.data != 32 or op.space.data != "global":
                    return Opaque()
                a = self(op.addr)
                return Load(freeze(a)) if isinstance(a, dict) and _has_ptr(a) else Opaque()
        return Opaque()

    def _bits(self, op, w: int):
        """and/or/xor of words: constants fold; ``x & (2**j - 1)`` is a leaf ``x mod 2**j``."""
        a, b = _plain(self(op.lhs)), _plain(self(op.rhs))
        if a is None or b is None:
            return Opaque()
        ca, cb = affine.constant_of(a), affine.constant_of(b)
        mask = (1 << w) - 1
        if ca is not None and cb is not None:
            f = {arith.AndIOp: ca & cb, arith.OrIOp: ca | cb, arith.XOrIOp: ca ^ cb}[type(op)]
            return affine.const(affine._signed(f & mask, w))
        if cb is None:
            a, b, ca, cb = b, a, cb, ca
        if cb is None:
            return Opaque()
        if isinstance(op, arith.AndIOp):
            if cb & mask == 0:
                return {}
            if cb & mask == mask:
                return a
            if cb > 0 and not cb & (cb + 1):
                return affine.leaf(("mask", freeze(a), cb))
        elif cb & mask == 0:
            return a  # x | 0, x ^ 0
        return Opaque()

    def _fma(self, x, y, c):
        if not (isinstance(x, Load) and isinstance(y, Load)):
            raise NoIdiom("accumulated product of values that are not loads")
        if isinstance(c, dict) and not c:
            k: Poly = {}
        elif isinstance(c, Chain):
            k = thaw(c.k)
        elif isinstance(c, dict) and not self.strict:
            k = c  # first run over a loop: the accumulator is a fresh symbol
        else:
            raise NoIdiom("fma onto a value that is not the accumulator")
        if self.strict:
            self.idiom.term(k, thaw(x.addr), thaw(y.addr))
        return Chain(freeze(affine.add(k, affine.const(1))))

    def _sum(self, op, w: int):
        a, b = self(op.lhs), self(op.rhs)
        sign = -1 if isinstance(op, arith.SubiOp) else 1
        if any(isinstance(x, Opaque | bool | tuple | Chain | Load) for x in (a, b)):
            return Opaque()
        sa, sb = _as_sum(a), _as_sum(b)
        if sign < 0 and sb.parts:
            return Opaque()
        s = Sum64(affine.add(sa.poly, sb.poly, sign), sa.parts + sb.parts,
                  sa.wrapped or sb.wrapped)  # fmt: skip
        return s.poly if not s.parts and not s.wrapped else s

    def _zext(self, op):
        x = self(op.input)
        if isinstance(x, bool):
            return affine.const(int(x))
        if isinstance(x, Half | Carry):
            return Sum64({}, [x])
        if isinstance(x, dict):
            c = affine.constant_of(x)
            if c is not None:
                return affine.const(c & ((1 << op.input.type.width.data) - 1))
            if affine.nonneg(x):
                return x
            return Sum64(x, [], True)
        return Opaque()

    def _trunc(self, op, w: int):
        x = self(op.input)
        if isinstance(x, tuple) and x and x[0] == "hi-of":
            off = _words_of(thaw(x[1]))
            return Half("hi", x[1]) if off is None else affine.leaf(("param", off + 4))
        if isinstance(x, dict) and _words_of(x) is not None:
            return affine.leaf(("param", _words_of(x)))
        if isinstance(x, Carry) and w == 1:
            return x
        if isinstance(x, dict) and _has_ptr(x):
            return Half("lo", freeze(x))
        if isinstance(x, dict):
            return _wrap(x, w)
        if isinstance(x, Sum64) and w == 32:
            halves = [p for p in x.parts if isinstance(p, Half)]
            carries = [p for p in x.parts if isinstance(p, Carry)]
            if not x.parts:
                return _wrap(x.poly, 32)
            if len(halves) == 1 and halves[0].part == "lo" and not carries and not x.wrapped:
                return Half("lo", freeze(affine.add(thaw(halves[0].p), x.poly)))
            if len(halves) == 1 and halves[0].part == "hi" and not x.poly and not x.wrapped:
                if not carries:
                    return halves[0]
                if len(carries) == 1 and carries[0].p == halves[0].p:
                    p = affine.add(thaw(halves[0].p), thaw(carries[0].c))
                    return Half("hi", freeze(p))
        return Opaque()

    def _pair(self, op):
        """``zext(lo) | zext(hi) << 32``: a pointer rebuilt from its halves."""
        lo, hi = op.lhs.owner, op.rhs.owner
        if isinstance(lo, arith.ExtUIOp) and isinstance(hi, arith.ShLIOp) and isinstance(
                hi.lhs.owner, arith.ExtUIOp):  # fmt: skip
            a, b = self(lo.input), self(hi.lhs.owner.input)
            if isinstance(a, Half) and isinstance(b, Half) and a.p == b.p and (
                    a.part, b.part) == ("lo", "hi"):  # fmt: skip
                return thaw(a.p)
            ka = affine.constant_of(a) if isinstance(a, dict) else None
            if isinstance(a, dict) and isinstance(b, dict) and ka is None:
                (ma,), (mb,) = (list(a) + [None])[:1], (list(b) + [None])[:1]
                if (len(a) == len(b) == 1 and ma and mb and len(ma) == len(mb) == 1
                        and ma[0][0] == mb[0][0] == "param" and mb[0][1] == ma[0][1] + 4):
                    return affine.leaf(("words", ma[0][1]))  # two i32 parameters
        return Opaque()


def _param_word(op: ParamOp):
    """A word of a pointer parameter is a half of that pointer (so a pointer read into
    uniform registers and advanced with carries stays a pointer); other words are leaves."""
    off = op.offset.value.data
    fn = op.parent_op()
    while fn is not None and not isinstance(fn, func.FuncOp):
        fn = fn.parent_op()
    params = fn.attributes.get("sass.params") if fn is not None else None
    kinds = {int(p.data.split("@")[1], 16): p.data.split("@")[0] for p in params.data} if (
        params is not None) else {}  # fmt: skip
    if kinds.get(off) == "ptr":
        return Half("lo", freeze(affine.leaf(("ptr", off))))
    if kinds.get(off - 4) == "ptr":
        return Half("hi", freeze(affine.leaf(("ptr", off - 4))))
    return affine.leaf(("param", off))


def _wrap(p: Poly, w: int) -> Poly:
    """Truncation to ``w`` bits: the constant term modulo 2**w (no wrap otherwise)."""
    out = dict(p)
    c = affine._signed(out.pop((), 0), w)
    return affine.add(out, affine.const(c))


def _plain(x) -> Poly | None:
    return x if isinstance(x, dict) else None


def _as_sum(x) -> Sum64:
    if isinstance(x, Sum64):
        return x
    if isinstance(x, dict):
        return Sum64(x)
    if isinstance(x, Half | Carry):
        return Sum64({}, [x])
    raise NoIdiom("sum of values the proof does not follow")


def _words_of(p: Poly) -> int | None:
    """The offset of ``p`` when it is exactly two i32 parameter words read as one pair."""
    if len(p) == 1 and list(p.values()) == [1]:
        (m,) = p
        if len(m) == 1 and isinstance(m[0], tuple) and m[0][0] == "words":
            return m[0][1]
    return None


def _has_ptr(p: Poly) -> bool:
    return any(isinstance(k, tuple) and k[0] == "ptr" for m in p for k in m)


# ---------------------------------------------------------------- paths


@dataclass
class PathEnd:
    """One path from the entry to the return: its facts and stores ``(addr, value)``."""

    facts: Facts
    stores: list


_FORBIDDEN = (AtomicOp, ShuffleOp, UnmappedOp)


def explore(fn: func.FuncOp, idiom, limit: int = 400) -> list[PathEnd]:
    """Every path of ``fn`` (loops summarised), or NoIdiom."""
    if fn.attributes["sass.unmapped"].value.data:
        raise NoIdiom("unmapped instructions")
    blocks = reachable(fn)
    loops = {}
    for lp in find_loops(fn):
        if lp.header != lp.latch:
            raise NoIdiom("a loop of several blocks")
        loops[blocks[lp.header]] = lp
    for b in blocks:
        for op in b.ops:
            if isinstance(op, _FORBIDDEN) or op.name.startswith("sass.bar"):
                raise NoIdiom(f"{op.name} in the kernel")
            if isinstance(op, StoreOp) and b in loops:
                raise NoIdiom("a store inside a loop")
    ends: list[PathEnd] = []
    work = [(blocks[0], [], {}, Facts(), [])]
    while work:
        if len(ends) + len(work) > limit:
            raise NoIdiom("too many paths")
        block, vals, env, facts, stores = work.pop()
        env = dict(env)
        for arg, v in zip(block.args, vals):
            env[arg] = v
        if isinstance(block.first_op, func.ReturnOp):
            ends.append(PathEnd(facts, stores))
            continue
        if block in loops:
            for succ, out, f2 in _summarise(block, env, facts, idiom):
                work.append((succ, out, env, f2, stores))
            continue
        ev = Evaluator(idiom, env, True)
        new = list(stores)
        for op in block.ops:
            if isinstance(op, StoreOp):
                if op.mask is not None or op.width.value.data != 32 or op.space.data != "global":
                    raise NoIdiom("masked or non-word store")
                new.append((ev.poly(op.addr), ev(op.values[0])))
        term = block.last_op
        if isinstance(term, cf.BranchOp):
            work.append((term.successor, [ev(a) for a in term.arguments], env, facts, new))
        elif isinstance(term, cf.ConditionalBranchOp):
            for truth, f2 in forks(ev(term.cond), facts):
                succ = term.then_block if truth else term.else_block
                args = term.then_arguments if truth else term.else_arguments
                work.append((succ, [ev(a) for a in args], env, f2, new))
        else:
            raise NoIdiom(f"{term.name} ends a block")
    return ends


def _summarise(block: Block, env: dict, facts: Facts, idiom):
    """The exits of the single-block loop ``block`` entered with ``env``: a list of
    ``(successor, its argument values, facts)``."""
    term = block.last_op
    if not isinstance(term, cf.ConditionalBranchOp) or block not in (term.then_block,
                                                                     term.else_block):
        raise NoIdiom("loop latch is not a conditional branch to itself")
    stay = term.then_block is block
    back = term.then_arguments if stay else term.else_arguments
    exit_block = term.else_block if stay else term.then_block
    exit_args = term.else_arguments if stay else term.then_arguments
    entry = [env[a] for a in block.args]
    # first run: fresh symbols; how does each argument change per iteration?
    probe, keys = dict(env), {}
    for a, v in zip(block.args, entry):
        if back[a.index] is a:
            continue
        if isinstance(v, Half):
            continue  # below: the two halves of one pointer share one symbol
        if isinstance(v, dict | Chain):
            key = fresh("x")
            keys[a] = key
            probe[a] = key
        else:
            probe[a] = Opaque()
    # pointer halves of one entry pair share one symbol
    pairs: dict = {}
    for a, v in zip(block.args, entry):
        if isinstance(v, Half) and back[a.index] is not a:
            pairs.setdefault(v.p, affine.leaf(("ptr", f"p{next(_FRESH)}")))
            probe[a] = Half(v.part, freeze(pairs[v.p]))
    ev = Evaluator(idiom, probe, False)
    kind: dict = {}
    for a, v in zip(block.args, entry):
        if back[a.index] is a:
            kind[a] = ("same",)
            continue
        nxt = ev(back[a.index])
        if isinstance(v, Half):
            if not isinstance(nxt, Half) or nxt.part != v.part:
                kind[a] = ("opaque",)
                continue
            step = affine.add(thaw(nxt.p), pairs[v.p], -1)
            kind[a] = ("pair", step) if _invariant(step) else ("opaque",)
        elif isinstance(nxt, Chain) and a in keys:
            d = affine.constant_of(affine.add(thaw(nxt.k), keys[a], -1))
            if d is None or d < 1:
                raise NoIdiom("accumulator does not advance by a constant")
            kind[a] = ("acc", d)
        elif isinstance(nxt, dict) and a in keys:
            step = affine.add(nxt, keys[a], -1)
            kind[a] = ("iv", step) if _invariant(step) else ("opaque",)
        else:
            kind[a] = ("opaque",)

    def bind(j: Poly) -> dict:
        out = dict(env)
        for a, v in zip(block.args, entry):
            k = kind[a]
            if k[0] == "same":
                out[a] = v
            elif k[0] == "pair":
                out[a] = Half(v.part, freeze(affine.add(thaw(v.p), affine.mul(k[1], j))))
            elif k[0] == "iv":
                out[a] = affine.add(v, affine.mul(k[1], j))
            elif k[0] == "acc":
                k0 = thaw(v.k) if isinstance(v, Chain) else _zero(v)
                out[a] = Chain(freeze(affine.add(k0, affine.mul(affine.const(k[1]), j))))
            else:
                out[a] = Opaque()
        return out

    trips = fresh("T")
    last = Evaluator(idiom, bind(affine.add(trips, affine.const(-1))), True)
    cond = last(term.cond)
    want_exit = not stay  # the branch's value that leaves the loop
    outs = []
    for truth, f2 in forks(cond, facts):
        if truth != want_exit:
            continue
        exits = [last(a) for a in exit_args]
        one = f2.copy()
        one.eq.append(affine.add(trips, affine.const(-1)))
        outs.append((exit_block, exits, one))
        if f2.eq == facts.eq + f2.eq[len(facts.eq):] and len(f2.eq) > len(facts.eq):
            continue  # an equality exit already fixes the trip count
        two = f2.copy()
        two.ge.append(affine.add(trips, affine.const(-2)))
        before = Evaluator(idiom, bind(affine.add(trips, affine.const(-2))), False)
        for t2, f3 in forks(before(term.cond), two):
            if t2 != want_exit:
                outs.append((exit_block, exits, f3))
    for a in block.args:
        if kind[a][0] == "acc":
            break
    else:
        raise NoIdiom("loop without an accumulator")
    return outs


def _param_of(v) -> int | None:
    if isinstance(v, dict) and len(v) == 1 and list(v.values()) == [1]:
        (m,) = v
        if len(m) == 1 and isinstance(m[0], tuple) and m[0][0] == "param":
            return m[0][1]
    return None


def _zero(v) -> Poly:
    if isinstance(v, dict) and not v:
        return {}
    raise NoIdiom("accumulator does not start at +0.0")


def _invariant(step: Poly) -> bool:
    return not any(isinstance(k, tuple) and (k[0] == "sym" or k[0] == "ptr" and isinstance(
        k[1], str)) for k in affine.leaves(step))  # fmt: skip
