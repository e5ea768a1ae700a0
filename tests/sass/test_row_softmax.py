"""The row-softmax idiom (``passes/sass_row_softmax.py`` and its ``sass_row_*`` helpers):
nvcc's ``__expf`` expansion and its correctly rounded ``1.0f / x`` in softmax_row's stored
value, the three strided row loops, their per-thread folds and the two shared trees are
proven on sm_80 and sm_90, and the kernel is raised to ``exp(X - max(X)) / sum(...)`` over
rows (its numbers: here and test_decompile.py); changed listings are not recognised."""

from __future__ import annotations

import numpy as np
import pytest
from sass_corpus import CORPUS, need_corpus
from switcheroo.frontends.sass.lower import parse_sass
from switcheroo.passes.sass_lift import SassLift
from switcheroo.passes.sass_row_softmax import LOG2E_F32, NoIdiom, RowSoftmax, match_row_softmax
from xdsl.context import Context
from xdsl.dialects import func

RECOGNISED = "row softmax: __expf(x - m) * (1/s) recognised"


def _softmax_fn(text: str) -> func.FuncOp:
    module = parse_sass(text)
    SassLift().apply(Context(), module)
    return next(f for f in module.walk() if isinstance(f, func.FuncOp)
                and f.sym_name.data == "softmax_row" and "sass.arch" in f.attributes)  # fmt: skip


def _reason(text: str) -> str:
    with pytest.raises(NoIdiom) as why:
        match_row_softmax(_softmax_fn(text))
    return str(why.value)


def _listing(arch: str, form: str = "code") -> str:
    need_corpus()
    return (CORPUS / f"kernels_sm{arch}.{form}.sass").read_text()


@pytest.mark.parametrize("arch", ["80", "90"])
def test_expf_and_reciprocal_recognised(arch):
    fn = _softmax_fn(_listing(arch))
    assert fn.attributes["sass.callees"].data[0].data.endswith(
        "$__internal_0_$__cuda_sm20_rcp_rn_f32_slowpath")  # fmt: skip
    assert match_row_softmax(fn) == RowSoftmax(
        *{"80": (0x160, 0x168, 0x170), "90": (0x210, 0x218, 0x220)}[arch],
        (1, 2, 4, 8, 16, 32, 64, 128, 256))  # fmt: skip


@pytest.mark.parametrize("arch", ["80", "90"])
def test_changed_listings_not_recognised(arch):
    text = _listing(arch)
    # The __expf range fix-up tested against -125: not exp(d) below it.
    assert "__expf: fix-up guard" in _reason(text.replace(", -126, PT", ", -125, PT"))
    # The subroutine is another rounding's slow path: not the correctly rounded 1/x.
    assert "no call to" in _reason(text.replace("rcp_rn_f32_slowpath", "rcp_rz_f32_slowpath"))
    if arch == "80":  # the stored __expf's fix-up multiplies by 1/s (R8), not by itself
        assert "__expf" in _reason(text.replace("@!P0 FMUL R9, R9, R9", "@!P0 FMUL R9, R9, R8"))
    # No label for the subroutine (cuobjdump's absolute targets): nothing to rely on.
    assert "no call to" in _reason(_listing(arch, "cuobjdump"))


