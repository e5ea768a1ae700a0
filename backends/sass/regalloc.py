"""Machine code of the SASS backend over virtual registers, and its linear-scan allocator.

Instruction selection (``isa_select.py``) writes ``MInstr``s whose operands are virtual
registers (``VReg``: a 32-bit GPR ``r``, an aligned 64-bit pair ``r2``, a predicate
``p``), halves of pairs, and fixed parse-model operands (``RZ``, ``PT``, immediates,
constant-bank words). ``allocate`` maps every virtual register to a physical one by
linear scan (Poletto & Sarkar): live intervals over the linearised block order, from
block-level liveness (so values live around a loop cover the whole loop), one interval per
register. GPRs are ``R0 .. R(limit-1)`` (``RZ`` is R255 from sm_70 on, so the limit is 255),
pairs start at an even register, predicates are ``P0 .. P6``. There is no spilling: when
the registers run out, ``RegisterAllocationError`` says so in one line.
Same shape as xDSL's ``xdsl/backend/riscv/register_allocation.py`` (live ranges walked in
order, a free pool per register file, an error instead of a silent spill).
"""

from __future__ import annotations

from dataclasses import dataclass, field

GPR_LIMIT = 255  # R0..R254; R255 is RZ (sm_70 and newer)
PREDICATE_LIMIT = 7  # P0..P6; P7 is PT


@dataclass(eq=False)
class VReg:
    """A virtual register: ``r`` (32-bit), ``r2`` (64-bit aligned pair) or ``p``."""

    cls: str
    id: int

    def __repr__(self) -> str:
        return f"%{self.cls}{self.id}"


@dataclass(frozen=True)
class Half:
    """The low (``hi=False``) or high word of a pair."""

    reg: VReg
    hi: bool


@dataclass(frozen=True)
class Pre:
    """An operand with a ``-`` / ``!`` / ``~`` prefix."""

    prefix: str
    inner: object


@dataclass(frozen=True)
class Lane:
    """The low fp16 lane of a 32-bit register, read as ``Rn.H0_H0``."""

    reg: object


@dataclass(frozen=True)
class MemV:
    """A memory operand ``[Rn.64]`` (a pair) or ``[Rn]`` (a 32-bit shared address)."""

    base: object


@dataclass(eq=False)
class MInstr:
    """One machine instruction: ``ops`` are printed in order, the first ``ndefs`` are
    written; ``guard`` is ``(predicate VReg or None for PT, negated)``; ``effect`` marks
    instructions that dead-code elimination must keep (memory, control, barriers)."""

    opcode: str
    ops: list
    ndefs: int = 1
    guard: tuple | None = None
    effect: bool = False


@dataclass(eq=False)
class MBlock:
    """A machine basic block: its label (None when only reached by fall-through), its
    instructions and successor labels (``None`` stands for the exit)."""

    label: str | None
    instrs: list[MInstr] = field(default_factory=list)
    succs: list[str] = field(default_factory=list)
    falls_through: bool = False


class RegisterAllocationError(ValueError):
    """The kernel needs more registers than the architecture has (no spilling)."""


def _regs_of(x) -> list[VReg]:
    match x:
        case VReg():
            return [x]
        case Half() | Pre() | MemV() | Lane():
            return _regs_of(getattr(x, "reg", None) or getattr(x, "inner", None)
                            or getattr(x, "base", None))
    return []


def defs_of(ins: MInstr) -> list[VReg]:
    return [r for op in ins.ops[: ins.ndefs] for r in _regs_of(op)]


def uses_of(ins: MInstr) -> list[VReg]:
    out = [r for op in ins.ops[ins.ndefs :] for r in _regs_of(op)]
    if ins.guard is not None and ins.guard[0] is not None:
        out.append(ins.guard[0])
    return out


