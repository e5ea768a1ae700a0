"""The constant-bank ABI of CUDA kernels, per architecture, and helpers the SASS passes
share (instructions of a kernel, constant-bank offsets, branch targets).

Bank 0 holds the launch configuration and the kernel parameters. The offsets below are
read off nvcc 13 output (../shared/corpus/sass): blockDim.{x,y,z} then gridDim.{x,y,z} as
six 32-bit words, and the parameters from ``param_base`` on, laid out with C alignment.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects.sass.attrs import CBankAttr, ImmAttr
from switcheroo.dialects.sass.ops import KernelOp, SassInstructionOp


@dataclass(frozen=True)
class CBankAbi:
    """Where bank 0 keeps the launch dimensions and where the parameters start."""

    block_dim: int
    grid_dim: int
    param_base: int


_ABI_BY_MIN_SM: tuple[tuple[int, CBankAbi], ...] = (
    (100, CBankAbi(block_dim=0x360, grid_dim=0x370, param_base=0x380)),
    (90, CBankAbi(block_dim=0x0, grid_dim=0xC, param_base=0x210)),
    (70, CBankAbi(block_dim=0x0, grid_dim=0xC, param_base=0x160)),
)


def sm_number(arch: str) -> int:
    """``'sm_90a'`` -> 90."""
    digits = "".join(ch for ch in arch.removeprefix("sm_") if ch.isdigit())
    if not digits:
        raise ValueError(f"not an NVIDIA architecture: {arch!r}")
    return int(digits)


def abi_for(arch: str) -> CBankAbi:
    """The bank-0 layout of ``arch`` (sm_70 and newer)."""
    sm = sm_number(arch)
    for min_sm, abi in _ABI_BY_MIN_SM:
        if sm >= min_sm:
            return abi
    raise ValueError(f"{arch}: architectures before sm_70 are not supported")


def instructions(kernel: KernelOp) -> list[SassInstructionOp]:
    return [op for op in kernel.body.block.ops if isinstance(op, SassInstructionOp)]


def bank0_offset(attr) -> int | None:
    """The byte offset of a ``c[0x0][imm]`` read (``c[0x0][RZ]`` is offset 0), else None."""
    if not isinstance(attr, CBankAttr) or len(attr.bank.data) != 1:
        return None
    bank = attr.bank.data[0]
    if not isinstance(bank, ImmAttr) or bank.value != 0 or len(attr.offset.data) != 1:
        return None
    off = attr.offset.data[0]
    if isinstance(off, ImmAttr):
        return int(off.value)
    name = getattr(off, "register_name", None)
    return 0 if name is not None and name.data in ("RZ", "URZ") else None
