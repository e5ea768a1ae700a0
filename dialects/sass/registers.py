"""SASS register files as xDSL register types: ``!sass.r<R3>``, ``!sass.ur<UR4>``,
``!sass.p<P0>``, ``!sass.up<UP0>``, ``!sass.b<B0>``, ``!sass.sr<SR_TID.X>``.

Indices follow the encoding: the zero/true register of each file (``RZ``, ``URZ``,
``PT``, ``UPT``) has the highest index. Virtual registers (``%v3`` style, before
allocation) use each type's infinite-register prefix. Reference: NVIDIA CUDA Binary
Utilities, "Instruction Set Reference" (https://docs.nvidia.com/cuda/cuda-binary-utilities/).
"""

from __future__ import annotations

from abc import ABC

from xdsl.backend.register_type import RegisterType
from xdsl.dialects.builtin import NoneAttr
from xdsl.irdl import irdl_attr_definition

# Special registers the lifting passes understand; others still parse and verify.
SPECIAL_REGISTERS = (
    "SR_TID.X", "SR_TID.Y", "SR_TID.Z", "SR_CTAID.X", "SR_CTAID.Y", "SR_CTAID.Z",
    "SR_LANEID", "SR_CgaCtaId", "SR_CLOCKLO", "SR_CLOCKHI", "SR_GLOBALTIMERLO",
    "SR_GLOBALTIMERHI", "SR_SWINHI", "SR_LEMASK", "SR_LTMASK", "SR_GEMASK", "SR_GTMASK",
    "SR_EQMASK", "SR_NTID.X", "SR_NTID.Y", "SR_NTID.Z", "SR_NCTAID.X", "SR_NCTAID.Y",
    "SR_NCTAID.Z", "SR_WARPID", "SR_SMID", "SR_VIRTUALSMID",
)  # fmt: skip


class SassRegisterType(RegisterType, ABC):
    """A register of one SASS register file."""

    @classmethod
    def file(cls) -> str:
        """The listing prefix of this file (``R``, ``UR``, ``P``, ...)."""
        raise NotImplementedError()


def _file_index(prefix: str, count: int, zero: str) -> dict[str, int]:
    names = {f"{prefix}{i}": i for i in range(count)}
    names[zero] = count
    return names


@irdl_attr_definition
class GprType(SassRegisterType):
    """A 32-bit general-purpose register ``R0``..``R254``; ``RZ`` reads 0."""

    name = "sass.r"

    @classmethod
    def index_by_name(cls) -> dict[str, int]:
        return _file_index("R", 255, "RZ")

    @classmethod
    def infinite_register_prefix(cls) -> str:
        return "vr"

    @classmethod
    def file(cls) -> str:
        return "R"


@irdl_attr_definition
class UniformGprType(SassRegisterType):
    """A uniform (warp-wide) 32-bit register ``UR0``..``UR62``; ``URZ`` reads 0."""

    name = "sass.ur"

    @classmethod
    def index_by_name(cls) -> dict[str, int]:
        return _file_index("UR", 63, "URZ")

    @classmethod
    def infinite_register_prefix(cls) -> str:
        return "vur"

    @classmethod
    def file(cls) -> str:
        return "UR"


@irdl_attr_definition
class PredicateType(SassRegisterType):
    """A 1-bit predicate register ``P0``..``P6``; ``PT`` reads true."""

    name = "sass.p"

    @classmethod
    def index_by_name(cls) -> dict[str, int]:
        return _file_index("P", 7, "PT")

    @classmethod
    def infinite_register_prefix(cls) -> str:
        return "vp"

    @classmethod
    def file(cls) -> str:
        return "P"


@irdl_attr_definition
class UniformPredicateType(SassRegisterType):
    """A uniform predicate register ``UP0``..``UP6``; ``UPT`` reads true."""

    name = "sass.up"

    @classmethod
    def index_by_name(cls) -> dict[str, int]:
        return _file_index("UP", 7, "UPT")

    @classmethod
    def infinite_register_prefix(cls) -> str:
        return "vup"

    @classmethod
    def file(cls) -> str:
        return "UP"


@irdl_attr_definition
class BarrierType(SassRegisterType):
    """A convergence barrier register ``B0``..``B15`` (BSSY/BSYNC)."""

    name = "sass.b"

    @classmethod
    def index_by_name(cls) -> dict[str, int]:
        return {f"B{i}": i for i in range(16)}

    @classmethod
    def infinite_register_prefix(cls) -> str:
        return "vb"

    @classmethod
    def file(cls) -> str:
        return "B"


@irdl_attr_definition
class SpecialRegisterType(SassRegisterType):
    """A read-only special register read by S2R/S2UR (``SR_TID.X``, ``SR_CTAID.Y``...)."""

    name = "sass.sr"

    @classmethod
    def index_by_name(cls) -> dict[str, int]:
        return {n: i for i, n in enumerate(SPECIAL_REGISTERS)}

    def verify(self) -> None:
        # New architectures add special registers; any SR_ name is accepted, the known
        # ones must carry their index.
        if self.register_name.data.startswith("SR_") and self.index == NoneAttr():
            return
        super().verify()

    @classmethod
    def infinite_register_prefix(cls) -> str:
        return "vsr"

    @classmethod
    def file(cls) -> str:
        return "SR"


REGISTER_TYPES: tuple[type[SassRegisterType], ...] = (
    GprType, UniformGprType, PredicateType, UniformPredicateType, BarrierType,
    SpecialRegisterType,
)  # fmt: skip
_BY_FILE = {t.file(): t for t in REGISTER_TYPES}


def register(name: str) -> SassRegisterType:
    """``'UR4'`` -> ``!sass.ur<UR4>``; an unknown special register still gets a type
    (its verifier reports it)."""
    if name.startswith("SR_"):
        return SpecialRegisterType.from_name(name)
    for prefix in ("UR", "UP", "R", "P", "B"):
        if name.startswith(prefix):
            return _BY_FILE[prefix].from_name(name)
    raise ValueError(f"not a SASS register: {name!r}")
