"""The **shared-memory block reduction** idiom of ``sass-raise-idioms`` (helper module).

Proves a lifted kernel is (``reduce_sum`` of kernels.cu, any window factor ``f``)::

    v = sum of x[i] for the f elements i = blockIdx.x * f * blockDim.x + k * blockDim.x
        + threadIdx.x (k < f) with i < n;  s[tid] = v;  __syncthreads();
    for (st = blockDim.x / 2; st > 0; st >>= 1) { if (tid < st) s[tid] += s[tid + st];
                                                   __syncthreads(); }
    if (tid == 0) atomicAdd(out, s[0]);

and raises it to ``out[0] += sum(widen(x[:m]))`` with ``m = min(n, f * gridDim.x *
blockDim.x)`` (``n`` read as the compares read it: unsigned here). The proof:

- structure: no unmapped instruction, one natural loop holding a barrier (the tree), one
  ``atomic add.f32`` to global memory and no other global write;
- behaviour, for every power-of-two block size ``B`` up to 1024: the lock-step symbolic
  evaluation of one block (``sass_block_eval.py``: shared cells hold guarded multisets of
  element atoms, branches must be concrete, no shared race between barriers) executes
  exactly one global side effect, that atomic, at ``out + 0``, and its value is a sum
  whose atoms are ``x[ctaid.x * W + c]`` under guards ``ctaid.x * W + c' < n``; with
  ``t = n - ctaid.x * W`` each guard is a half-line in ``t``, and for every ``t`` the
  atoms present are exactly ``c`` in ``[0, W)`` with ``c < t``, each once (``cover``).
  ``W = f * B`` with one ``f`` for every ``B``. Blocks ``0 .. gridDim.x - 1`` thus add
  every element below ``min(n, f * gridDim.x * B)`` once.

Other block sizes (a non-power-of-two block drops elements in the halving tree) and 2-D/3-D
launches run the emulation (``sass.launch = "1d-blocks"``, ``sass.blocks``). The shared
array's size is not in the IR: the proof takes the cells the block touches as distinct
(kernels.cu declares 256 floats; larger blocks overflow it there, undefined on the GPU,
where the emulation and the raised form agree on the unbounded meaning).
Summation order: the GPU adds in float32 per thread, per tree level and per block's
atomic; the raised form sums in float64 and rounds once, so it differs by float32
rounding only (tests keep rtol 1e-5, atol 1e-4 on the sum, as for dot_warp).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from switcheroo.dialects.sass.lifted import AtomicOp, StoreOp, UnmappedOp
from switcheroo.dialects.sass.raised import AccumulateOp, GridExtentOp, PrefixOp, WidenOp
from switcheroo.passes import sass_affine as affine
from switcheroo.passes.sass_block_eval import Acc, BlockEval, as_acc
from switcheroo.passes.sass_recover_loops import find_loops, reachable
from switcheroo.passes.sass_warp_reduce import NoIdiom, _hub
from xdsl.dialects import arith, func, gpu
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    f32,
    f64,
    i32,
    i64,
)
from xdsl.ir import Block, Region

# Power-of-two blocks up to the 256 cells kernels.cu declares (larger ones overflow them);
# each costs one symbolic evaluation (about B * the kernel's length steps).
BLOCK_SIZES = tuple(1 << k for k in range(9))
CTAID = ("ctaid", "x")


@dataclass(frozen=True)
class Window:
    """What ``cover`` proved: ``ptr[ctaid.x * width + c]`` for ``c < min(width, n -
    ctaid.x * width)``, ``n`` the parameter word ``bound`` read ``signed`` or not."""

    ptr: int
    width: int
    bound: int
    signed: bool


def _window_index(idx: dict) -> tuple[int, int]:
    """``ctaid.x * W + c`` -> ``(W, c)``."""
    rest = dict(idx)
    c = rest.pop((), 0)
    if set(rest) != {(CTAID,)} or rest[(CTAID,)] <= 0:
        raise NoIdiom("element index is not ctaid.x * W + c")
    return rest[(CTAID,)], c


def _half_line(q: dict, width: int) -> tuple[int, int | None, int | None]:
    """Guard ``q < 0`` with ``q = +-(ctaid.x * W - n) + d`` as ``(n, lo, hi)`` on ``t = n
    - ctaid.x * W``: ``t >= lo`` or ``t <= hi``."""
    rest = dict(q)
    d = rest.pop((), 0)
    sign = rest.get((CTAID,), 0) // width if width else 0
    params = [m for m in rest if m != (CTAID,)]
    if sign not in (1, -1) or rest[(CTAID,)] != sign * width or len(params) != 1 or len(
            params[0]) != 1 or params[0][0][0] != "param" or rest[params[0]] != -sign:  # fmt: skip
        raise NoIdiom("guard is not ctaid.x * W + c < n")
    n = params[0][0][1]
    # sign +1: -t + d < 0 <=> t >= d + 1;  sign -1: t + d < 0 <=> t <= -d - 1
    return (n, d + 1, None) if sign == 1 else (n, None, -d - 1)


def cover(acc: Acc, at_least: bool = False) -> Window:
    """Prove the atoms of ``acc`` are, for every ``t``, exactly the window elements ``c <
    t`` (each once; ``at_least``: once or more, for idempotent reductions)."""
    atoms = list(acc.atoms)
    if not atoms:
        raise NoIdiom("reduction of no elements")
    ptrs = {ptr for (ptr, _, _), _ in atoms}
    if len(ptrs) != 1:
        raise NoIdiom("elements of several arrays")
    widths = {_window_index(dict(idx))[0] for (_, idx, _), _ in atoms}
    if len(widths) != 1:
        raise NoIdiom("elements of windows of different widths")
    (W,) = widths
    bounds, signs = set(), {g.signed for (_, _, gs), _ in atoms for g in gs}
    per_c: dict[int, list] = defaultdict(list)
    for (_, idx, guards), count in atoms:
        c = _window_index(dict(idx))[1]
        lo, hi = None, None
        for g in guards:
            n, glo, ghi = _half_line(dict(g.q), W)
            bounds.add(n)
            lo = glo if glo is not None and (lo is None or glo > lo) else lo
            hi = ghi if ghi is not None and (hi is None or ghi < hi) else hi
        if lo is not None and hi is not None and lo > hi:
            continue  # never present
        per_c[c].append((lo, hi, count))
    if len(bounds) != 1 or len(signs) != 1:
        raise NoIdiom("guards against several bounds")
    if set(per_c) != set(range(W)):
        raise NoIdiom("elements outside the block's window, or missing")
    for c, spans in per_c.items():
        points = {c, c + 1} | {lo for lo, _, _ in spans if lo is not None} | {
            hi + 1 for _, hi, _ in spans if hi is not None}  # fmt: skip
        for t in points | {min(points) - 1}:
            k = sum(n for lo, hi, n in spans if (lo is None or lo <= t) and (hi is None or t <= hi))
            if (min(k, 1) if at_least else k) != (t >= c + 1):
                raise NoIdiom(f"element {c} of the window is not counted once below the bound")
    return Window(ptrs.pop(), W, bounds.pop(), signs.pop())


def fold_atom(k: int, t: int, kind: str) -> Acc:
    """Thread ``t``'s per-thread fold of loop ``k`` (an opaque reduction of ``kind``)."""
    return Acc(kind, frozenset({((("fold", k), t, frozenset()), 1)}))


