"""``sass-build-cfg``: the control-flow graph of each ``sass.kernel``.

Leaders are the first instruction, every branch/call/BSSY target and every instruction
after a control transfer. Edges: BRA to its target (and to the next block when guarded),
a ``BRA.U`` whose predicate is an operand (sm_100+) is guarded the same way. EXIT/RET end a path (guarded ones fall through), CALL and BSSY/BSYNC fall through (the
callee and the reconvergence point are recorded as ``call``/``sync`` edges). The result is
the kernel attribute ``sass.cfg``: one ``[start, end, succ...]`` address list per block,
and ``sass.calls``/``sass.syncs`` for the other edges.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects.sass.abi import instructions
from switcheroo.dialects.sass.attrs import ImmAttr, TargetAttr
from switcheroo.dialects.sass.ops import KernelOp, LabelOp, SassInstructionOp
from switcheroo.dialects.sass.registers import PredicateType, UniformPredicateType
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, i64
from xdsl.passes import ModulePass

_BRANCHES = {"BRA", "JMP", "BRX"}
_ENDS = {"EXIT", "RET", "KILL"}
_TARGETED = _BRANCHES | {"CALL", "BSSY"}


def _label_addresses(kernel: KernelOp) -> dict[str, int]:
    """Label -> address of the instruction that follows it."""
    out: dict[str, int] = {kernel.sym_name.data: 0}
    pending: list[str] = []
    for op in kernel.body.block.ops:
        if isinstance(op, LabelOp):
            pending.append(op.label.data)
        elif isinstance(op, SassInstructionOp):
            for name in pending:
                out.setdefault(name, op.addr.value.data)
            pending.clear()
    return out


def branch_condition(op: SassInstructionOp):
    """The predicate operand of a branch (``BRA.U !UP0, `(.L_x_12)``, sm_100+: the
    condition is an operand, not a ``@P`` guard), or None."""
    for a in op.args.data:
        if isinstance(getattr(a, "reg", a), PredicateType | UniformPredicateType):
            return a
    return None


def branch_target(op: SassInstructionOp, labels: dict[str, int]) -> int | None:
    """The address a branch, call or BSSY refers to (symbolic or absolute form)."""
    for a in reversed(op.args.data):
        if isinstance(a, TargetAttr):
            return labels.get(a.symbol.data)
        if isinstance(a, ImmAttr):
            return int(a.value)
    return None


def build_cfg(kernel: KernelOp) -> tuple[list[list[int]], list[list[int]], list[list[int]]]:
    """Blocks ``[start, end, succ...]``, call edges and BSSY edges ``[from, to]``."""
    ins = instructions(kernel)
    if not ins:
        return [], [], []
    labels = _label_addresses(kernel)
    leaders = {ins[0].addr.value.data}
    calls: list[list[int]] = []
    syncs: list[list[int]] = []
    for i, op in enumerate(ins):
        base = op.base_opcode
        nxt = ins[i + 1].addr.value.data if i + 1 < len(ins) else None
        if base in _TARGETED:
            t = branch_target(op, labels)
            if t is not None:
                leaders.add(t)
                if base == "CALL":
                    calls.append([op.addr.value.data, t])
                elif base == "BSSY":
                    syncs.append([op.addr.value.data, t])
        if (base in _BRANCHES or base in _ENDS or base == "CALL") and nxt is not None:
            leaders.add(nxt)
    blocks: list[list[int]] = []
    start = 0
    for i, op in enumerate(ins):
        last = i + 1 == len(ins) or ins[i + 1].addr.value.data in leaders
        if not last:
            continue
        nxt = ins[i + 1].addr.value.data if i + 1 < len(ins) else None
        base = op.base_opcode
        succ: list[int] = []
        if base in _BRANCHES:
            t = branch_target(op, labels)
            if t is not None:
                succ.append(t)
        guarded = (
            op.pred is not None
            or (base in _BRANCHES and (not succ or branch_condition(op) is not None))
        )
        if nxt is not None and (base not in _BRANCHES | _ENDS or guarded):
            succ.append(nxt)
        blocks.append([ins[start].addr.value.data, op.addr.value.data, *succ])
        start = i + 1
    return blocks, calls, syncs


def _attr(rows: list[list[int]]) -> ArrayAttr:
    return ArrayAttr([ArrayAttr([IntegerAttr(v, i64) for v in r]) for r in rows])


@dataclass(frozen=True)
class SassBuildCfg(ModulePass):
    """Attach the control-flow graph to every kernel (``sass.cfg``, ``sass.calls``,
    ``sass.syncs``)."""

    name = "sass-build-cfg"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in op.walk():
            if isinstance(kernel, KernelOp):
                blocks, calls, syncs = build_cfg(kernel)
                kernel.attributes["sass.cfg"] = _attr(blocks)
                kernel.attributes["sass.calls"] = _attr(calls)
                kernel.attributes["sass.syncs"] = _attr(syncs)
