"""Lock-step symbolic evaluation of one thread block of a lifted SASS kernel.

For a concrete 1-D block size ``B`` every thread ``tid.x = 0 .. B-1`` of one block runs
the lifted func (``sass-lift``) with concrete launch values (``ntid.x = B``, the y/z
indices 0, their dimensions 1) and symbolic ones: ``ctaid.x``, ``nctaid.x``, parameter
words, pointers and the uniform ``SR_CgaCtaId`` are polynomial leaves (``sass_affine``).
Scheduling is the emulator's: the threads at the lowest block run it together; a
``gpu.barrier`` must be reached by every live thread at once, and a shared cell that one
thread writes and another touches between two barriers is a race (no proof).

Values (``sass_block_values.py``) are hashable, so work that is uniform across the
block's threads is done once (``_memo``); a load of ``p[i]`` is one element atom, a
masked-off load (0 in ``sass.load``'s semantics) nothing, and the lifter's select keeps
the register's old value there; a guarded float op is computed in every thread, so where
its operands are no floats, or reductions of different kinds, it is ``Poison`` (dropped
by the select; any use stops the proof), and so is FMNMX's minimum, which its select
drops; uninitialised shared cells may not be read.

Branches must be concrete per thread (a symbolic one ends the evaluation: no proof);
the result lists every executed global side effect (``Effect``) by thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects.sass.lifted import AtomicOp, LoadOp, StoreOp
from switcheroo.passes import sass_affine as affine
from switcheroo.passes.sass_block_values import (
    Acc,
    Lin,
    Lit,
    Poison,
    Sel,
    _bits_to_float,
    _float_bits,
    _float_const,
    _integer,
    _logic,
    _poly,
    _width,
    as_acc,
    assume,
    combine,
    compare,
    negate,
    select,
    under,
)
from switcheroo.passes.sass_recover_loops import reachable
from switcheroo.passes.sass_warp_reduce import NoIdiom
from xdsl.dialects import arith, cf, func, gpu
from xdsl.dialects.builtin import IntegerType
from xdsl.ir import Block

MAX_STEPS = 4_000_000


@dataclass
class Effect:
    """A global side effect one thread executed (``op`` is the lifted op)."""

    tid: int
    op: object
    addr: object
    value: object


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
        # Hooks (None: plain evaluation): ``jump(succ, args, t, env)`` may return the block
        # to continue at instead of ``succ`` (its arguments set in ``env``), e.g. to step
        # over a proven loop; ``branch(op, cond, t, env)`` the same for a ``cf.cond_br``
        # (called before its condition must be concrete).
        self.jump = None
        self.branch = None

    def run(self) -> BlockEval:
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
                return self._jump(op.successor, [env[a] for a in op.arguments], env, t)
            elif tag == "cbr":
                c = env[op.cond]
                if self.branch is not None:
                    nxt = self.branch(op, c, t, env)
                    if nxt is not None:
                        return nxt
                if not isinstance(c, bool | int):
                    raise NoIdiom("branch on a symbolic condition")
                succ, args = ((op.then_block, op.then_arguments) if c
                              else (op.else_block, op.else_arguments))  # fmt: skip
                return self._jump(succ, [env[a] for a in args], env, t)
            elif tag == "ret":
                return None
            elif tag == "mem":
                self._memory(op, t, env, tuple(env[o] for o in operands))
            else:
                env[results[0]] = t if op.dimension.data.value == "x" else 0
        raise NoIdiom("block without terminator")

    def _jump(self, succ: Block, args: list, env: dict, t: int) -> Block:
        if self.jump is not None:
            nxt = self.jump(succ, args, t, env)
            if nxt is not None:
                return nxt
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
            c = vals[sels[0]].cond
            a = self._pure(op, tuple(assume(v, c) for v in vals))
            b = self._pure(op, tuple(assume(v, negate(c)) for v in vals))
            return tuple(select(c, x, y) for x, y in zip(a, b))
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
            case "arith.addf" | "arith.maxnumf":
                try:
                    a, b = as_acc(vals[0]), as_acc(vals[1])
                    return combine(a, b, "add" if name == "arith.addf" else "max")
                except NoIdiom as why:
                    # a guarded FADD/FMNMX is computed in every thread and selected:
                    # the threads that drop it may hold anything (poison until used)
                    return Poison(str(why))
            case "arith.minnumf":
                # FMNMX computes both and selects on its predicate: no reduction here
                # is a minimum, so one that is used stops the proof
                return Poison("minimum of floats")
            case "arith.cmpi":
                pred = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
                return compare(pred, vals[0], vals[1], _width(op.lhs))
        if name in ("arith.xori", "arith.andi", "arith.ori") and _width(op.results[0]) == 1:
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