def cover_folds(acc: Acc, k: int, B: int, at_least: bool = False) -> None:
    """Prove ``acc`` combines the folds of loop ``k`` of threads ``0 .. B-1``, nothing else,
    each exactly once (``at_least``: once or more, for idempotent reductions)."""
    counts = acc.counter()
    want = {(("fold", k), t, frozenset()) for t in range(B)}
    if set(counts) != want:
        raise NoIdiom(f"the tree over loop {k + 1}'s folds misses or adds a thread")
    if not at_least and any(n != 1 for n in counts.values()):
        raise NoIdiom(f"the tree over loop {k + 1}'s folds counts a thread twice")


@dataclass
class BlockReduce:
    """The proof's findings: ``out[0] += sum(x[:min(n, factor * grid.x * block.x)])``."""

    x: int
    out: int
    window: Window
    factor: int
    blocks: tuple[int, ...]


def match_block_reduce(fn: func.FuncOp) -> BlockReduce:
    """Prove ``fn`` is a shared-memory block sum with one atomic, or raise NoIdiom."""
    if fn.attributes["sass.unmapped"].value.data:
        raise NoIdiom("unmapped instructions")
    blocks = reachable(fn)
    ops = [op for b in blocks for op in b.ops]
    atomics = [op for op in ops if isinstance(op, AtomicOp)]
    if len(atomics) != 1 or atomics[0].kind.data != "add.f32" or (
            atomics[0].space.data != "global"):  # fmt: skip
        raise NoIdiom("not one global atomic add.f32")
    if any(isinstance(op, UnmappedOp) or isinstance(op, StoreOp) and op.space.data != "shared"
           for op in ops):  # fmt: skip
        raise NoIdiom("global stores")
    loops = find_loops(fn)
    if len(loops) != 1 or not any(isinstance(op, gpu.BarrierOp) for k in loops[0].body
                                  for op in blocks[k].ops):  # fmt: skip
        raise NoIdiom("not one loop of barrier steps")
    found: set = set()
    for B in BLOCK_SIZES:
        ev = BlockEval(fn, B).run()
        if len(ev.effects) != 1 or ev.effects[0].op is not atomics[0]:
            raise NoIdiom(f"block of {B}: not exactly one atomic per block")
        split = affine.split_pointer(ev.effects[0].addr.poly) if hasattr(
            ev.effects[0].addr, "poly") else None  # fmt: skip
        if split is None or split[1]:
            raise NoIdiom("atomic is not at out[0]")
        acc = as_acc(ev.effects[0].value)
        if acc.kind not in (None, "add"):
            raise NoIdiom("atomic adds a value that is not a sum")
        try:
            w = cover(acc)
        except NoIdiom as why:
            raise NoIdiom(f"block of {B}: {why}") from None
        if w.width % B:
            raise NoIdiom("window is not a multiple of the block")
        found.add((split[0], w.ptr, w.bound, w.signed, w.width // B))
    if len(found) != 1:
        raise NoIdiom("block sizes disagree on the reduction")
    ((out, x, n, signed, factor),) = found
    return BlockReduce(x, out, Window(x, 0, n, signed), factor, BLOCK_SIZES)


def count_op(block: Block, n, factor: int, signed: bool):
    """``m = min(n, factor * gridDim.x * blockDim.x)`` (signed: at least 0)."""
    extent = GridExtentOp("x")
    k = arith.ConstantOp.from_int_and_width(factor, i32)
    span = arith.MuliOp(k.result, extent.res)
    block.add_ops([extent, k, span])
    if not signed:
        count = arith.MinUIOp(n, span.result)
        block.add_op(count)
        return count.result
    zero = arith.ConstantOp.from_int_and_width(0, i32)
    low = arith.MinSIOp(n, span.result)
    count = arith.MaxSIOp(low.result, zero.result)
    block.add_ops([zero, low, count])
    return count.result


def raise_block_reduce(fn: func.FuncOp, params: list[tuple[str, int]]) -> func.FuncOp:
    """The raised func of a proven block sum (raises :class:`NoIdiom`)."""
    proof = match_block_reduce(fn)
    kinds = {off: kind for kind, off in params}
    if kinds.get(proof.x) != "ptr" or kinds.get(proof.out) != "ptr" or kinds.get(
            proof.window.bound) != "i32":  # fmt: skip
        raise NoIdiom("parameters of the wrong kind")
    types = [TensorType(f32, [DYNAMIC_INDEX]) if k == "ptr" else f32 if k == "f32" else i32
             for k, _ in params]  # fmt: skip
    block = Block(arg_types=types)
    arg = {off: block.args[k] for k, (_, off) in enumerate(params)}
    count = count_op(block, arg[proof.window.bound], proof.factor, proof.window.signed)
    pre = PrefixOp(arg[proof.x], count)
    wide = WidenOp(pre.res)
    total = _hub("sum", TensorType(f64, []), x=wide.res)
    block.add_ops([pre, wide, total, AccumulateOp(arg[proof.out], total.results[0]),
                   func.ReturnOp()])  # fmt: skip
    return raised_kernel(fn, types, block, "block-reduce-sum", proof.blocks)


def raised_kernel(fn: func.FuncOp, types, block: Block, idiom: str, blocks) -> func.FuncOp:
    """The raised function replacing kernel ``fn``: its body ``block``, the kernel's
    arch/params/outputs attributes, the idiom's name and the block sizes it was proven for
    (launched as 1-D blocks)."""
    raised = func.FuncOp(fn.sym_name.data, (types, []), Region(block))
    for key in ("sass.arch", "sass.params", "sass.outputs"):
        raised.attributes[key] = fn.attributes[key]
    raised.attributes["sass.idiom"] = StringAttr(idiom)
    raised.attributes["sass.launch"] = StringAttr("1d-blocks")
    raised.attributes["sass.blocks"] = ArrayAttr([IntegerAttr(b, i64) for b in blocks])
    return raised
