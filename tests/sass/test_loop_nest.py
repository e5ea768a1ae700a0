"""gemm_naive and conv2d_3x3 are raised (``sass_loop_nest.py``): the functions print as one
matmul / convolution (no emulation) and compute what kernels.cu computes, including
sizes that are not multiples of nvcc's unrolling, grids that do not cover the output
(elements past them keep their values), empty and negative sizes."""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.backends.sass.emit_python import emit_python
from test_decompile import TOL, _conv_ref, decompiled, lifted

RAISED = {"numpy": ("(t9 @ t10)", "np.einsum('nchwij,ocij->nohw'"),
          "torch": ("(t9 @ t10)", "(torch.nn.functional.conv2d("),
          "jax": ("(t9 @ t10)", "jax.lax.conv_general_dilated(")}  # fmt: skip
ARCHS = ["80", "90"]


def _body(src: str, name: str) -> str:
    return src.split(f"\ndef {name}(", 1)[1].split("\ndef ", 1)[0]


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("framework", ["numpy", "torch", "jax"])
def test_loop_nests_print_as_the_idiom(arch, framework):
    src = emit_python(lifted(arch), framework)
    for name, call in zip(("gemm_naive", "conv2d_3x3"), RAISED[framework]):
        body = _body(src, name)
        assert call in body and "_simt(" not in body and "while True" not in body, body


def _frameworks(framework):
    if framework == "torch":
        torch = pytest.importorskip("torch")
        return torch.from_numpy, lambda t: t.numpy()
    return (lambda v: v), (lambda v: v)


def _gemm_ref(A, B, C0, M, N, K, rows, cols):
    out = C0.copy()
    if M > 0 and N > 0:
        k = max(K, 0)
        ref = A[: M * k].reshape(M, k).astype(np.float64) @ B[: k * N].reshape(k, N)
        r, c = min(M, rows), min(N, cols)
        out[: M * N].reshape(M, N)[:r, :c] = ref[:r, :c]
    return out


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_gemm_sizes_and_grids(arch, framework):
    """K through every unrolled path (0..3: the remainder loop only; 4..15: the by-4
    loop; 16+: the by-16 loop), grids smaller than the output, M, N or K <= 0."""
    to, back = _frameworks(framework)
    ns = decompiled(arch, framework)
    rng = np.random.default_rng(5)
    A, B = rng.standard_normal(4000).astype(np.float32), rng.standard_normal(4000).astype(np.float32)
    cases = [(37, 21, 19, (2, 3), (16, 16)), (37, 21, 19, (1, 2), (16, 16)),
             (5, 7, 0, (1, 1), (8, 8)), (5, 7, 1, (1, 1), (8, 8)), (5, 7, 2, (1, 1), (8, 8)),
             (5, 7, 3, (1, 1), (8, 8)), (9, 6, 7, (1, 1), (8, 16)), (3, 40, 36, (3, 1), (16, 4)),
             (4, 3, 53, (1, 1), (4, 4)), (0, 5, 4, (1, 1), (8, 8)), (5, -3, 4, (1, 1), (8, 8)),
             (3, 3, -2, (1, 1), (4, 4)), (6, 5, 17, (2, 2, 2), (2, 2))]  # fmt: skip
    for M, N, K, grid, block in cases:
        C0 = np.full(800, 7, np.float32)
        C = to(C0.copy())
        ns["gemm_naive"](to(A), to(B), C, M, N, K, grid=grid, block=block)
        g, b = (tuple(grid) + (1, 1))[:3], (tuple(block) + (1, 1))[:3]
        ref = _gemm_ref(A, B, C0, M, N, K, g[1] * b[1], g[0] * b[0])
        np.testing.assert_allclose(back(C), ref, **TOL, err_msg=str((M, N, K, grid, block)))


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_conv_sizes_and_grids(arch, framework):
    """Channels 0..4, images with no output (H or W < 3), more and fewer z-blocks than
    output channels, grids that cover part of each output plane."""
    to, back = _frameworks(framework)
    ns = decompiled(arch, framework)
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal(3000).astype(np.float32), rng.standard_normal(300).astype(np.float32)
    cases = [(3, 11, 13, 4, (1, 1, 5), (16, 16)), (3, 11, 13, 4, (1, 1, 2), (4, 8)),
             (1, 5, 5, 2, (1, 1, 2), (8, 8)), (0, 6, 7, 2, (1, 1, 2), (8, 8)),
             (-1, 6, 7, 2, (1, 1, 2), (8, 8)), (2, 2, 9, 3, (1, 1, 3), (8, 8)),
             (2, 9, 1, 3, (1, 1, 3), (8, 8)), (4, 12, 10, 3, (2, 3, 3), (4, 3)),
             (2, 6, 6, 0, (1, 1, 2), (8, 8))]  # fmt: skip
    for C, H, W, OC, grid, block in cases:
        o0 = np.full(600, 7, np.float32)
        o = to(o0.copy())
        ns["conv2d_3x3"](to(x), to(w), o, C, H, W, OC, grid=grid, block=block)
        ref = o0.copy()
        oc, oh, ow = min(OC, grid[2]), min(H - 2, grid[1] * block[1]), min(W - 2, grid[0] * block[0])
        if OC > 0 and H > 2 and W > 2 and oc > 0 and oh > 0 and ow > 0:
            c = max(C, 0)
            full = _conv_ref(x[: c * H * W], w[: OC * c * 9], c, H, W, OC).reshape(OC, H - 2, W - 2)
            ref[: OC * (H - 2) * (W - 2)].reshape(OC, H - 2, W - 2)[:oc, :oh, :ow] = full[:oc, :oh, :ow]
        np.testing.assert_allclose(back(o), ref, **TOL, err_msg=str((C, H, W, OC, grid, block)))


def test_jax_loop_nests_return_the_output():
    jnp = pytest.importorskip("jax.numpy")
    ns = decompiled("90", "jax")
    rng = np.random.default_rng(8)
    A, B = rng.standard_normal(7 * 5).astype(np.float32), rng.standard_normal(5 * 6).astype(np.float32)
    (C,) = ns["gemm_naive"](jnp.asarray(A), jnp.asarray(B), jnp.zeros(42, jnp.float32), 7, 6, 5,
                            grid=(1, 1), block=(8, 8))  # fmt: skip
    ref = A.reshape(7, 5).astype(np.float64) @ B.reshape(5, 6)
    np.testing.assert_allclose(np.asarray(C), ref.reshape(-1), **TOL)
    x, w = rng.standard_normal(2 * 6 * 7).astype(np.float32), rng.standard_normal(3 * 2 * 9).astype(np.float32)
    (o,) = ns["conv2d_3x3"](jnp.asarray(x), jnp.asarray(w), jnp.zeros(3 * 4 * 5, jnp.float32),
                            2, 6, 7, 3, grid=(1, 1, 3), block=(8, 8))  # fmt: skip
    np.testing.assert_allclose(np.asarray(o), _conv_ref(x, w, 2, 6, 7, 3), **TOL)
