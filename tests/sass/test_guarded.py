"""Guarded instructions keep the old register value where the guard fails: a masked load
(``@!P0 LDG``, ``@P0 LDS``) only says which threads access memory; their destination must
not become 0 in the other threads. Hand-written listing, run through the emulation."""

from __future__ import annotations

import numpy as np
from switcheroo.backends.sass.emit_python import emit_python
from switcheroo.frontends.sass.lower import parse_sass
from switcheroo.passes.sass_lift import SassLift
from xdsl.context import Context

# guarded(const float* x, float* y, int* z, int n), sm_80 ABI (parameters from c[0x0][0x160]):
#   a = 1.0; if (tid < n) a = x[tid];      s[tid] = 2.0; __syncthreads();
#   b = 3.0; if (tid >= n) b = s[tid];     y[tid] = a + b;
#   c = 5; if (tid < n) c = atomicAdd(&s[tid], 4) (as u32: the old word, 2.0f's bits);  z[tid] = c;
LISTING = """\t.target\tsm_80
\t.section\t.text.guarded,"ax",@progbits
        .global         guarded
        .type           guarded,@function
guarded:
.text.guarded:
        /*0000*/                   MOV R1, c[0x0][0x28] ;
        /*0010*/                   S2R R4, SR_TID.X ;
        /*0020*/                   MOV R0, 0x3f800000 ;
        /*0030*/                   MOV R5, 0x4 ;
        /*0040*/                   ISETP.GE.AND P0, PT, R4, c[0x0][0x178], PT ;
        /*0050*/                   IMAD.WIDE R2, R4, R5, c[0x0][0x160] ;
        /*0060*/               @!P0 LDG.E R0, [R2.64] ;
        /*0070*/                   SHF.L.U32 R9, R4, 0x2, RZ ;
        /*0080*/                   MOV R8, 0x40000000 ;
        /*0090*/                   STS [R9], R8 ;
        /*00a0*/                   BAR.SYNC 0x0 ;
        /*00b0*/                   MOV R10, 0x40400000 ;
        /*00c0*/                @P0 LDS R10, [R9] ;
        /*00d0*/                   FADD R0, R0, R10 ;
        /*00e0*/                   IMAD.WIDE R6, R4, R5, c[0x0][0x168] ;
        /*00f0*/                   STG.E [R6.64], R0 ;
        /*0100*/                   MOV R12, 0x5 ;
        /*0110*/               @!P0 ATOMS.ADD R12, [R9], R5 ;
        /*0120*/                   IMAD.WIDE R6, R4, R5, c[0x0][0x170] ;
        /*0130*/                   STG.E [R6.64], R12 ;
        /*0140*/                   EXIT ;
.L_x_0:
        /*0150*/                   BRA `(.L_x_0);
"""


def test_guarded_loads_and_atomics_keep_the_old_value():
    module = parse_sass(LISTING, "guarded.sass")
    SassLift().apply(Context(), module)
    ns: dict = {}
    exec(compile(emit_python(module, "numpy"), "guarded.py", "exec"), ns)
    x = np.arange(1, 9, dtype=np.float32) * 10
    y, z = np.zeros(8, np.float32), np.zeros(8, np.int32)
    ns["guarded"](x, y, z, 5, grid=1, block=8)
    # tid < 5: a = x[tid] (the LDG), b keeps 3.0; tid >= 5: a keeps 1.0, b = s[tid] = 2.0
    np.testing.assert_array_equal(y, np.r_[x[:5] + 3, [3.0, 3.0, 3.0]].astype(np.float32))
    two = int(np.float32(2.0).view(np.int32))
    np.testing.assert_array_equal(z, [two] * 5 + [5, 5, 5])
