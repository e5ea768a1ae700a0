"""``sass-raise-idioms``: prove that a lifted kernel is a known idiom and raise it to hub ops.

Implemented idioms: the **warp-reduced dot product** (``sass_warp_reduce.py``:
grid-stride loop, ``__shfl_down_sync`` tree, lane-0 ``atomicAdd``), the **shared-memory
block sum** (``sass_block_reduce.py``: halving tree between barriers, one ``atomicAdd``
per block, proven by a symbolic lock-step evaluation per block size), the **GEMM k-loop**
and **direct 3x3 convolution** (``sass_loop_nest.py``: one thread executed symbolically
over every path, loops summarised at a symbolic trip count), the **row softmax**
(``sass_row_softmax.py`` and its ``sass_row_*`` helpers: strided row loops, per-thread
folds, shared max/sum trees evaluated in lock-step) and the **elementwise
map** (``if (i < n) out[i] = f(a[i], b[i], s)`` with ``i = blockIdx.x * blockDim.x + threadIdx.x``). The proof is strict; any doubt
leaves the kernel to the SIMT emulation:

- the reachable control flow is a chain of blocks that only leave early to the exit
  (``@P0 EXIT``), with no loop, barrier, shuffle, atomic or unmapped instruction;
- the early exits amount to exactly ``i < n`` (signed) for a 32-bit parameter ``n``;
- there is one store, unmasked, of a 32-bit word at ``ptr + 4*i``; every load is
  unmasked, 32-bit, at ``ptr' + 4*i`` (addresses read as polynomials, ``sass_affine.py``);
- the stored word is a float expression (add/sub/mul/fma/min/max, negation) of the
  loaded floats, float parameters and constants.

The raised kernel is a ``func.func`` named as the kernel in a nested module marked
``sass.raised``: parameters are tensors (pointers) and scalars; ``m = max(0, min(n,
gridDim.x * blockDim.x))``; ``out[:m] = f(a[:m], ...)`` as ``sass.prefix``, hub ops and
``sass.assign_prefix``. FFMA becomes ``multiply`` + ``add``: the CUDA source's
``alpha * x + y``, which the compiler contracted. The lifted func gets ``sass.idiom``.
The raised form holds for 1-D launches; the Python target keeps the emulation for others.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, cf, func, math
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    FloatAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    UnitAttr,
    f32,
    i32,
)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass

from switcheroo.dialects import hub
from switcheroo.dialects.sass.lifted import ConstBankOp, LoadOp, ParamOp, StoreOp
from switcheroo.dialects.sass.raised import AssignPrefixOp, GridExtentOp, PrefixOp
from switcheroo.passes import sass_affine as affine
from switcheroo.passes.sass_block_reduce import raise_block_reduce
from switcheroo.passes.sass_recover_loops import find_loops, reachable
from switcheroo.passes.sass_loop_nest import raise_conv3x3, raise_gemm
from switcheroo.passes.sass_row_raise import raise_row_softmax
from switcheroo.passes.sass_warp_reduce import NoIdiom, raise_warp_dot

RAISED_ATTR = "sass.raised"
GID = {(("ctaid", "x"), ("ntid", "x")): 1, (("tid", "x"),): 1}
_PURE = (arith.ConstantOp, arith.AddiOp, arith.SubiOp, arith.MuliOp, arith.ShLIOp,
         arith.ShRUIOp, arith.ShRSIOp, arith.ExtUIOp, arith.ExtSIOp, arith.TruncIOp,
         arith.OrIOp, arith.AndIOp, arith.XOrIOp, arith.CmpiOp, arith.CmpfOp, arith.SelectOp,
         arith.BitcastOp, arith.AddfOp, arith.SubfOp, arith.MulfOp, arith.NegfOp,
         arith.MaxnumfOp, arith.MinnumfOp, math.FmaOp, ParamOp, ConstBankOp,
         arith.IndexCastOp)  # fmt: skip
_FLOAT_OPS = {arith.AddfOp: "add", arith.SubfOp: "subtract", arith.MulfOp: "multiply",
              arith.MaxnumfOp: "fmax", arith.MinnumfOp: "fmin"}  # fmt: skip


_bool = affine.truth


def _condition(v: SSAValue) -> tuple[arith.CmpiOp, bool]:
    """``v`` as ``(compare, holds)``: ``v`` is the compare (holds) or its negation."""
    found = affine.compare_of(v)
    if found is None:
        raise NoIdiom("guard is not one comparison")
    return found


_SWAP = {"slt": "sgt", "sge": "sle", "sgt": "slt", "sle": "sge"}
_NEGATE = {"slt": "sge", "sge": "slt", "sgt": "sle", "sle": "sgt"}


def _bound(guard: SSAValue, stay: bool, cache: dict) -> int:
    """The parameter ``n`` when continuing (``guard == stay``) means exactly ``i < n``."""
    cmp, holds = _condition(guard)
    pred = arith.CMPI_COMPARISON_OPERATIONS[cmp.predicate.value.data]
    if pred not in _SWAP:
        raise NoIdiom(f"guard compares with {pred}")
    lhs, rhs = affine.poly(cmp.lhs, cache), affine.poly(cmp.rhs, cache)
    if holds != stay:
        pred = _NEGATE[pred]
    if lhs != GID:
        lhs, rhs, pred = rhs, lhs, _SWAP[pred]
    keys = list(rhs)
    if lhs != GID or pred != "slt" or len(keys) != 1 or rhs[keys[0]] != 1:
        raise NoIdiom("guard is not i < n")
    (key,) = keys[0] or (None,)
    if not (isinstance(key, tuple) and key[0] == "param"):
        raise NoIdiom("bound is not a parameter")
    return key[1]


def _element(addr: SSAValue, cache: dict) -> int:
    """The pointer parameter of an access at ``ptr + 4 * i``."""
    split = affine.split_pointer(affine.poly(addr, cache))
    if split is None or affine.divide(split[1], 4) != GID:
        raise NoIdiom("access is not ptr[i]")
    return split[0]


@dataclass
class Elementwise:
    """What the proof found: output pointer, bound parameter, stored float value."""

    out: int
    bound: int
    value: SSAValue


def match_elementwise(fn: func.FuncOp) -> Elementwise:
    """Prove ``fn`` is an elementwise map or raise :class:`NoIdiom`."""
    if fn.attributes["sass.unmapped"].value.data:
        raise NoIdiom("unmapped instructions")
    blocks = reachable(fn)
    if find_loops(fn):
        raise NoIdiom("has loops")
    cache: dict = {}
    bounds, stores = [], []
    block: Block | None = blocks[0]
    seen: set = set()
    while block is not None and block not in seen:
        seen.add(block)
        nxt = None
        for op in block.ops:
            if isinstance(op, StoreOp):
                stores.append(op)
            elif isinstance(op, LoadOp):
                if op.mask is not None or op.width.value.data != 32 or op.space.data != "global":
                    raise NoIdiom("masked or non-word load")
            elif isinstance(op, cf.ConditionalBranchOp):
                exits = [isinstance(b.first_op, func.ReturnOp) for b in (op.then_block,
                                                                         op.else_block)]
                if exits == [True, False]:
                    bounds.append(_bound(op.cond, False, cache))
                    nxt = op.else_block
                elif exits == [False, True]:
                    bounds.append(_bound(op.cond, True, cache))
                    nxt = op.then_block
                else:
                    raise NoIdiom("branch that does not exit")
            elif isinstance(op, cf.BranchOp):
                nxt = None if isinstance(op.successor.first_op, func.ReturnOp) else op.successor
            elif isinstance(op, func.ReturnOp):
                nxt = None
            elif not isinstance(op, _PURE) and not _is_index(op):
                raise NoIdiom(f"{op.name} in the kernel")
        block = nxt
    if block is not None:
        raise NoIdiom("control flow is not a chain")
    if len(stores) != 1 or len(set(bounds)) != 1 or not bounds:
        raise NoIdiom("not one guarded store")
    st = stores[0]
    if st.mask is not None or st.width.value.data != 32 or st.space.data != "global":
        raise NoIdiom("masked or non-word store")
    return Elementwise(_element(st.addr, cache), bounds[0], st.values[0])


def _is_index(op: Operation) -> bool:
    return op.name in ("gpu.thread_id", "gpu.block_id", "gpu.block_dim", "gpu.grid_dim")


class _Raiser:
    """Builds the raised func's body: hub ops over the prefixes of the parameters."""

    def __init__(self, params: list[tuple[str, int]], count: SSAValue, block: Block):
        self.args = {off: block.args[k] for k, (_, off) in enumerate(params)}
        self.kinds = dict((off, kind) for kind, off in params)
        self.count, self.block = count, block
        self.memo: dict = {}
        self.cache: dict = {}

    def add(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0]

    def hub(self, spec: str, **args: SSAValue) -> SSAValue:
        op = hub.op_for(spec).create(
            operands=list(args.values()),
            properties={"arg_names": ArrayAttr([StringAttr(n) for n in args])},
            result_types=[TensorType(f32, [DYNAMIC_INDEX])],
        )
        return self.add(op)

    def word(self, v: SSAValue) -> SSAValue:
        """The stored 32-bit word: the bits of a float expression."""
        op = v.owner
        if isinstance(op, arith.BitcastOp) and op.input.type == f32:
            return self.float_(op.input)
        if isinstance(op, arith.SelectOp) and _bool(op.cond) is not None:
            return self.word(op.lhs if _bool(op.cond) else op.rhs)
        raise NoIdiom("stored value is not a float expression")

    def float_(self, v: SSAValue) -> SSAValue:
        if v not in self.memo:
            self.memo[v] = self._float(v)
        return self.memo[v]

    def _float(self, v: SSAValue) -> SSAValue:
        op = v.owner
        if isinstance(op, arith.SelectOp) and _bool(op.cond) is not None:
            return self.float_(op.lhs if _bool(op.cond) else op.rhs)
        if type(op) in _FLOAT_OPS:
            a, b = self.float_(op.lhs), self.float_(op.rhs)
            return self.hub(_FLOAT_OPS[type(op)], x1=a, x2=b)
        if isinstance(op, arith.NegfOp):
            return self.hub("negative", x=self.float_(op.operand))
        if isinstance(op, math.FmaOp):
            prod = self.hub("multiply", x1=self.float_(op.a), x2=self.float_(op.b))
            return self.hub("add", x1=prod, x2=self.float_(op.c))
        if isinstance(op, arith.ConstantOp):
            return self.add(arith.ConstantOp(FloatAttr(float(op.value.value.data), f32)))
        if isinstance(op, arith.BitcastOp) and op.input.type == i32:
            return self._bits(op.input)
        raise NoIdiom(f"{op.name if isinstance(op, Operation) else 'argument'} in the value")

    def _bits(self, w: SSAValue) -> SSAValue:
        op = w.owner
        if isinstance(op, ParamOp) and self.kinds.get(op.offset.value.data) == "f32":
            return self.args[op.offset.value.data]
        if isinstance(op, arith.ConstantOp):
            bits = op.value.value.data & 0xFFFFFFFF
            value = struct.unpack("<f", struct.pack("<I", bits))[0]
            return self.add(arith.ConstantOp(FloatAttr(value, f32)))
        if isinstance(op, LoadOp):
            ptr = _element(op.addr, self.cache)
            if self.kinds.get(ptr) != "ptr":
                raise NoIdiom("load from a non-pointer")
            return self.add(PrefixOp(self.args[ptr], self.count))
        raise NoIdiom("float word that is not a load, parameter or constant")