def eliminate_dead(blocks: list[MBlock]) -> None:
    """Drop side-effect-free instructions whose results nothing reads (to a fixed point)."""
    while True:
        used = {id(r) for b in blocks for ins in b.instrs for r in uses_of(ins)}
        dead = 0
        for b in blocks:
            keep = [i for i in b.instrs
                    if i.effect or any(id(r) in used for r in defs_of(i))]  # fmt: skip
            dead += len(b.instrs) - len(keep)
            b.instrs = keep
        if not dead:
            return


def live_intervals(blocks: list[MBlock]) -> dict[VReg, tuple[int, int]]:
    """One ``[start, end]`` per virtual register over the linearised order: a read at
    instruction k is position 2k, a write 2k+1; a register live into (out of) a block
    covers the block's first (last) position."""
    index = {b.label: i for i, b in enumerate(blocks) if b.label is not None}
    succs: list[list[int]] = []
    for i, b in enumerate(blocks):
        s = [index[t] for t in b.succs if t is not None]
        if b.falls_through and i + 1 < len(blocks):
            s.append(i + 1)
        succs.append(s)
    gen: list[set] = []
    kill: list[set] = []
    for b in blocks:
        g, k = set(), set()
        for ins in b.instrs:
            g |= {r for r in uses_of(ins) if r not in k}
            k |= set(defs_of(ins))
        gen.append(g)
        kill.append(k)
    live_in = [set(g) for g in gen]
    live_out: list[set] = [set() for _ in blocks]
    changed = True
    while changed:
        changed = False
        for i in reversed(range(len(blocks))):
            out = set().union(*(live_in[s] for s in succs[i])) if succs[i] else set()
            new_in = gen[i] | (out - kill[i])
            if out != live_out[i] or new_in != live_in[i]:
                live_out[i], live_in[i], changed = out, new_in, True
    spans: dict[VReg, list[int]] = {}

    def cover(r: VReg, pos: int) -> None:
        s = spans.setdefault(r, [pos, pos])
        s[0], s[1] = min(s[0], pos), max(s[1], pos)

    k = 0
    for i, b in enumerate(blocks):
        first = k
        for r in live_in[i]:
            cover(r, 2 * first)
        for ins in b.instrs:
            k += 1
            for r in uses_of(ins):
                cover(r, 2 * k)
            for r in defs_of(ins):
                cover(r, 2 * k + 1)
        for r in live_out[i]:
            cover(r, 2 * k + 2)
        k += 1
    return {r: (s[0], s[1]) for r, s in spans.items()}


def allocate(blocks: list[MBlock], gpr_limit: int = GPR_LIMIT, where: str = "kernel",
             ) -> dict[VReg, int]:  # fmt: skip
    """Physical register numbers for every virtual register (a pair gets its even low
    register). Raises ``RegisterAllocationError`` when a file runs out."""
    intervals = live_intervals(blocks)
    order = sorted(intervals, key=lambda r: (intervals[r][0], r.id))
    free = {"r": [True] * gpr_limit, "p": [True] * PREDICATE_LIMIT}
    active: list[VReg] = []
    phys: dict[VReg, int] = {}

    def cells(r: VReg) -> tuple[str, list[int]]:
        n = phys[r]
        return ("p", [n]) if r.cls == "p" else ("r", [n, n + 1] if r.cls == "r2" else [n])

    for r in order:
        start = intervals[r][0]
        for a in [a for a in active if intervals[a][1] < start]:
            active.remove(a)
            file, cs = cells(a)
            for c in cs:
                free[file][c] = True
        file = "p" if r.cls == "p" else "r"
        pool = free[file]
        step, width = (2, 2) if r.cls == "r2" else (1, 1)
        n = next((k for k in range(0, len(pool) - width + 1, step)
                  if all(pool[k : k + width])), None)  # fmt: skip
        if n is None:
            kind = "predicates" if file == "p" else f"registers (R0..R{gpr_limit - 1})"
            raise RegisterAllocationError(
                f"{where}: out of {kind}: {sum(1 for a in active if (a.cls == 'p') == (file == 'p'))}"
                f" values live at once; the SASS backend does not spill")
        phys[r] = n
        for c in range(n, n + width):
            pool[c] = False
        active.append(r)
    return phys
