"""Decompiled kernels compute what kernels.cu computes: the corpus listings go through
``sass-lift`` and the Python target, and the functions run against NumPy references of
the CUDA source on random inputs, with grids that leave threads past the bounds checks."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from sass_corpus import CORPUS, listing_params, need_corpus
from switcheroo.backends.sass.emit_python import emit_python
from switcheroo.dialects.sass.lifted import UnmappedOp
from switcheroo.frontends.sass.lower import parse_sass
from switcheroo.passes.sass_lift import SassLift
from switcheroo.passes.sass_raise_idioms import SassRaiseIdioms
from xdsl.context import Context
from xdsl.dialects import func

TOL = {"rtol": 1e-5, "atol": 1e-5}


@functools.cache
def lifted(arch: str, form: str = "code"):
    need_corpus()
    module = parse_sass((CORPUS / f"kernels_sm{arch}.{form}.sass").read_text())
    SassLift().apply(Context(), module)
    SassRaiseIdioms().apply(Context(), module)
    return module


@functools.cache
def decompiled(arch: str, framework: str, form: str = "code") -> dict:
    ns: dict = {}
    exec(compile(emit_python(lifted(arch, form), framework), f"sm{arch}.py", "exec"), ns)
    return ns


def _r(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32).reshape(-1)


def _conv_ref(x, w, C, H, W, OC):
    X, K = x.reshape(C, H, W), w.reshape(OC, C, 3, 3)
    out = np.zeros((OC, H - 2, W - 2), np.float64)
    for ky in range(3):
        for kx in range(3):
            out += np.einsum("chw,oc->ohw", X[:, ky : ky + H - 2, kx : kx + W - 2], K[:, :, ky, kx])
    return out.reshape(-1)


def _softmax_ref(x, rows, cols):
    x = x.reshape(rows, cols).astype(np.float64)
    e = np.exp(x - x.max(1, keepdims=True))
    return (e / e.sum(1, keepdims=True)).reshape(-1)


def check_all(ns: dict, to, back) -> None:
    """Run the eight kernels; ``to`` makes a framework array, ``back`` reads one."""
    rng = np.random.default_rng(7)
    n = 1000  # 4 blocks of 256: the last 24 threads fail the bounds check
    a, b = _r(rng, n), _r(rng, n)
    c = to(np.full(n + 8, 7, np.float32))
    ns["vector_add"](to(a), to(b), c, n, grid=4, block=256)
    np.testing.assert_allclose(back(c)[:n], a + b, **TOL)
    assert (back(c)[n:] == 7).all()  # nothing past n written
    y0 = _r(rng, n)
    y = to(y0.copy())
    ns["saxpy"](n, np.float32(-1.25), to(a), y, grid=4, block=256)
    np.testing.assert_allclose(back(y), np.float32(-1.25) * a + y0, **TOL)
    y = to(np.zeros(n, np.float32))
    ns["relu"](to(a), y, n, grid=4, block=256)
    np.testing.assert_allclose(back(y), np.maximum(a, 0), **TOL)
    M, N, K = 37, 21, 19
    A, B = _r(rng, M, K), _r(rng, K, N)
    C = to(np.zeros(M * N, np.float32))
    ns["gemm_naive"](to(A), to(B), C, M, N, K, grid=(2, 3), block=(16, 16))
    ref = A.reshape(M, K).astype(np.float64) @ B.reshape(K, N)
    np.testing.assert_allclose(back(C), ref.reshape(-1), **TOL)
    Ci, H, W, OC = 3, 11, 13, 4
    x, w = _r(rng, Ci, H, W), _r(rng, OC, Ci, 3, 3)
    o = to(np.zeros(OC * (H - 2) * (W - 2), np.float32))
    ns["conv2d_3x3"](to(x), to(w), o, Ci, H, W, OC, grid=(1, 1, OC + 1), block=(16, 16))
    np.testing.assert_allclose(back(o), _conv_ref(x, w, Ci, H, W, OC), **TOL)
    n = 3000
    x = _r(rng, n)
    out = to(np.zeros(1, np.float32))
    ns["reduce_sum"](to(x), out, n, grid=(n + 511) // 512, block=256)
    np.testing.assert_allclose(back(out), [x.astype(np.float64).sum()], rtol=1e-5, atol=1e-4)
    rows, cols = 5, 300
    x = _r(rng, rows, cols)
    y = to(np.zeros(rows * cols, np.float32))
    ns["softmax_row"](to(x), y, cols, grid=rows, block=256)
    np.testing.assert_allclose(back(y), _softmax_ref(x, rows, cols), **TOL)
    n = 2000
    a16, b16 = (rng.standard_normal(n).astype(np.float16) for _ in range(2))
    out = to(np.zeros(1, np.float32))
    ns["dot_warp"](to(a16), to(b16), out, n, grid=3, block=128)
    ref = (a16.astype(np.float64) * b16.astype(np.float64)).sum()
    np.testing.assert_allclose(back(out), [ref], rtol=1e-5, atol=1e-4)


# The operand order of the commutative ops is the compiler's, which differs by arch.
IDIOMS = {"vector_add": ("p2[:m] = (p1[:m] + p0[:m])", "p2[:m] = (p0[:m] + p1[:m])"),
          "saxpy": ("p3[:m] = ((p2[:m] * np.float32(p1)) + p3[:m])",
                    "p3[:m] = ((np.float32(p1) * p2[:m]) + p3[:m])"),
          "relu": ("p1[:m] = np.fmax(np.float32(0.0), p0[:m])",
                   "p1[:m] = np.fmax(p0[:m], np.float32(0.0))")}  # fmt: skip


@pytest.mark.parametrize("arch", ["80", "90", "100", "120"])
def test_elementwise_kernels_are_raised(arch):
    """The elementwise maps print as the numpy expression (not the emulation); the other
    idioms are named on the lifted func (their bodies: the tests below)."""
    module = lifted(arch)
    src = emit_python(module, "numpy")
    for name, lines in IDIOMS.items():
        body = src.split(f"def {name}(", 1)[1].split("\ndef ", 1)[0]
        assert any(ln in body for ln in lines) and "while True" not in body, body
    fns = {f.sym_name.data: f for f in module.walk()
           if isinstance(f, func.FuncOp) and "sass.idiom" in f.attributes
           and f.parent_op().attributes.get("sass.lifted")}  # fmt: skip
    if arch in ("80", "90"):  # loop nests: tests/sass/test_loop_nest.py
        # row softmax: tests/sass/test_row_softmax.py
        assert fns["softmax_row"].attributes["sass.idiom"].data == "row-softmax"
        assert fns["gemm_naive"].attributes["sass.idiom"].data == "gemm"
        assert fns["conv2d_3x3"].attributes["sass.idiom"].data == "conv2d-3x3"
    assert fns["dot_warp"].attributes["sass.idiom"].data == "warp-dot"
    assert fns["reduce_sum"].attributes["sass.idiom"].data == "block-reduce-sum"


WARP_DOT = {"numpy": "p2[0] += np.sum((p0[:m].astype(np.float64) * p1[:m].astype(np.float64)))",
            "torch": "p2[0] += torch.sum((p0[:m].double() * p1[:m].double()))"}  # fmt: skip


@pytest.mark.parametrize("arch", ["80", "90", "100", "120"])
@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_warp_dot_is_raised(arch, framework):
    """dot_warp (grid-stride loop, shfl.down tree, lane-0 atomicAdd) prints as one sum."""
    src = emit_python(lifted(arch), framework)
    body = src.split("def dot_warp(", 1)[1].split("\ndef ", 1)[0]
    assert WARP_DOT[framework] in body and "while True" not in body, body


def test_warp_dot_launches_and_bounds():
    """The raised dot product against the emulation and the reference: grids smaller
    than the problem (grid-stride), one block, n = 0 and n < 0 (out unchanged), and
    blocks that are not whole warps (outside the proof: the emulation runs)."""
    ns = decompiled("90", "numpy")
    rng = np.random.default_rng(3)
    a16, b16 = (rng.standard_normal(3000).astype(np.float16) for _ in range(2))
    for n, grid, block in ((3000, 2, 64), (3000, 1, 32), (1, 5, 256), (0, 2, 64),
                           (-7, 2, 64), (2500, 3, 100)):  # fmt: skip
        out, sim = np.full(1, 0.25, np.float32), np.full(1, 0.25, np.float32)
        ns["dot_warp"](a16, b16, out, n, grid=grid, block=block)
        ns["_dot_warp_simt"](a16, b16, sim, n, grid=grid, block=block)
        k = max(n, 0)
        ref = 0.25 + (a16[:k].astype(np.float64) * b16[:k].astype(np.float64)).sum()
        np.testing.assert_allclose(out, [ref], rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(sim, [ref], rtol=1e-5, atol=1e-4)
    src = emit_python(lifted("90"), "numpy").split("def dot_warp(", 1)[1]
    assert "_b[0] % 32 != 0" in src.split("\n    m = ", 1)[0]  # block=100 took the emulation


BLOCK_SUM = {"numpy": ("m = min(_u32(p2), _u32((2 * _g[0] * _b[0])))",
                       "p1[0] += np.sum(p0[:m].astype(np.float64))"),
             "torch": ("m = min(_u32(p2), _u32((2 * _g[0] * _b[0])))",
                       "p1[0] += torch.sum(p0[:m].double())")}  # fmt: skip


@pytest.mark.parametrize("arch", ["80", "90", "100", "120"])
@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_block_reduce_is_raised(arch, framework):
    """reduce_sum (two loads per thread, shared halving tree, thread-0 atomicAdd) prints
    as one sum over the elements the grid covers, for power-of-two blocks up to 256."""
    src = emit_python(lifted(arch), framework)
    body = src.split("def reduce_sum(", 1)[1].split("\ndef ", 1)[0]
    assert all(ln in body for ln in BLOCK_SUM[framework]) and "while True" not in body, body
    assert "_b[0] not in (1, 2, 4, 8, 16, 32, 64, 128, 256)" in body


@pytest.mark.parametrize("arch", ["80", "90"])
@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_block_reduce_launches_and_bounds(arch, framework):
    """The raised block sum against the emulation and the reference of kernels.cu: n not
    a multiple of the block, fewer blocks than the data (only the first 2 * grid * block
    elements are summed), n = 0, n < 0 (read unsigned, as the source's ``i < n``), one
    thread; a block of 48 (not a power of two: the tree drops elements on the GPU too)
    runs the emulation, which differs from the plain sum."""
    torch = pytest.importorskip("torch") if framework == "torch" else None
    ns = decompiled(arch, framework)
    to = torch.from_numpy if torch else (lambda v: v)
    rng = np.random.default_rng(11)
    x = rng.standard_normal(6000).astype(np.float32)
    for n, grid, block in ((3000, 6, 256), (3000, 2, 256), (1000, 3, 128), (777, 7, 64),
                           (1, 1, 1), (0, 2, 64), (-5, 2, 4)):  # fmt: skip
        out, sim = np.full(1, 0.5, np.float32), np.full(1, 0.5, np.float32)
        ns["reduce_sum"](to(x), to(out), n, grid=grid, block=block)
        ns["_reduce_sum_simt"](to(x), to(sim), n, grid=grid, block=block)
        k = min(n % (1 << 32), 2 * grid * block)
        ref = 0.5 + x[:k].astype(np.float64).sum()
        np.testing.assert_allclose(out, [ref], rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(sim, [ref], rtol=1e-5, atol=1e-4)
    out, sim = np.zeros(1, np.float32), np.zeros(1, np.float32)
    ns["reduce_sum"](to(x), to(out), 300, grid=4, block=48)
    ns["_reduce_sum_simt"](to(x), to(sim), 300, grid=4, block=48)
    assert out[0] == sim[0] and abs(out[0] - x[:300].astype(np.float64).sum()) > 1e-2


ROW_SOFTMAX = {"numpy": ("t3 = p0[:t0 * m].reshape(t0, m)[:t0, :m]",
                         "np.exp((t3 - np.max(t3, axis=1, keepdims=True)))",
                         "(t8 / np.sum(t8, axis=1, keepdims=True))[:t0, :m]"),
               "torch": ("t3 = p0[:t0 * m].view(t0, m)[:t0, :m]",
                         "torch.exp((t3 - torch.amax(t3, dim=1, keepdim=True)))",
                         "(t8 / torch.sum(t8, dim=1, keepdim=True))[:t0, :m]"),
               "jax": ("jnp.exp((t3 - jnp.max(t3, axis=1, keepdims=True)))",
                       "(t8 / jnp.sum(t8, axis=1, keepdims=True))[:t0, :m]")}  # fmt: skip


@pytest.mark.parametrize("arch", ["80", "90"])
@pytest.mark.parametrize("framework", ["numpy", "torch", "jax"])
def test_row_softmax_is_raised(arch, framework):
    """softmax_row (strided row loops, shared max and sum trees, one block per row) prints
    as the framework's softmax over the gridDim.x rows of max(cols, 0) columns."""
    src = emit_python(lifted(arch), framework)
    body = src.split("def softmax_row(", 1)[1].split("\ndef ", 1)[0]
    assert all(ln in body for ln in ROW_SOFTMAX[framework]) and "while True" not in body, body
    assert "_b[0] not in (1, 2, 4, 8, 16, 32, 64, 128, 256)" in body


@pytest.mark.parametrize("arch", ["80", "90"])
@pytest.mark.parametrize("framework", ["numpy", "torch", "jax"])
def test_row_softmax_launches_and_bounds(arch, framework):
    """The raised row softmax against the emulation and the reference of kernels.cu: cols
    not a multiple of the block, cols below the block, fewer blocks than rows (the other
    rows untouched), one thread, cols = 0 and cols < 0 (nothing written); a block of 48
    (not a power of two: the trees drop values, on the GPU too) and a 2-D block run the
    emulation."""
    ns = decompiled(arch, framework)
    to, back = (lambda v: v), np.asarray
    if framework == "torch":
        to = pytest.importorskip("torch").from_numpy
    if framework == "jax":
        to = pytest.importorskip("jax.numpy").asarray
    rng = np.random.default_rng(5)

    def run(fn, x, rows, cols, grid, block):
        y = to(np.full(rows * max(cols, 1) + 3, 9, np.float32))
        out = ns[fn](to(x), y, cols, grid=grid, block=block)
        return back(out[0] if framework == "jax" else y)

    for rows, cols, grid, block in ((5, 300, 5, 256), (4, 100, 4, 256), (6, 77, 4, 64),
                                    (3, 1, 3, 1), (3, 33, 3, 2), (2, 0, 2, 32),
                                    (2, -3, 2, 32)):  # fmt: skip
        x = rng.standard_normal(rows * max(cols, 1) + 3).astype(np.float32)
        y, sim = run("softmax_row", x, rows, cols, grid, block), run(
            "_softmax_row_simt", x, rows, cols, grid, block)  # fmt: skip
        k = grid * max(cols, 0)
        if k:
            np.testing.assert_allclose(y[:k], _softmax_ref(x[:k], grid, cols), **TOL)
            np.testing.assert_allclose(sim[:k], _softmax_ref(x[:k], grid, cols), **TOL)
        assert (y[k:] == 9).all() and (sim[k:] == 9).all()
    x = rng.standard_normal(3 * 50).astype(np.float32)
    for block in (48, (16, 2)):
        y, sim = run("softmax_row", x, 3, 50, 3, block), run("_softmax_row_simt", x, 3, 50, 3,
                                                                block)  # fmt: skip
        assert (y == sim).all()
    assert np.abs(y[:150] - _softmax_ref(x, 3, 50)).max() < 1e-5  # 2-D: 32 threads per row
    y = run("softmax_row", x, 3, 50, 3, 48)
    assert np.abs(y[:150] - _softmax_ref(x, 3, 50)).max() > 1e-3  # the tree drops values


def test_raised_elementwise_bounds_and_2d_launch():
    """n beyond the launch writes only the launched threads; n < 0 writes nothing; a 2-D
    launch (outside the proof) runs the emulation."""
    ns = decompiled("90", "numpy")
    a, b = np.arange(600, dtype=np.float32), np.ones(600, np.float32)
    c = np.full(600, 7, np.float32)
    ns["vector_add"](a, b, c, 600, grid=2, block=256)
    assert (c[:512] == a[:512] + 1).all() and (c[512:] == 7).all()
    c[:] = 7
    ns["vector_add"](a, b, c, -5, grid=2, block=256)
    assert (c == 7).all()
    ns["vector_add"](a, b, c, 100, grid=(1, 2), block=64)
    assert (c[:64] == a[:64] + 1).all() and (c[64:] == 7).all()


@pytest.mark.parametrize("arch", ["80", "90", "100", "120"])
def test_numpy_matches_cuda_source(arch):
    check_all(decompiled(arch, "numpy"), lambda v: v, lambda v: v)


@pytest.mark.parametrize("arch", ["80", "90"])
def test_torch_matches_cuda_source(arch):
    torch = pytest.importorskip("torch")
    check_all(decompiled(arch, "torch"), torch.from_numpy, lambda t: t.numpy())


def test_cuobjdump_listing_decompiles_the_same():
    check_all(decompiled("90", "numpy", "cuobjdump"), lambda v: v, lambda v: v)


def test_jax_returns_written_arrays():
    jnp = pytest.importorskip("jax.numpy")
    ns = decompiled("80", "jax")
    a = np.linspace(-1, 1, 300, dtype=np.float32)
    (y,) = ns["relu"](jnp.asarray(a), jnp.zeros(300, jnp.float32), 300, grid=2, block=256)
    np.testing.assert_allclose(np.asarray(y), np.maximum(a, 0), **TOL)
    a16 = np.linspace(-2, 2, 500).astype(np.float16)
    (out,) = ns["dot_warp"](jnp.asarray(a16), jnp.asarray(a16[::-1].copy()),
                            jnp.ones(1, jnp.float32), 500, grid=2, block=64)  # fmt: skip
    ref = 1 + (a16.astype(np.float64) * a16[::-1].astype(np.float64)).sum()
    np.testing.assert_allclose(np.asarray(out), [ref], rtol=1e-5, atol=1e-4)


def _lift_params():
    # Two listings by default; all 24 under -m slow.
    fast = {"kernels_sm80.code.sass", "kernels_sm100.cuobjdump.sass"}
    return [p if p.values[0] is None or p.values[0].name in fast
            else pytest.param(*p.values, marks=pytest.mark.slow, id=p.id)
            for p in listing_params("*.sass")]  # fmt: skip


@pytest.mark.parametrize("path", _lift_params())
def test_every_listing_lifts(path):
    module = parse_sass(path.read_text(), str(path))
    SassLift(arch=_arch_of(path.name)).apply(Context(), module)
    fns = [op for op in module.walk() if isinstance(op, func.FuncOp)]
    assert {f.sym_name.data for f in fns} >= {"vector_add", "gemm_naive", "dot_warp"}
    module.verify()
    for f in fns:
        n = sum(isinstance(op, UnmappedOp) for op in f.walk())
        assert f.attributes["sass.unmapped"].value.data == n


def test_params_typed_by_use():
    """The int pairs read with one LDC.64 (sm_90) and the IMAD.WIDE.U32 pointers (sm_80)
    that the bank-read guess got wrong."""
    for arch, base in (("80", 0x160), ("90", 0x210)):
        fns = {f.sym_name.data: f for f in lifted(arch).walk() if isinstance(f, func.FuncOp)}
        kinds = {k: [p.data.split("@")[0] for p in f.attributes["sass.params"].data]
                 for k, f in fns.items()}  # fmt: skip
        assert kinds["gemm_naive"] == ["ptr", "ptr", "ptr", "i32", "i32", "i32"]
        assert kinds["conv2d_3x3"] == ["ptr", "ptr", "ptr", "i32", "i32", "i32", "i32"]
        assert kinds["reduce_sum"] == ["ptr", "ptr", "i32"]
        assert kinds["softmax_row"] == ["ptr", "ptr", "i32"]
        assert kinds["saxpy"] == ["i32", "f32", "ptr", "ptr"]
        outs = [o.value.data - base for o in fns["gemm_naive"].attributes["sass.outputs"].data]
        assert outs == [16]


def _arch_of(name: str) -> str:
    return "sm_" + name.split("_sm", 1)[1].split(".", 1)[0]
