"""``sass-recover-thread-ids``: name the launch values an instruction reads.

``S2R``/``S2UR`` of ``SR_TID.*``/``SR_CTAID.*`` read ``threadIdx``/``blockIdx``; bank-0
words at the ABI's ``block_dim``/``grid_dim`` offsets are ``blockDim``/``gridDim``. Each
such instruction gets ``sass.reads = "threadIdx.x"`` (and so on), and the kernel gets
``sass.launch``: the sorted list of launch values it uses, e.g. the grid dimensions a
decompiled function must loop over.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects.sass.abi import abi_for, bank0_offset, instructions
from switcheroo.dialects.sass.ops import KernelOp
from switcheroo.dialects.sass.registers import SpecialRegisterType
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr
from xdsl.passes import ModulePass

_SPECIAL = {"SR_TID": "threadIdx", "SR_CTAID": "blockIdx", "SR_NTID": "blockDim",
            "SR_NCTAID": "gridDim"}  # fmt: skip
ARCH_ATTR = "sass.arch"


def launch_value(attr, arch: str) -> str | None:
    """``'threadIdx.x'`` etc. for an operand that reads a launch value, else None."""
    if isinstance(attr, SpecialRegisterType):
        reg, _, comp = attr.register_name.data.partition(".")
        name = _SPECIAL.get(reg)
        return f"{name}.{comp.lower()}" if name and comp else None
    off = bank0_offset(attr)
    if off is None:
        return None
    abi = abi_for(arch)
    for name, base in (("blockDim", abi.block_dim), ("gridDim", abi.grid_dim)):
        if base <= off < base + 12 and (off - base) % 4 == 0:
            return f"{name}.{'xyz'[(off - base) // 4]}"
    return None


@dataclass(frozen=True)
class SassRecoverThreadIds(ModulePass):
    """Tag reads of threadIdx/blockIdx/blockDim/gridDim and list them on the kernel."""

    name = "sass-recover-thread-ids"

    arch: str = ""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        arch = self.arch or getattr(op.attributes.get(ARCH_ATTR), "data", "")
        if not arch:
            raise ValueError("sass-recover-thread-ids: no sass.arch; pass arch=sm_XX")
        for kernel in op.walk():
            if not isinstance(kernel, KernelOp):
                continue
            used: set[str] = set()
            for ins in instructions(kernel):
                names = [v for a in ins.args.data[1:] if (v := launch_value(a, arch))]
                if names:
                    ins.attributes["sass.reads"] = StringAttr(",".join(names))
                    used.update(names)
            kernel.attributes["sass.launch"] = ArrayAttr([StringAttr(n) for n in sorted(used)])
