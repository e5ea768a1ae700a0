"""The SASS opcodes the dialect models, by family: destinations count and semantics.

One row per opcode: ``(opcode, ndst, semantics)``; ``ndst`` is how many leading operands
the instruction writes (``ISETP P0, PT, ...`` writes two predicates). Semantics follow
NVIDIA's instruction-set reference (CUDA Binary Utilities, "Instruction Set Reference").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpcodeInfo:
    opcode: str
    ndst: int
    doc: str
    family: str

    @property
    def class_name(self) -> str:
        return self.opcode.capitalize().replace("_", "") + "Op"


_TABLE: dict[str, list[tuple[str, int, str]]] = {
    "float32": [
        ("FADD", 1, "d = a + b in fp32 (.FTZ flushes denormals)"),
        ("FMUL", 1, "d = a * b in fp32"),
        ("FFMA", 1, "d = a * b + c, fused, in fp32"),
        ("FMNMX", 1, "d = p ? min(a, b) : max(a, b); the last operand selects"),
        ("FSETP", 2, "p, q = compare(a, b) combined with predicate c by .AND/.OR/.XOR"),
        ("FSEL", 1, "d = p ? a : b"),
        ("FCHK", 1, "p = a / b needs the slow division path"),
        ("FRND", 1, "d = round(a) with the mode of the modifier"),
        ("MUFU", 1, "d = f(a) for the special function of the modifier (EX2, RCP, RSQ...)"),
    ],
    "float64": [
        ("DADD", 1, "d = a + b in fp64"),
        ("DMUL", 1, "d = a * b in fp64"),
        ("DFMA", 1, "d = a * b + c, fused, in fp64"),
        ("DSETP", 2, "fp64 comparison to predicates, as FSETP"),
    ],
    "float16": [
        ("HADD2", 1, "packed half2 d = a + b (.F32: widen the selected half to fp32)"),
        ("HMUL2", 1, "packed half2 d = a * b"),
        ("HFMA2", 1, "packed half2 d = a * b + c; HFMA2.MMA -RZ, RZ, h1, h0 loads constants"),
        ("HSETP2", 2, "packed half2 comparison to predicates"),
        ("HMMA", 1, "warp-level half-precision matrix multiply-accumulate"),
    ],
    "integer": [
        ("IADD", 1, "d = a + b (32-bit)"),
        ("IADD3", 1, "d = a + b + c (32-bit); optional carry-out predicates"),
        ("VIADD", 1, "d = a + imm (32-bit)"),
        ("IMAD", 1, "d = a * b + c; .WIDE gives a 64-bit pair, .HI the high word, .SHL/.MOV"),
        ("IMUL", 1, "d = a * b (32-bit)"),
        ("LEA", 1, "d = (a << shift) + b; .HI takes the high part of a 64-bit shift"),
        ("SHF", 1, "funnel shift of the 64-bit pair (b:a) by c, .L/.R, .U32/.S32/.U64"),
        ("SHL", 1, "d = a << b"),
        ("SHR", 1, "d = a >> b"),
        ("LOP3", 1, "d = LUT(a, b, c), the truth table is the immediate; optional pred out"),
        ("ISETP", 2, "p, q = compare(a, b) (.GE/.LT..., .U32) combined with predicate c"),
        ("IABS", 1, "d = |a|"),
        ("IMNMX", 1, "d = p ? min(a, b) : max(a, b)"),
        ("POPC", 1, "d = population count of a"),
        ("FLO", 1, "d = index of the leading one of a"),
        ("BREV", 1, "d = bit reverse of a"),
        ("PRMT", 1, "d = byte permute of (b:a) by selector c"),
        ("SEL", 1, "d = p ? a : b"),
        ("MOV", 1, "d = a"),
        ("I2F", 1, "d = float(a)"),
        ("F2I", 1, "d = int(a), rounding by modifier"),
        ("F2F", 1, "d = a converted between float widths"),
        ("I2I", 1, "d = a converted between integer widths"),
        ("PLOP3", 2, "p, q = LUT(a, b, c) on predicates"),
        ("P2R", 1, "d = predicates packed into a register"),
        ("R2P", 0, "predicates = bits of a register"),
    ],
    "uniform": [
        ("UMOV", 1, "uniform d = a"),
        ("UIADD3", 1, "uniform d = a + b + c"),
        ("UIMAD", 1, "uniform d = a * b + c"),
        ("ULEA", 1, "uniform d = (a << shift) + b"),
        ("USHF", 1, "uniform funnel shift"),
        ("ULOP3", 1, "uniform LUT(a, b, c)"),
        ("UISETP", 2, "uniform integer comparison to uniform predicates"),
        ("UPLOP3", 2, "uniform predicate LUT"),
        ("USEL", 1, "uniform d = p ? a : b"),
        ("UFLO", 1, "uniform find leading one"),
        ("UPOPC", 1, "uniform population count"),
        ("UPRMT", 1, "uniform byte permute"),
        ("ULDC", 1, "uniform d = constant bank word (.64 for a pair)"),
        ("LDCU", 1, "uniform d = constant bank word (sm_100+)"),
        ("R2UR", 1, "uniform d = a (from a vector register)"),
        ("S2UR", 1, "uniform d = special register"),
        ("VOTEU", 1, "uniform d = warp vote (.ANY/.ALL/.BALLOT) of p"),
    ],
    "memory": [
        ("LDG", 1, "d = global memory at address (.E 64-bit address, .U16/.64/.128 width)"),
        ("STG", 0, "global memory at address = a"),
        ("LDS", 1, "d = shared memory at address (.X4 scales the index)"),
        ("STS", 0, "shared memory at address = a"),
        ("LDL", 1, "d = local memory at address"),
        ("STL", 0, "local memory at address = a"),
        ("LD", 1, "d = generic memory at address"),
        ("ST", 0, "generic memory at address = a"),
        ("LDC", 1, "d = constant bank word (.64 for a pair)"),
        ("ATOM", 1, "d = old value; memory = op(memory, a), atomically"),
        ("ATOMG", 1, "global atomic, as ATOM"),
        ("ATOMS", 1, "shared atomic, as ATOM"),
        ("RED", 0, "memory = op(memory, a), atomically, no result (.ADD.F32...)"),
        ("REDG", 0, "global reduction, as RED (sm_90+ spelling)"),
        ("MEMBAR", 0, "memory barrier at the modifier's scope"),
        ("CCTL", 0, "cache control"),
        ("ERRBAR", 0, "error barrier"),
    ],
    "special": [
        ("S2R", 1, "d = special register (thread/block index, lane, clock)"),
        ("CS2R", 1, "d = special register pair (SRZ reads zero)"),
        ("SHFL", 2, "p, d = lane-shuffled a (.IDX/.UP/.DOWN/.BFLY by b, clamp c)"),
        ("VOTE", 1, "d = warp vote (.ANY/.ALL/.BALLOT) of p"),
        ("MATCH", 1, "d = mask of lanes with an equal value"),
        ("BAR", 0, "block-wide barrier (.SYNC = __syncthreads)"),
        ("WARPSYNC", 0, "warp synchronisation on a lane mask"),
        ("DEPBAR", 0, "wait on scoreboard dependencies"),
        ("NANOSLEEP", 0, "suspend the thread"),
        ("NOP", 0, "no operation"),
    ],
    "control": [
        ("BRA", 0, "branch to target (predicated: when the guard holds); .U uniform"),
        ("BRX", 0, "indirect branch"),
        ("JMP", 0, "absolute jump"),
        ("EXIT", 0, "end the thread"),
        ("BSSY", 0, "push a convergence point (target) on barrier register b"),
        ("BSYNC", 0, "wait until the threads of barrier register b reconverge"),
        ("BREAK", 0, "leave the convergence region of barrier register b"),
        ("BMOV", 1, "d = barrier register state"),
        ("CALL", 0, "call the target (.REL relative, .ABS absolute)"),
        ("RET", 0, "return to the address in register a"),
        ("KILL", 0, "terminate the thread"),
        ("YIELD", 0, "scheduling hint"),
    ],
}

FAMILIES: tuple[OpcodeInfo, ...] = tuple(
    OpcodeInfo(op, ndst, doc, family) for family, rows in _TABLE.items() for op, ndst, doc in rows
)
