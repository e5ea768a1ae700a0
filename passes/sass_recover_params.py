"""``sass-recover-params``: a kernel's parameters from its constant-bank reads.

Per the architecture's ABI (dialects/sass/abi.py), bank-0 words from ``param_base`` on are
parameters. A word read 64 bits wide (``LDC.64``, ``ULDC.64``, an ``IMAD.WIDE`` addend),
or copied with the word after it into a register pair used as an address, is a pointer; other words are 32-bit scalars, ``f32``
when a float instruction reads them and ``i32`` otherwise. The result is the kernel
attribute ``sass.params``: ``["ptr@0x210", "ptr@0x218", "i32@0x228", ...]`` in offset order.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects.sass.abi import abi_for, bank0_offset, instructions
from switcheroo.dialects.sass.attrs import MemAttr, RegUseAttr
from switcheroo.dialects.sass.ops import KernelOp
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr
from xdsl.passes import ModulePass

_COPIES = {"MOV", "LDC", "ULDC", "LDCU", "UMOV"}
_FLOAT_OPS = {"FADD", "FMUL", "FFMA", "FMNMX", "FSETP", "FSEL", "MUFU", "FCHK"}
ARCH_ATTR = "sass.arch"


def recover_params(kernel: KernelOp, arch: str) -> list[tuple[str, int]]:
    """``(kind, offset)`` of each parameter the kernel reads, in offset order."""
    base = abi_for(arch).param_base
    wide: set[int] = set()
    words: set[int] = set()
    floats: set[int] = set()
    loaded_into: dict[int, str] = {}  # offset -> register a MOV/LDC copied it into
    float_regs: set[str] = set()
    pair_bases: set[str] = set()  # registers used as 64-bit addresses: [R2.64]
    for ins in instructions(kernel):
        args = ins.args.data
        is_float = ins.base_opcode in _FLOAT_OPS
        if is_float:
            float_regs.update(r.data for a in args[1:] if (r := getattr(a, "register_name", None)))
        wide_load = "64" in ins.modifiers and ins.base_opcode in _COPIES
        for i, a in enumerate(args):
            if isinstance(a, MemAttr):
                pair_bases.update(_pair_bases(a))
            off = bank0_offset(a)
            if off is None or off < base:
                continue
            words.add(off)
            # LDC.64 reads 64 bits; IMAD.WIDE's addend (its last operand) is 64-bit.
            if wide_load or (
                ins.base_opcode == "IMAD" and "WIDE" in ins.modifiers and i == len(args) - 1
            ):
                wide.add(off)
            if is_float:
                floats.add(off)
            if ins.base_opcode in _COPIES and (dst := getattr(args[0], "register_name", None)):
                loaded_into.setdefault(off, dst.data)
    floats.update(off for off, reg in loaded_into.items() if reg in float_regs)
    params: list[tuple[str, int]] = []
    seen: set[int] = set()
    for off in sorted(words | wide):
        if off in seen:
            continue
        lo, hi = loaded_into.get(off), loaded_into.get(off + 4)
        if off in wide or (lo in pair_bases and _register_pair(lo, hi)):
            params.append(("ptr", off))
            seen.update((off, off + 4))
        else:
            params.append(("f32" if off in floats else "i32", off))
            seen.add(off)
    return params


def _pair_bases(mem: MemAttr) -> set[str]:
    out = set()
    for t in mem.terms.data:
        if isinstance(t, RegUseAttr) and "64" in [x.data for x in t.suffixes.data]:
            out.add(t.reg.register_name.data)
    return out


def _register_pair(lo: str | None, hi: str | None) -> bool:
    """Whether two words were copied into an aligned register pair (R2, R3): the two
    halves of one 64-bit pointer."""
    if not lo or not hi:
        return False
    for file in ("UR", "R"):
        if lo.startswith(file) and hi.startswith(file):
            a, b = lo[len(file) :], hi[len(file) :]
            return a.isdigit() and b.isdigit() and int(a) % 2 == 0 and int(b) == int(a) + 1
    return False


@dataclass(frozen=True)
class SassRecoverParams(ModulePass):
    """Attach ``sass.params`` to every kernel, using the module's ``sass.arch``."""

    name = "sass-recover-params"

    arch: str = ""
    """Overrides the module's ``sass.arch`` (for listings without a ``.target`` line)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        arch = self.arch or getattr(op.attributes.get(ARCH_ATTR), "data", "")
        if not arch:
            raise ValueError("sass-recover-params: no sass.arch on the module; pass arch=sm_XX")
        for kernel in op.walk():
            if isinstance(kernel, KernelOp):
                params = recover_params(kernel, arch)
                kernel.attributes["sass.params"] = ArrayAttr(
                    [StringAttr(f"{kind}@{off:#x}") for kind, off in params]
                )