def test_expf_expansion_is_exp():
    """``__expf``'s expansion with an exact EX2 is ``exp`` in float32 within the tests'
    tolerance over the range where the result is not below it."""
    d = np.linspace(-100.0, 80.0, 20001).astype(np.float32)
    t = d * np.float32(LOG2E_F32)
    low = ~(t >= np.float32(-126.0))
    t = np.where(low, t * np.float32(0.5), t)
    e = np.exp2(t.astype(np.float64)).astype(np.float32)
    with np.errstate(over="ignore"):  # e * e is only kept where e is small
        e = np.where(low, e * e, e)
    np.testing.assert_allclose(e, np.exp(d.astype(np.float64)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("arch", ["80", "90"])
def test_strided_row_loops_proven(arch):
    """The three loops ``for (j = tid.x; j < cols; j += ntid.x)`` (sm_90: ntid.x in a
    header argument, tid.x passed around the reciprocal's call, the third entered after
    ``@P1 EXIT``) are proven."""
    from switcheroo.passes.sass_row_loops import row_loops

    loops, cols = row_loops(_softmax_fn(_listing(arch)))
    assert len(loops) == 3 and cols == {"80": 0x170, "90": 0x220}[arch]


def test_changed_row_loops_not_proven():
    text = _listing("80")
    # The first loop starts at tid.x + 1: not every element of the row.
    start = "IMAD.MOV.U32 R5, RZ, RZ, R0 ;"
    assert start in text
    assert "no induction variable" in _reason(text.replace(start, "IADD3 R5, R0, 0x1, RZ ;"))
    # The first loop steps by ntid.y.
    step = "IADD3 R5, R5, c[0x0][0x0], RZ ;"
    assert step in text
    assert "no induction variable" in _reason(text.replace(step, "IADD3 R5, R5, c[0x0][0x4], RZ ;"))
    # The third loop is entered when tid.x >= cols (the EXIT's guard negated).
    assert "@P1 EXIT ;" in text
    assert "entered without tid.x < cols" in _reason(text.replace("@P1 EXIT ;", "@!P1 EXIT ;"))
    # The first loop's skip test compares against another parameter word.
    skip = "ISETP.GE.AND P0, PT, R0, c[0x0][0x170], PT ;\n        /*0090*/"
    assert skip in text
    assert "entered without" in _reason(
        text.replace(skip, "ISETP.GE.AND P0, PT, R0, c[0x0][0x174], PT ;\n        /*0090*/"))


@pytest.mark.parametrize("arch", ["80", "90"])
def test_row_folds_proven(arch):
    """Loop 1 folds ``max(x[ctaid.x*cols + j])`` from -inf, loop 2 ``sum __expf(x[...] -
    m)`` from +0.0, loop 3 stores ``__expf(x[...] - m) * (1/s)`` at ``y[ctaid.x*cols + j]``."""
    from switcheroo.passes.sass_row_folds import row_folds
    from switcheroo.passes.sass_row_loops import row_loops

    fn = _softmax_fn(_listing(arch))
    folds = row_folds(fn, *row_loops(fn))
    assert (folds.x, folds.y) == {"80": (0x160, 0x168), "90": (0x210, 0x218)}[arch]


def test_changed_row_folds_not_proven():
    text = _listing("80")
    proven = "three strided row loops proven; "
    # The first loop reads y (its pointer's two words): not the row of x.
    lo, hi = "LEA R2, P0, R3, c[0x0][0x160], 0x2 ;", "LEA.HI.X R3, R3, c[0x0][0x164], R6, 0x2, P0 ;"
    assert lo in text and hi in text
    why = _reason(text.replace(lo, lo.replace("0x160", "0x168")).replace(hi, hi.replace(
        "0x164", "0x16c")))  # fmt: skip
    assert proven + "row folds: the loops read different rows" in why
    # The first loop folds the minimum.
    assert "FMNMX R4, R3, R4, !PT ;" in text
    assert "first loop is not FMNMX (max)" in _reason(
        text.replace("FMNMX R4, R3, R4, !PT ;", "FMNMX R4, R3, R4, PT ;"))
    # The second loop strides 8 bytes: not x[ctaid.x * cols + j].
    lo, hi = "LEA R4, P2, R5, c[0x0][0x160], 0x2 ;", "LEA.HI.X R5, R5, c[0x0][0x164], R8, 0x2, P2 ;"
    assert lo in text and hi in text
    why = _reason(text.replace(lo, lo.replace("0x2 ;", "0x3 ;")).replace(hi, hi.replace(
        "0x2, P2", "0x3, P2")))  # fmt: skip
    assert proven in why and "folds proven" not in why
    # The second loop's exponent is x + m.
    assert "FADD R8, -R2, R5 ;" in text
    assert "exponent is not x - m" in _reason(text.replace("FADD R8, -R2, R5 ;", "FADD R8, R2, R5 ;"))


def test_changed_trees_not_proven():
    """The shared trees: a max tree whose stride is quartered (blocks of 2 never combine
    thread 1's fold), a sum tree that takes the maximum, and a sum tree that adds its own
    cell twice are not row softmaxes."""
    text = _listing("80")
    trees = "the three strided row loops and their per-thread folds proven; shared trees: "
    step = "SHF.R.U32.HI R5, RZ, 0x1, R5 ;"
    assert step in text
    why = _reason(text.replace(step, "SHF.R.U32.HI R5, RZ, 0x2, R5 ;"))
    assert trees in why and "loop 1's folds misses thread 1" in why
    add = "@!P0 FADD R5, R5, R4 ;"
    assert add in text
    why = _reason(text.replace(add, "@!P0 FMNMX R5, R5, R4, !PT ;"))
    assert trees in why and "combined" in why
    assert "loop 2's folds misses thread" in _reason(text.replace(add, "@!P0 FADD R5, R5, R5 ;"))