def raise_elementwise(fn: func.FuncOp) -> func.FuncOp:
    """The raised func of a proven elementwise kernel (raises :class:`NoIdiom`)."""
    proof = match_elementwise(fn)
    params = [(p.data.split("@")[0], int(p.data.split("@")[1], 16))
              for p in fn.attributes["sass.params"].data]  # fmt: skip
    kinds = dict((off, kind) for kind, off in params)
    if kinds.get(proof.out) != "ptr" or kinds.get(proof.bound) != "i32":
        raise NoIdiom("output or bound parameter of the wrong kind")
    types = [TensorType(f32, [DYNAMIC_INDEX]) if k == "ptr" else f32 if k == "f32" else i32
             for k, _ in params]  # fmt: skip
    block = Block(arg_types=types)
    n = block.args[[off for _, off in params].index(proof.bound)]
    zero = arith.ConstantOp.from_int_and_width(0, i32)
    extent = GridExtentOp("x")
    low = arith.MinSIOp(n, extent.res)
    count = arith.MaxSIOp(low.result, zero.result)
    block.add_ops([zero, extent, low, count])
    r = _Raiser(params, count.result, block)
    value = r.word(proof.value)
    block.add_op(AssignPrefixOp(r.args[proof.out], count.result, value))
    block.add_op(func.ReturnOp())
    raised = func.FuncOp(fn.sym_name.data, (types, []), Region(block))
    for key in ("sass.arch", "sass.params", "sass.outputs"):
        raised.attributes[key] = fn.attributes[key]
    raised.attributes["sass.idiom"] = StringAttr("elementwise")
    return raised


