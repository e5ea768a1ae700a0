"""``sass-lift``: each ``sass.kernel`` -> a per-thread ``func.func`` in SSA form.

Basic blocks follow the kernel's control flow (``sass-build-cfg``'s leaders, plus a split
after every ``BAR.SYNC`` so a barrier always ends a block). Each instruction lifts to
``arith``/``math`` ops (semantics in ``sass_semantics.py``), ``cf`` branches, ``gpu`` index
ops and the per-thread ``sass.load``/``store``/``atomic``/``shfl``/``param`` ops.

Registers become SSA values: within a block a read sees the last write; a read of a
register the block has not written yet becomes a block argument, and the predecessors'
branches pass their value of it (iterated to a fixed point: this is the usual "maximal
SSA on demand" construction, then trimmed by xDSL's dead-code elimination). A guarded
instruction (``@P0 ...``) computes its result and selects between it and the old value;
guarded memory ops take the guard as their access mask (loads and atomics with a result
also select, so a thread whose guard fails keeps its register). ``CALL``/``RET`` to a local
subroutine become a branch and a ``cf.switch`` over the return addresses. Registers read
before any write (undefined on the GPU) start as zero. What cannot be lifted becomes a
``sass.unmapped`` op with its text and line, and counts in ``sass.unmapped`` on the func.

The func is named as the kernel and carries ``sass.arch``, ``sass.block_addr`` (the
address of each block, in order: the emulator's program counter), ``sass.params`` typed by
use (``sass_param_use.py``; also written back to the kernel, replacing the bank-read guess
of ``sass-recover-params``) and ``sass.outputs`` (the pointers it writes); a kernel with ``CALL`` also carries
``sass.callees`` (``"0x720:<symbol>"``: each called address and its label, if any).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from switcheroo.dialects.sass.abi import abi_for, instructions
from switcheroo.dialects.sass.ops import KernelOp, SassInstructionOp
from switcheroo.passes.sass_build_cfg import (
    _label_addresses,
    branch_condition,
    branch_target,
    build_cfg,
)
from switcheroo.passes.sass_param_use import analyse
from switcheroo.passes.sass_semantics import Lifter, lift_instruction
from xdsl.context import Context
from xdsl.dialects import arith, cf, func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    TensorType,
    UnitAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    i1,
    i32,
    i64,
)
from xdsl.ir import Block, Region, SSAValue
from xdsl.passes import ModulePass

ARCH_ATTR = "sass.arch"
LIFTED_ATTR = "sass.lifted"


@dataclass
class _Blk:
    """One basic block being lifted: its instructions, xDSL block, live-in arguments
    (register -> block argument) and the register values at its end."""

    addr: int
    ins: list[SassInstructionOp]
    block: Block = field(default_factory=Block)
    live_in: dict[str, SSAValue] = field(default_factory=dict)
    out: dict[str, SSAValue] = field(default_factory=dict)
    succ: list[int] = field(default_factory=list)


def _partition(kernel: KernelOp) -> list[list[SassInstructionOp]]:
    ins = instructions(kernel)
    leaders = {row[0] for row in build_cfg(kernel)[0]}
    for i, op in enumerate(ins[:-1]):
        if op.base_opcode == "BAR" or op.base_opcode == "CALL":
            leaders.add(ins[i + 1].addr.value.data)
    groups: list[list[SassInstructionOp]] = []
    for op in ins:
        if op.addr.value.data in leaders or not groups:
            groups.append([])
        groups[-1].append(op)
    return groups


def _reg_type(name: str):
    return i1 if name.startswith(("P", "UP")) else i32


def lift_kernel(kernel: KernelOp, arch: str) -> tuple[func.FuncOp, int]:
    """The lifted function of one kernel and the number of unmapped instructions."""
    labels = _label_addresses(kernel)
    blks = [_Blk(g[0].addr.value.data, g) for g in _partition(kernel)]
    index = {b.addr: i for i, b in enumerate(blks)}
    exit_block = Block()
    exit_block.add_op(func.ReturnOp())
    return_sites = [
        op.addr.value.data + 16
        for b in blks
        for op in b.ins
        if op.base_opcode == "CALL"
    ]
    lifter = Lifter(abi_for(arch), arch)
    unmapped = 0
    terminators: list = []
    for i, b in enumerate(blks):
        lifter.begin(b.block, b.live_in, b.out, entry=i == 0)
        for op in b.ins:
            lift_instruction(lifter, op)
        unmapped += lifter.unmapped
        nxt = blks[i + 1].addr if i + 1 < len(blks) else None
        terminators.append(_terminator(b, lifter, labels, nxt, return_sites))
    # Fixed point: every predecessor must provide each live-in of its successors.
    preds: dict[int, list[_Blk]] = {i: [] for i in range(len(blks))}
    for b, term in zip(blks, terminators):
        for s in term.targets:
            if s is not None:
                preds[index[s]].append(b)
    changed = True
    while changed:
        changed = False
        for i, b in enumerate(blks):
            for reg in list(b.live_in):
                for p in preds[i]:
                    if reg not in p.out and reg not in p.live_in and p is not blks[0]:
                        p.live_in[reg] = p.block.insert_arg(_reg_type(reg), len(p.block.args))
                        changed = True
    for b, term in zip(blks, terminators):
        term.emit(b, blks, index, exit_block)
    region = Region([b.block for b in blks] + [exit_block])
    fn = func.FuncOp(kernel.sym_name.data, ((), ()), region)
    fn.attributes[ARCH_ATTR] = StringAttr(arch)
    fn.attributes["sass.block_addr"] = ArrayAttr([IntegerAttr(b.addr, i64) for b in blks])
    callees = sorted({branch_target(op, labels) for b in blks for op in b.ins
                      if op.base_opcode == "CALL"} - {None})  # fmt: skip
    if callees:  # the subroutines' symbols (``sass_row_softmax`` reads the reciprocal's)
        names = {addr: name for name, addr in labels.items()}
        fn.attributes["sass.callees"] = ArrayAttr(
            [StringAttr(f"{a:#x}:{names.get(a, '')}") for a in callees])
    fn.attributes["sass.unmapped"] = IntegerAttr(unmapped, i64)
    params, written = analyse(fn)
    typed = ArrayAttr([StringAttr(f"{kind}@{off:#x}") for kind, off in params])
    fn.attributes["sass.params"] = kernel.attributes["sass.params"] = typed
    fn.attributes["sass.outputs"] = ArrayAttr([IntegerAttr(o, i64) for o in sorted(written)])
    return fn, unmapped


@dataclass
class _Term:
    """How a block ends: ``kind`` is br/cond/exit/switch; ``targets`` are addresses
    (None = the function exit)."""

    kind: str
    targets: list[int | None]
    cond: SSAValue | None = None
    cases: list[int] = field(default_factory=list)

    def emit(self, b: _Blk, blks, index, exit_block: Block) -> None:
        def value(reg: str) -> SSAValue:
            v = b.out.get(reg)
            if v is None:
                v = b.live_in.get(reg)
            if v is None:  # only in the entry block: undefined on the GPU, zero here
                const = arith.ConstantOp(IntegerAttr(0, _reg_type(reg)))
                b.block.add_op(const)
                v = b.out[reg] = const.result
            return v

        def dest(addr):
            if addr is None:
                return exit_block, []
            t = blks[index[addr]]
            return t.block, [value(r) for r in t.live_in]

        if self.kind == "br":
            blk, args = dest(self.targets[0])
            b.block.add_op(cf.BranchOp(blk, *args))
        elif self.kind == "cond":
            (tb, ta), (fb, fa) = dest(self.targets[0]), dest(self.targets[1])
            b.block.add_op(cf.ConditionalBranchOp(self.cond, tb, ta, fb, fa))
        else:  # switch over return addresses
            dests = [dest(a) for a in self.targets[1:]]
            values = DenseIntOrFPElementsAttr.from_list(
                TensorType(i32, [len(self.cases)]), self.cases)
            default_blk, default_args = dest(None)
            b.block.add_op(
                cf.SwitchOp(self.cond, default_blk, default_args, values,
                            [d[0] for d in dests], [d[1] for d in dests])
            )


def _terminator(b: _Blk, lifter: Lifter, labels, nxt, return_sites) -> _Term:
    last = b.ins[-1]
    base = last.base_opcode
    guard = lifter.guard_value(last)
    if base in ("BRA", "JMP"):
        t = branch_target(last, labels)
        cond = branch_condition(last)
        if cond is not None:  # BRA.U !UP0, target (sm_100+): the condition is an operand
            c = lifter.pred(cond)
            guard = c if guard is None else lifter.add(arith.AndIOp(guard, c))
        if guard is None or nxt is None:
            return _Term("br", [t])
        return _Term("cond", [t, nxt], guard)
    if base in ("EXIT", "KILL"):
        if guard is None or nxt is None:
            return _Term("br", [None])
        return _Term("cond", [None, nxt], guard)
    if base == "CALL":
        return _Term("br", [branch_target(last, labels)])
    if base == "RET":
        reg = lifter.read_reg(last.args.data[0])
        return _Term("switch", [None, *return_sites], reg, list(return_sites))
    return _Term("br", [nxt])


@dataclass(frozen=True)
class SassLift(ModulePass):
    """Add a lifted per-thread ``func.func`` (SSA, arith/math/cf/gpu + sass memory ops)
    for every ``sass.kernel`` of the module, in a nested ``builtin.module`` marked
    ``sass.lifted`` after the kernels."""

    name = "sass-lift"

    arch: str = ""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        arch = self.arch or getattr(op.attributes.get(ARCH_ATTR), "data", "")
        if not arch:
            raise ValueError("sass-lift: no sass.arch on the module; pass arch=sm_XX")
        fns = [lift_kernel(k, arch)[0] for k in op.ops if isinstance(k, KernelOp)]
        # A nested module: its own symbol table, so each func is named as its kernel.
        lifted = ModuleOp(fns)
        lifted.attributes[LIFTED_ATTR] = UnitAttr()
        op.body.block.add_op(lifted)
