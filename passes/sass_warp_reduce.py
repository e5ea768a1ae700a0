"""The **warp-reduced dot product** idiom of ``sass-raise-idioms`` (helper module).

Proves a lifted kernel is::

    acc = 0; for (i = gid; i < n; i += gridDim.x * blockDim.x) acc += h2f(a[i]) * h2f(b[i]);
    for (off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(~0, acc, off);
    if ((threadIdx.x & 31) == 0) atomicAdd(out, acc);

and raises it to ``out[0] += sum(widen(a[:m]) * widen(b[:m]))`` with ``m = max(0, n)``.
The proof, step by step (any doubt raises :class:`NoIdiom`):

- one natural loop, a single block, with induction variable ``i``: entered with ``gid =
  ctaid.x * ntid.x + tid.x``, stepped by ``nctaid.x * ntid.x``, left when ``i' >= n``
  (signed) for a parameter ``n``; the entry block skips the loop exactly when ``gid >= n``;
- a float accumulator of the loop starts at +0.0 and is ``fma(x, y, acc)`` (or ``acc +
  x * y``) with ``x``/``y`` unmasked loads at ``a + w*i``, ``b + w*i`` (``w`` = 2: f16
  converted to f32; ``w`` = 4: f32); the block after the loop receives it, or +0.0 from
  the skip;
- five ``shuffle.down`` steps by 16, 8, 4, 2, 1 within 31, each ``v + shfl(v)``, then the
  only side effect of the kernel: one unmasked ``atomic add.f32`` of the result at
  ``out + 0``, in a block entered exactly when ``(tid.x & 31) == 0`` (proven by
  evaluating the guard for every ``tid.x`` in [0, 1024)), from the shuffles' block, which
  every thread reaches (the exit's only other predecessor is that guard).

Lane 0 of a full warp then holds the sum of the warp's 32 accumulators, and the threads
together cover ``[0, n)`` once, so the atomics add ``sum(a[i] * b[i], i < n)`` to
``out[0]``. Valid when every warp is full: the raised func says ``sass.launch =
"1d-whole-warps"`` and the Python target keeps the emulation for other launches. The sum
is computed in float64 (products of f16 values are exact) and rounded once: it differs
from the GPU's float32 order of additions by float32 rounding only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from switcheroo.dialects import hub
from switcheroo.dialects.sass.lifted import AtomicOp, LoadOp, ShuffleOp, StoreOp, UnmappedOp
from switcheroo.dialects.sass.raised import AccumulateOp, PrefixOp, WidenOp
from switcheroo.passes import sass_affine as affine
from switcheroo.passes.sass_recover_loops import find_loops, reachable, successors
from xdsl.dialects import arith, cf, func, gpu, math
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    StringAttr,
    TensorType,
    f16,
    f32,
    f64,
    i32,
)
from xdsl.ir import Block, BlockArgument, Region, SSAValue

GID = {(("ctaid", "x"), ("ntid", "x")): 1, (("tid", "x"),): 1}
STRIDE = {(("nctaid", "x"), ("ntid", "x")): 1}


class NoIdiom(Exception):
    """The kernel is not proven to be the idiom (the reason is the message)."""


through = affine.resolve


def incoming(v: SSAValue) -> list[SSAValue]:
    """The distinct values a block argument receives (through pass-through arguments)."""
    out: list[SSAValue] = []
    for x in affine.incoming(v) or []:
        x = through(x)
        if x is not v and x not in out:
            out.append(x)
    return out


def as_float(word: SSAValue) -> SSAValue:
    """The f32 value whose bits the i32 ``word`` is (``bitcast``), else NoIdiom."""
    op = through(word).owner
    if isinstance(op, arith.BitcastOp) and op.input.type == f32:
        return op.input
    raise NoIdiom("word is not a float's bits")


def as_word(value: SSAValue) -> SSAValue:
    """The i32 word an f32 ``value`` is read from (``bitcast``), else NoIdiom."""
    op = value.owner
    if isinstance(op, arith.BitcastOp) and op.input.type == i32:
        return through(op.input)
    raise NoIdiom("float is not read from a word")


def is_zero_word(v: SSAValue) -> bool:
    """The constant +0.0 as an i32 word or an f32 (through a bitcast)."""
    v = through(v)
    op = v.owner
    if isinstance(op, arith.BitcastOp):
        v, op = op.input, op.input.owner
    return isinstance(op, arith.ConstantOp) and op.value.value.data == 0 and not (
        isinstance(op.value.value.data, float) and np.signbit(op.value.value.data))


def element_load(value: SSAValue, iv: SSAValue, cache: dict) -> tuple[int, int]:
    """An f32 element read at ``ptr + w*iv``: ``(ptr offset, w)``; f16 elements are
    ``extf`` of the low half (under the HADD2.F32 ``-0.0 + x``, which is exactly ``x``)."""
    op = value.owner
    if isinstance(op, arith.AddfOp) and _negzero(op.lhs):
        return element_load(op.rhs, iv, cache)
    if isinstance(op, arith.BitcastOp) and op.input.type == i32:
        word = through(op.input).owner
        if isinstance(word, LoadOp):
            return _load(word, 4, iv, cache)
        if isinstance(word, arith.BitcastOp) and word.input.type == f32:
            return element_load(word.input, iv, cache)
    if isinstance(op, arith.ExtFOp) and op.input.type == f16:
        b = op.input.owner
        t = b.input.owner if isinstance(b, arith.BitcastOp) else None
        if isinstance(t, arith.TruncIOp) and t.result.type.width.data == 16:
            load = through(t.input).owner
            if isinstance(load, LoadOp):
                return _load(load, 2, iv, cache)
    raise NoIdiom("factor is not an element load")


def _negzero(v: SSAValue) -> bool:
    op = v.owner
    if isinstance(op, arith.NegfOp):
        c = op.operand.owner
        return isinstance(c, arith.ConstantOp) and c.value.value.data == 0.0
    return False


def _load(load: LoadOp, width: int, iv: SSAValue, cache: dict) -> tuple[int, int]:
    if load.mask is not None or load.space.data != "global" or load.width.value.data != 8 * width:
        raise NoIdiom("masked, non-global or odd-width element load")
    split = affine.split_pointer(affine.poly(load.addr, cache))
    if split is None or split[1] != affine.mul(affine.leaf(iv), affine.const(width)):
        raise NoIdiom("element load is not ptr[i]")
    return split[0], width


def lanes_predicate(v: SSAValue) -> np.ndarray:
    """``v`` (an i1 of ``tid.x`` only) evaluated for every ``tid.x`` in [0, 1024)."""
    tid = np.arange(1024, dtype=np.int64)
    memo: dict = {}

    def ev(x: SSAValue) -> np.ndarray:
        x = through(x)
        if x in memo:
            return memo[x]
        op = x.owner
        width = x.type.width.data if hasattr(x.type, "width") else 64
        mask = (1 << width) - 1
        match op:
            case arith.ConstantOp():
                r = np.full(tid.shape, op.value.value.data & mask, np.int64)
            case arith.IndexCastOp() if isinstance(op.input.owner, gpu.ThreadIdOp) and (
                    op.input.owner.dimension.data.value == "x"):
                r = tid.copy()
            case arith.AndIOp() | arith.OrIOp() | arith.XOrIOp():
                f = {arith.AndIOp: np.bitwise_and, arith.OrIOp: np.bitwise_or,
                     arith.XOrIOp: np.bitwise_xor}[type(op)]  # fmt: skip
                r = f(ev(op.lhs), ev(op.rhs)) & mask
            case arith.CmpiOp():
                pred = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
                a, b = ev(op.lhs), ev(op.rhs)
                if pred[0] == "s":
                    w = op.lhs.type.width.data
                    a, b = _sext(a, w), _sext(b, w)
                cmp = {"eq": np.equal, "ne": np.not_equal, "slt": np.less, "ult": np.less,
                       "sle": np.less_equal, "ule": np.less_equal, "sgt": np.greater,
                       "ugt": np.greater, "sge": np.greater_equal,
                       "uge": np.greater_equal}[pred]  # fmt: skip
                r = cmp(a, b).astype(np.int64)
            case _:
                raise NoIdiom("lane guard depends on more than tid.x")
        memo[x] = r
        return r

    return ev(v).astype(bool)


def _sext(a: np.ndarray, w: int) -> np.ndarray:
    return np.where(a >> (w - 1) & 1, a - (1 << w), a)


def _chain(block: Block) -> list[Block]:
    """``block`` and the blocks its unconditional branches lead to (at most a few)."""
    out = [block]
    while isinstance(out[-1].last_op, cf.BranchOp) and len(out) < 8:
        out.append(out[-1].last_op.successor)
    return out


def _chain_to_exit(block: Block) -> Block:
    """Where the unconditional branches from ``block`` end."""
    return _chain(block)[-1]


@dataclass
class WarpDot:
    """The proof's findings: pointers ``a``, ``b`` (element bytes ``width``), ``out``,
    bound parameter ``n``."""

    a: int
    b: int
    width: int
    out: int
    n: int


def match_warp_dot(fn: func.FuncOp) -> WarpDot:
    """Prove ``fn`` is the warp-reduced dot product, or raise :class:`NoIdiom`."""
    if fn.attributes["sass.unmapped"].value.data:
        raise NoIdiom("unmapped instructions")
    blocks = reachable(fn)
    loops = find_loops(fn)
    if len(loops) != 1 or loops[0].header != loops[0].latch or loops[0].iv < 0:
        raise NoIdiom("not one single-block counted loop")
    loop = loops[0]
    header = blocks[loop.header]
    cache: dict = {}
    # the grid-stride walk: i = gid; i += nctaid.x * ntid.x; stay while !(i' >= n)
    if loop.step_poly != STRIDE or len(loop.inits) != 1 or affine.poly(
            loop.inits[0], cache) != GID:  # fmt: skip
        raise NoIdiom("loop is not a grid-stride walk from gid")
    bound = affine.poly(loop.bound, cache) if loop.bound is not None else {}
    if loop.cmp != "not sge" or not loop.bound_after_step or len(bound) != 1:
        raise NoIdiom("loop does not run while i < n")
    ((key,), coef), = bound.items()
    if coef != 1 or not (isinstance(key, tuple) and key[0] == "param"):
        raise NoIdiom("loop bound is not a parameter")
    n = key[1]
    # the entry skips the loop exactly when gid >= n
    entry = blocks[0].last_op
    found = affine.compare_of(entry.cond) if isinstance(entry, cf.ConditionalBranchOp) else None
    if found is None:
        raise NoIdiom("entry does not test gid < n")
    cmp, holds = found
    pred = arith.CMPI_COMPARISON_OPERATIONS[cmp.predicate.value.data]
    if (pred, affine.poly(cmp.lhs, cache), affine.poly(cmp.rhs, cache)) != ("sge", GID, bound):
        raise NoIdiom("entry does not test gid >= n")
    skip, enter = (entry.then_block, entry.else_block) if holds else (
        entry.else_block, entry.then_block)
    if _chain_to_exit(enter) is not header:
        raise NoIdiom("the loop is not entered directly")
    # the accumulator: acc' = fma(x, y, acc), starting at +0.0
    term = header.last_op
    back = term.then_arguments if term.then_block is header else term.else_arguments
    out_edge = term.else_arguments if term.then_block is header else term.then_arguments
    after = term.else_block if term.then_block is header else term.then_block
    iv = header.args[loop.iv]
    accs = []
    for k, arg in enumerate(header.args):
        value = back[k].owner
        if not (isinstance(value, arith.BitcastOp) and value.input.type == f32):
            continue
        f = value.input.owner
        if isinstance(f, math.FmaOp) and through(as_word(f.c)) is arg:
            x, y = f.a, f.b
        elif isinstance(f, arith.AddfOp) and isinstance(f.lhs.owner, arith.MulfOp) and (
                through(as_word(f.rhs)) is arg):
            x, y = f.lhs.owner.lhs, f.lhs.owner.rhs
        else:
            continue
        accs.append((k, x, y))
    if len(accs) != 1:
        raise NoIdiom("not one float accumulator in the loop")
    k, x, y = accs[0]
    (pa, wa), (pb, wb) = element_load(x, iv, cache), element_load(y, iv, cache)
    if wa != wb:
        raise NoIdiom("factors of different widths")
    inits = [_edge(blocks[p], header) for p in range(len(blocks))
             if p not in loop.body and header in successors(blocks[p])]  # fmt: skip
    if len(inits) != 1 or not is_zero_word(inits[0][k]):
        raise NoIdiom("accumulator does not start at 0")
    # the shuffle tree over the loop's result, then the lane-0 atomic
    atomics = [op for b in blocks for op in b.ops if isinstance(op, AtomicOp)]
    if any(isinstance(op, StoreOp | UnmappedOp) for b in blocks for op in b.ops):
        raise NoIdiom("other side effects")
    if len(atomics) != 1:
        raise NoIdiom("not one atomic")
    atomic = atomics[0]
    if atomic.mask is not None or atomic.kind.data != "add.f32" or atomic.space.data != "global":
        raise NoIdiom("atomic is not an unmasked add.f32")
    split = affine.split_pointer(affine.poly(atomic.addr, cache))
    if split is None or split[1]:
        raise NoIdiom("atomic is not at out[0]")
    v = through(atomic.value)
    shuffle_block = None
    for off in (1, 2, 4, 8, 16):
        s = as_float(v).owner
        if not isinstance(s, arith.AddfOp):
            raise NoIdiom("shuffle step is not an add")
        ws = [through(as_word(t)) for t in (s.lhs, s.rhs)]
        shf = [w.owner for w in ws if isinstance(w.owner, ShuffleOp)]
        if len(shf) != 1:
            raise NoIdiom("shuffle step without one shuffle")
        own = ws[1] if ws[0].owner is shf[0] else ws[0]
        sh = shf[0]
        if (sh.mode.data != "down" or through(sh.value) is not own
                or affine.constant_of(affine.poly(sh.offset)) != off
                or affine.constant_of(affine.poly(sh.clamp)) != 31):
            raise NoIdiom("shuffle step is not shfl.down by 16..1 within 31")
        if shuffle_block not in (None, sh.parent_block()):
            raise NoIdiom("shuffles in several blocks")
        shuffle_block = sh.parent_block()
        v = own
    # the tree's input: the loop's accumulator, or +0.0 when the loop was skipped
    ins = incoming(v)
    acc_out = through(back[k])
    if not isinstance(v, BlockArgument) or len(ins) != 2 or acc_out not in ins or not any(
            is_zero_word(x) for x in ins) or acc_out not in [through(a) for a in out_edge]:
        raise NoIdiom("tree input is not the loop's accumulator or 0")
    if v.block not in _chain(after) or v.block not in _chain(skip):
        raise NoIdiom("loop exit and skip do not meet before the tree")
    # the guard: every thread reaches the shuffles' block; the atomic's block is taken
    # exactly when (tid.x & 31) == 0
    guard = shuffle_block.last_op
    if not isinstance(guard, cf.ConditionalBranchOp) or atomic.parent_block() not in (
            guard.then_block, guard.else_block):  # fmt: skip
        raise NoIdiom("atomic is not guarded by the shuffles' block")
    taken = lanes_predicate(guard.cond)
    if atomic.parent_block() is guard.else_block:
        taken = ~taken
    if not (taken == (np.arange(1024) % 32 == 0)).all():
        raise NoIdiom("atomic guard is not lane 0")
    exit_block = next(b for b in blocks if isinstance(b.first_op, func.ReturnOp))
    preds = {b for b in blocks if exit_block in successors(b)}
    if preds != {shuffle_block, atomic.parent_block()} or _chain_to_exit(
            atomic.parent_block()) is not exit_block:  # fmt: skip
        raise NoIdiom("threads leave before the shuffles")
    return WarpDot(pa, pb, wa, split[0], n)


def _edge(pred: Block, target: Block) -> list[SSAValue]:
    term = pred.last_op
    if isinstance(term, cf.BranchOp):
        return list(term.arguments)
    return list(term.then_arguments if term.then_block is target else term.else_arguments)


def raise_warp_dot(fn: func.FuncOp, params: list[tuple[str, int]]) -> func.FuncOp:
    """The raised func of a proven warp-reduced dot product (raises :class:`NoIdiom`)."""
    proof = match_warp_dot(fn)
    kinds = {off: kind for kind, off in params}
    if any(kinds.get(p) != "ptr" for p in (proof.a, proof.b, proof.out)) or kinds.get(
            proof.n) != "i32":  # fmt: skip
        raise NoIdiom("parameters of the wrong kind")
    elem = {2: f16, 4: f32}[proof.width]
    types = []
    for kind, off in params:
        if kind == "ptr":
            types.append(TensorType(elem if off in (proof.a, proof.b) else f32, [DYNAMIC_INDEX]))
        else:
            types.append(f32 if kind == "f32" else i32)
    block = Block(arg_types=types)
    arg = {off: block.args[k] for k, (_, off) in enumerate(params)}
    zero = arith.ConstantOp.from_int_and_width(0, i32)
    count = arith.MaxSIOp(arg[proof.n], zero.result)
    pa, pb = PrefixOp(arg[proof.a], count.result), PrefixOp(arg[proof.b], count.result)
    wa, wb = WidenOp(pa.res), WidenOp(pb.res)
    prod = _hub("multiply", TensorType(f64, [DYNAMIC_INDEX]), x1=wa.res, x2=wb.res)
    total = _hub("sum", TensorType(f64, []), x=prod.results[0])
    block.add_ops([zero, count, pa, pb, wa, wb, prod, total,
                   AccumulateOp(arg[proof.out], total.results[0]), func.ReturnOp()])  # fmt: skip
    raised = func.FuncOp(fn.sym_name.data, (types, []), Region(block))
    for key in ("sass.arch", "sass.params", "sass.outputs"):
        raised.attributes[key] = fn.attributes[key]
    raised.attributes["sass.idiom"] = StringAttr("warp-dot")
    raised.attributes["sass.launch"] = StringAttr("1d-whole-warps")
    return raised


def _hub(spec: str, result, **args: SSAValue):
    return hub.op_for(spec).create(
        operands=list(args.values()),
        properties={"arg_names": ArrayAttr([StringAttr(n) for n in args])},
        result_types=[result],
    )
