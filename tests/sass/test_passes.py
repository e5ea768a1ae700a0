"""The SASS analysis passes on the real corpus: CFG, parameters from the constant-bank ABI,
launch values (thread/block indices and dimensions)."""

from __future__ import annotations

import pytest
from sass_corpus import CORPUS, need_corpus
from switcheroo.dialects.sass.abi import abi_for
from switcheroo.dialects.sass.ops import KernelOp
from switcheroo.frontends.sass.lower import parse_sass
from switcheroo.passes.sass_build_cfg import SassBuildCfg
from switcheroo.passes.sass_recover_params import SassRecoverParams
from switcheroo.passes.sass_recover_thread_ids import SassRecoverThreadIds
from xdsl.context import Context

ARCHS = ["80", "86", "89", "90", "100", "120"]


def _kernels(arch: str, form: str = "code") -> dict[str, KernelOp]:
    need_corpus()
    module = parse_sass((CORPUS / f"kernels_sm{arch}.{form}.sass").read_text())
    for p in (
        SassBuildCfg(),
        SassRecoverParams(arch=f"sm_{arch}"),
        SassRecoverThreadIds(arch=f"sm_{arch}"),
    ):
        p.apply(Context(), module)
    return {k.sym_name.data: k for k in module.ops if isinstance(k, KernelOp)}


def _ints(attr) -> list[list[int]]:
    return [[v.value.data for v in row.data] for row in attr.data]


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("form", ["code", "cuobjdump"])
def test_params_of_elementwise_kernels(arch, form):
    ks = _kernels(arch, form)
    base = abi_for(f"sm_{arch}").param_base
    kinds = {n: [p.data for p in ks[n].attributes["sass.params"].data] for n in ks}
    assert kinds["vector_add"] == [
        f"ptr@{base:#x}",
        f"ptr@{base + 8:#x}",
        f"ptr@{base + 16:#x}",
        f"i32@{base + 24:#x}",
    ]
    assert kinds["saxpy"] == [
        f"i32@{base:#x}",
        f"f32@{base + 4:#x}",
        f"ptr@{base + 8:#x}",
        f"ptr@{base + 16:#x}",
    ]
    assert kinds["relu"] == [f"ptr@{base:#x}", f"ptr@{base + 8:#x}", f"i32@{base + 16:#x}"]
    assert kinds["dot_warp"] == [
        f"ptr@{base:#x}",
        f"ptr@{base + 8:#x}",
        f"ptr@{base + 16:#x}",
        f"i32@{base + 24:#x}",
    ]


@pytest.mark.parametrize("arch", ARCHS)
def test_launch_values(arch):
    ks = _kernels(arch)
    launch = {n: [s.data for s in k.attributes["sass.launch"].data] for n, k in ks.items()}
    assert launch["vector_add"] == ["blockDim.x", "blockIdx.x", "threadIdx.x"]
    assert launch["dot_warp"] == ["blockDim.x", "blockIdx.x", "gridDim.x", "threadIdx.x"]
    assert {"blockIdx.z", "threadIdx.y", "blockDim.y"} <= set(launch["conv2d_3x3"])


@pytest.mark.parametrize("arch", ARCHS)
def test_cfg_shapes(arch):
    ks = _kernels(arch)
    blocks = _ints(ks["vector_add"].attributes["sass.cfg"])
    # entry (guarded EXIT falls through), body ending in EXIT, the BRA-to-self trap,
    # then the unreachable NOP padding.
    assert len(blocks) == 4 and blocks[0][0] == 0 and blocks[0][2:] == [blocks[1][0]]
    assert blocks[1][2:] == [] and blocks[2][2:] == [blocks[2][0]] and blocks[3][2:] == []
    # Every successor is the start of a block.
    for name, k in ks.items():
        rows = _ints(k.attributes["sass.cfg"])
        starts = {r[0] for r in rows}
        assert all(s in starts for r in rows for s in r[2:]), name
    # gemm's k-loop and dot_warp's grid-stride loop have back edges.
    for name in ("gemm_naive", "dot_warp", "softmax_row"):
        rows = _ints(ks[name].attributes["sass.cfg"])
        assert any(s <= r[0] for r in rows for s in r[2:]), name
    # softmax_row calls the reciprocal slow path.
    assert _ints(ks["softmax_row"].attributes["sass.calls"])


def test_cfg_same_for_symbolic_and_absolute_targets():
    for arch in ("80", "90"):
        a, b = _kernels(arch, "code"), _kernels(arch, "cuobjdump")
        for name in a:
            assert _ints(a[name].attributes["sass.cfg"]) == _ints(b[name].attributes["sass.cfg"])


def test_abi_rejects_old_architectures():
    with pytest.raises(ValueError, match="sm_60"):
        abi_for("sm_60")
