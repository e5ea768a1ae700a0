"""The ISA backend: lifted SASS (``sass-lift`` output) -> SASS listing text again.

Per lifted kernel: instruction selection (``isa_select.py``) over virtual registers,
dead-code elimination, linear-scan register allocation (``regalloc.py``, within the
architecture's 255 GPRs and 7 predicates, no spilling), then one ``sass`` dialect module
in nvdisasm ``-c`` layout (``.target``, one ``.section .text.NAME`` per kernel with
``SHI_REGISTERS``, 16-byte instruction addresses, ``.L_x_N`` labels), printed by
``printer.py``. The text parses back with our grammar (``frontends/sass``) and lifts
again; ``tests/sass/test_isa_backend.py`` checks that the re-lifted kernels compute what
the originals compute.

    swc-translate k.sass --from sass --to sass      # sass-lift, then this target
    swc-opt -p sass-lift -t swc-sass dump.mlir
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, ClassVar

from switcheroo.backends.sass.isa_select import select_function
from switcheroo.backends.sass.printer import print_sass
from switcheroo.backends.sass.regalloc import (
    GPR_LIMIT,
    Half,
    Lane,
    MBlock,
    MemV,
    Pre,
    VReg,
    allocate,
    eliminate_dead,
)
from switcheroo.frontends.sass.lower import lower_listing
from switcheroo.frontends.sass.model import Directive, Instr, Label, Line, Listing, Mem, Other, Reg
from switcheroo.passes.sass_lift import LIFTED_ATTR
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target


@dataclass
class RegeneratedKernel:
    """One kernel's listing lines and its register use."""

    name: str
    lines: list[Line]
    registers: int  # GPRs used: highest R index + 1
    predicates: int  # highest P index + 1
    instructions: int = 0


def _operand(x, phys: dict[VReg, int]):
    match x:
        case VReg(cls="p"):
            return Reg(f"P{phys[x]}")
        case VReg():
            return Reg(f"R{phys[x]}")
        case Half(reg=r, hi=hi):
            return Reg(f"R{phys[r] + hi}")
        case Pre(prefix=p, inner=inner):
            r = _operand(inner, phys)
            return Reg(r.name, r.suffixes, p)
        case Lane(reg=r):
            return Reg(_operand(r, phys).name, ("H0_H0",))
        case MemV(base=b):
            r = _operand(b, phys)
            wide = isinstance(b, VReg) and b.cls == "r2" or r.name == "RZ"
            return Mem((Reg(r.name, ("64",)) if wide else r,))
    return x


def _dir(name: str, args: str | None = None, indent: str = "\t", sep: str = "\t") -> Directive:
    return Directive(name, args, None, [indent, sep])


def _fall_through(blocks: list[MBlock]) -> None:
    """Drop an unguarded ``BRA`` to the block laid out next."""
    for b, nxt in zip(blocks, blocks[1:]):
        last = b.instrs[-1] if b.instrs else None
        if last is not None and last.opcode == "BRA" and last.guard is None \
                and nxt.label is not None and last.ops[0].symbol == nxt.label:
            b.instrs.pop()
            b.succs.remove(nxt.label)
            b.falls_through = True


def regenerate_kernel(fn: func.FuncOp, gpr_limit: int = GPR_LIMIT) -> RegeneratedKernel:
    """Select, allocate and lay out one lifted kernel."""
    name = fn.sym_name.data
    arch = fn.attributes["sass.arch"].data  # type: ignore[attr-defined]  # StringAttr
    blocks: list[MBlock] = select_function(fn, arch)
    _fall_through(blocks)
    eliminate_dead(blocks)
    phys = allocate(blocks, gpr_limit, where=f"kernel {name}")
    body: list[Line] = []
    addr = 0
    for b in blocks:
        if b.label is not None:
            body.append(Label(b.label))
        for ins in b.instrs:
            guard = None
            if ins.guard is not None:
                reg, neg = ins.guard
                guard = f"@{'!' if neg else ''}{'PT' if reg is None else f'P{phys[reg]}'}"
            ops = tuple(_operand(o, phys) for o in ins.ops)
            if ins.opcode == "MOV" and guard is None and ops[0] == ops[1]:
                continue  # a copy the allocator coalesced
            pad = " " * max(1, 19 - len(guard + " " if guard else ""))
            body.append(Instr(f"{addr:04x}", ins.opcode, ops, (True,) * max(len(ops) - 1, 0),
                              guard, ["        ", pad, " "]))  # fmt: skip
            addr += 0x10
    end = f".L_x_{name}_end"
    body.append(Label(end))
    gprs = [phys[r] + (r.cls == "r2") for r in phys if r.cls != "p"]
    preds = [phys[r] for r in phys if r.cls == "p"]
    nregs = max(gprs, default=-1) + 1
    head: list[Line] = [
        Other("comment", f"//--------------------- .text.{name:<20s} --------------------------"),
        _dir(".section", f'.text.{name},"ax",@progbits'),
        _dir(".sectioninfo", f'@"SHI_REGISTERS={nregs}"'),
        _dir(".align", "128"),
        _dir(".global", name, " " * 8, " " * 9),
        _dir(".type", f"{name},@function", " " * 8, " " * 11),
        _dir(".size", f"{name},({end} - {name})", " " * 8, " " * 11),
        _dir(".other", f'{name},@"STO_CUDA_ENTRY STV_DEFAULT"', " " * 8, " " * 10),
        Label(name),
        Label(f".text.{name}"),
    ]
    return RegeneratedKernel(name, head + body, nregs, max(preds, default=-1) + 1, addr // 16)


def lifted_functions(module: ModuleOp) -> list[func.FuncOp]:
    """The per-thread kernels ``sass-lift`` added (not the raised forms)."""
    return [op for inner in module.ops if isinstance(inner, ModuleOp)
            and LIFTED_ATTR in inner.attributes
            for op in inner.ops if isinstance(op, func.FuncOp)]  # fmt: skip


def regenerate(module: ModuleOp, gpr_limit: int = GPR_LIMIT) -> tuple[ModuleOp, list[RegeneratedKernel]]:
    """A ``sass`` dialect module (one ``sass.kernel`` per lifted kernel) and the per-kernel
    register counts. Raises ``SelectionError``/``RegisterAllocationError`` (one line)."""
    fns = lifted_functions(module)
    if not fns:
        raise ValueError("sass isa backend: no lifted kernels (run sass-lift first)")
    arch = fns[0].attributes["sass.arch"].data  # type: ignore[attr-defined]  # StringAttr
    lines: list[Line] = [_dir(".target", arch), Other("blank", ""), _dir(".elftype", '@"ET_EXEC"'),
                         Other("blank", ""), Other("blank", "")]  # fmt: skip
    kernels = [regenerate_kernel(fn, gpr_limit) for fn in fns]
    for k in kernels:
        lines += k.lines
    return lower_listing(Listing(lines)), kernels


@dataclass(frozen=True)
class SassIsaTarget(Target):
    """``swc-sass``: the lifted kernels of the module as an nvdisasm ``-c`` style listing."""

    name: ClassVar[str] = "swc-sass"
    gpr_limit: int = field(default=GPR_LIMIT)

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str], report=None) -> None:
        listing, _ = regenerate(module, self.gpr_limit)
        print_sass(listing, output)