def _params(fn: func.FuncOp) -> list[tuple[str, int]]:
    return [(p.data.split("@")[0], int(p.data.split("@")[1], 16))
            for p in fn.attributes["sass.params"].data]  # fmt: skip


def _warp_dot(fn: func.FuncOp) -> func.FuncOp:
    return raise_warp_dot(fn, _params(fn))


def _block_reduce(fn: func.FuncOp) -> func.FuncOp:
    return raise_block_reduce(fn, _params(fn))


def _gemm(fn: func.FuncOp) -> func.FuncOp:
    return raise_gemm(fn, _params(fn))


def _conv3x3(fn: func.FuncOp) -> func.FuncOp:
    return raise_conv3x3(fn, _params(fn))


def _row_softmax(fn: func.FuncOp) -> func.FuncOp:
    return raise_row_softmax(fn, _params(fn))


@dataclass(frozen=True)
class SassRaiseIdioms(ModulePass):
    """Raise every lifted kernel that is proven to be an idiom into a func of hub ops,
    in a nested module marked ``sass.raised``; the others keep only their lifted form
    (``sass.idiom = "none: <reason>"`` on the lifted func says why)."""

    name = "sass-raise-idioms"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raised = []
        for fn in list(op.walk()):
            if not isinstance(fn, func.FuncOp) or "sass.arch" not in fn.attributes:
                continue
            if "sass.idiom" in fn.attributes or fn.parent_op().attributes.get(RAISED_ATTR):
                continue
            reasons = []
            for prove in (raise_elementwise, _warp_dot, _block_reduce, _gemm, _conv3x3,
                          _row_softmax):
                try:
                    raised.append(prove(fn))
                except NoIdiom as why:
                    reasons.append(str(why))
                    continue
                fn.attributes["sass.idiom"] = raised[-1].attributes["sass.idiom"]
                break
            else:
                fn.attributes["sass.idiom"] = StringAttr(f"none: {'; '.join(reasons)}")
        if raised:
            module = ModuleOp(raised)
            module.attributes[RAISED_ATTR] = UnitAttr()
            op.body.block.add_op(module)
