"""The ISA backend (``backends/sass/isa_emit.py``): lifted kernels -> SASS text that our
grammar parses back, that lifts again, and whose emulation computes what kernels.cu
computes; register use within the architecture's limits; clean one-line errors."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from sass_corpus import CORPUS, need_corpus
from switcheroo.backends.sass.emit_python import emit_python
from switcheroo.backends.sass.isa_emit import lifted_functions, regenerate, regenerate_kernel
from switcheroo.backends.sass.isa_select import SelectionError
from switcheroo.backends.sass.printer import sass_text
from switcheroo.backends.sass.regalloc import PREDICATE_LIMIT, RegisterAllocationError
from switcheroo.dialects.sass.lifted import UnmappedOp
from switcheroo.frontends.sass.lower import parse_sass
from switcheroo.passes.sass_lift import SassLift
from xdsl.context import Context
from xdsl.rewriter import Rewriter

ELEMENTWISE = ("vector_add", "saxpy", "relu")


@functools.cache
def lifted(arch: str, keep: tuple[str, ...] = ELEMENTWISE):
    need_corpus()
    module = parse_sass((CORPUS / f"kernels_sm{arch}.code.sass").read_text())
    SassLift().apply(Context(), module)
    for fn in lifted_functions(module):
        if fn.sym_name.data not in keep:
            Rewriter.erase_op(fn)
    return module


@functools.cache
def regenerated(arch: str, keep: tuple[str, ...] = ELEMENTWISE):
    listing, kernels = regenerate(lifted(arch, keep))
    return sass_text(listing), kernels


def _relift(text: str):
    module = parse_sass(text, "regenerated.sass")
    assert sass_text(module) == text  # our grammar reads it and prints it back unchanged
    SassLift().apply(Context(), module)
    assert not [op for op in module.walk() if isinstance(op, UnmappedOp)]
    return module


@pytest.mark.parametrize("arch", ["80", "90"])
def test_elementwise_kernels_regenerate_and_compute(arch):
    text, kernels = regenerated(arch)
    assert f"\t.target\tsm_{arch}\n" in text
    for k in kernels:
        assert 0 < k.registers <= 255 and k.predicates <= PREDICATE_LIMIT, k
    ns: dict = {}
    exec(compile(emit_python(_relift(text), "numpy"), f"regen{arch}.py", "exec"), ns)
    rng = np.random.default_rng(5)
    n = 1000  # 4 blocks of 256: the last 24 threads fail the bounds check
    a, b = (rng.standard_normal(n).astype(np.float32) for _ in range(2))
    c = np.full(n + 8, 7, np.float32)
    ns["vector_add"](a, b, c, n, grid=4, block=256)
    np.testing.assert_array_equal(c[:n], a + b)
    assert (c[n:] == 7).all()
    y0 = rng.standard_normal(n).astype(np.float32)
    y = y0.copy()
    ns["saxpy"](n, np.float32(-1.25), a, y, grid=4, block=256)
    np.testing.assert_allclose(y, np.float32(-1.25) * a + y0, rtol=1e-6, atol=1e-6)
    y = np.full(n, 3, np.float32)
    ns["relu"](a, y, n, grid=3, block=256)  # 768 threads: the rest stays untouched
    np.testing.assert_array_equal(y[:768], np.maximum(a[:768], 0))
    assert (y[768:] == 3).all()


def test_listing_shape_sm80():
    """nvdisasm -c layout, parameters from bank 0 at the sm_80 ABI offsets."""
    text, _ = regenerated("80")
    body = text.split(".text.vector_add:\n", 1)[1].split(".L_x_vector_add_end:", 1)[0]
    assert "        /*0000*/                   S2R R0, SR_CTAID.X ;\n" in body
    assert "c[0x0][0x178]" in body and "LDC.64" in body and "IMAD.WIDE" in body
    assert "LDG.E R" in body and "STG.E [R" in body and "FADD" in body
    assert "               @P0 EXIT ;\n" in body


def test_loop_kernel_regenerates_sm80():
    """conv2d_3x3 (a loop with block arguments, 2-D/3-D indices) also round-trips."""
    rng = np.random.default_rng(9)
    text, kernels = regenerated("80", ("conv2d_3x3",))
    assert kernels[0].registers <= 255
    ns: dict = {}
    exec(compile(emit_python(_relift(text), "numpy"), "conv.py", "exec"), ns)
    C, H, W, OC = 3, 11, 13, 4
    x = rng.standard_normal((C, H, W)).astype(np.float32)
    w = rng.standard_normal((OC, C, 3, 3)).astype(np.float32)
    o = np.zeros(OC * (H - 2) * (W - 2), np.float32)
    ns["conv2d_3x3"](x.reshape(-1), w.reshape(-1), o, C, H, W, OC, grid=(1, 1, OC + 1),
                     block=(16, 16))  # fmt: skip
    ref = np.zeros((OC, H - 2, W - 2))
    for ky in range(3):
        for kx in range(3):
            ref += np.einsum("chw,oc->ohw", x[:, ky : ky + H - 2, kx : kx + W - 2], w[:, :, ky, kx])
    np.testing.assert_allclose(o, ref.reshape(-1), rtol=1e-5, atol=1e-5)


def test_out_of_registers_is_one_line():
    fn = next(f for f in lifted_functions(lifted("80")) if f.sym_name.data == "saxpy")
    with pytest.raises(RegisterAllocationError) as e:
        regenerate_kernel(fn, gpr_limit=3)
    assert "\n" not in str(e.value) and "saxpy" in str(e.value) and "spill" in str(e.value)


REDUCTIONS = ("dot_warp", "reduce_sum", "gemm_naive")


@pytest.mark.parametrize("arch", ["80", "90"])
def test_reductions_and_gemm_regenerate_and_compute(arch):
    """dot_warp (f16 lanes read by HADD2.F32, shuffles, RED), reduce_sum (shared tree,
    64-bit funnel shifts by a clamped register amount, IMAD.WIDE by a constant) and
    gemm_naive (64-bit carries as predicates) round-trip and compute as kernels.cu."""
    text, kernels = regenerated(arch, REDUCTIONS)
    for k in kernels:
        assert 0 < k.registers <= 255 and k.predicates <= PREDICATE_LIMIT, k
    body = text.split(".text.dot_warp:\n", 1)[1]
    assert "HADD2.F32 R" in body and ".H0_H0" in body and "SHFL.DOWN" in body
    ns: dict = {}
    exec(compile(emit_python(_relift(text), "numpy"), f"regen{arch}.py", "exec"), ns)
    rng = np.random.default_rng(13)
    n = 2000
    a16, b16 = (rng.standard_normal(n).astype(np.float16) for _ in range(2))
    out = np.zeros(1, np.float32)
    ns["dot_warp"](a16, b16, out, n, grid=3, block=128)
    ref = (a16.astype(np.float64) * b16.astype(np.float64)).sum()
    np.testing.assert_allclose(out, [ref], rtol=1e-5, atol=1e-4)
    x = rng.standard_normal(3000).astype(np.float32)
    out = np.zeros(1, np.float32)
    ns["reduce_sum"](x, out, 3000, grid=(3000 + 511) // 512, block=256)
    np.testing.assert_allclose(out, [x.astype(np.float64).sum()], rtol=1e-5, atol=1e-4)
    M, N, K = 37, 21, 19
    A = rng.standard_normal((M, K)).astype(np.float32)
    B = rng.standard_normal((K, N)).astype(np.float32)
    C = np.zeros(M * N, np.float32)
    ns["gemm_naive"](A.reshape(-1), B.reshape(-1), C, M, N, K, grid=(2, 3), block=(16, 16))
    ref = A.astype(np.float64) @ B.astype(np.float64)
    np.testing.assert_allclose(C, ref.reshape(-1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("arch", ["80", "90"])
def test_softmax_regenerates_and_computes(arch):
    """softmax_row (row loops, two shared trees, the reciprocal's CALL/RET slow path as a
    compare-and-jump switch, MUFU.RCP for 1/x, 64-bit funnel shifts): round trip, then the
    reference, and the lifted original's emulation bit for bit on a row with a NaN (whose
    reciprocal takes the slow path)."""
    from test_decompile import _softmax_ref, decompiled

    text, kernels = regenerated(arch, ("softmax_row",))
    assert kernels[0].registers <= 255 and kernels[0].predicates <= PREDICATE_LIMIT
    body = text.split(".text.softmax_row:\n", 1)[1]
    assert "MUFU.RCP" in body and "MUFU.EX2" in body and "BAR.SYNC" in body
    ns: dict = {}
    exec(compile(emit_python(_relift(text), "numpy"), f"softmax{arch}.py", "exec"), ns)
    rng = np.random.default_rng(17)
    for rows, cols, block in ((5, 300, 256), (3, 50, 64), (2, 7, 32)):
        x = rng.standard_normal(rows * cols).astype(np.float32)
        y = np.zeros(rows * cols, np.float32)
        ns["softmax_row"](x, y, cols, grid=rows, block=block)
        np.testing.assert_allclose(y, _softmax_ref(x, rows, cols), rtol=1e-5, atol=1e-5)
    x = rng.standard_normal(80).astype(np.float32)
    x[45] = np.nan
    y, y0 = np.zeros(80, np.float32), np.zeros(80, np.float32)
    ns["softmax_row"](x, y, 40, grid=2, block=16)
    decompiled(arch, "numpy")["_softmax_row_simt"](x, y0, 40, grid=2, block=16)
    assert np.isnan(y[40:]).all() and np.array_equal(y, y0, equal_nan=True)


def test_unselectable_op_is_reported():
    """A float division other than ``1 / x`` has no selection rule: an error, never a drop."""
    from xdsl.dialects import arith

    fn = lifted_functions(lifted("80", ("softmax_row",)))[0].clone()
    div = next(op for op in fn.walk() if isinstance(op, arith.DivfOp))
    div.operands = [div.rhs, div.rhs]
    with pytest.raises(SelectionError) as e:
        regenerate_kernel(fn)
    assert "softmax_row: arith.divf" in str(e.value) and "\n" not in str(e.value)
