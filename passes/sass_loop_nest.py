"""The **GEMM k-loop** and **direct 3x3 convolution** idioms of ``sass-raise-idioms``.

Both are proven by symbolic execution of one thread over every path (``sass_symbolic``:
loops summarised by their per-iteration progression at a symbolic iteration, branches
forked into linear facts), whatever the unrolling nvcc chose. For GEMM
(``C[row*N+col] = sum_k A[row*K+k] * B[k*N+col]``, ``row``/``col`` the y/x global ids):

- every ``fma`` onto the accumulator adds term ``k`` (its count so far): loads at
  ``A + 4*(row*K + k)`` and ``B + 4*(k*N + col)``, with ``A``, ``B``, ``K``, ``N`` the
  same parameters for every term on every path; the accumulator starts at +0.0;
- every path that stores has facts implying ``col < N`` and ``row < M``, stores once, at
  ``C + 4*(row*N + col)``, the accumulator after exactly ``max(K, 0)`` terms (its path
  condition implies ``count == K``, or ``count == 0`` and ``K <= 0``); every other path
  implies ``col >= N`` or ``row >= M``; nothing else is written.

So each thread computes the source's sequential sum for k = 0..K-1 in order. For the
convolution (NCHW, one image, stride 1, no padding) the term ``k = 9c + 3ky + kx`` reads
``in + 4*((c*H + oy + ky)*W + ox + kx)`` and ``w + 4*(9*oc*C + k)`` with ``ox``/``oy`` the
x/y global ids and ``oc = blockIdx.z``; the store is at ``out + 4*((oc*(H-2) + oy)*(W-2)
+ ox)`` after ``9*max(C, 0)`` terms, under ``ox < W-2``, ``oy < H-2``, ``oc < OC``.

Raised over the covered outputs (the threads the launch has): GEMM ``C[:rm, :cn] =
A[:rm] @ B[:, :cn]`` with ``rm = min(M, grid.y*block.y)``, ``cn = min(N, grid.x*
block.x)``; the convolution ``out[:ocn, :ohn, :own] = conv(in, w[:ocn])`` cropped, with
``ocn = min(OC, grid.z)``. The float32 sum is reassociated by the framework (the tests
keep the emulation's tolerances).
"""

from __future__ import annotations

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import DYNAMIC_INDEX, ArrayAttr, StringAttr, TensorType, f32, i32
from xdsl.ir import Block, Region, SSAValue

from switcheroo.dialects import hub
from switcheroo.dialects.sass.raised import AssignViewOp, BlockCountOp, GridExtentOp, ViewOp
from switcheroo.passes import sass_affine as affine
from switcheroo.passes.sass_symbolic import Chain, explore, thaw
from switcheroo.passes.sass_warp_reduce import NoIdiom

GID = {d: {(("ctaid", d), ("ntid", d)): 1, (("tid", d),): 1} for d in "xyz"}
OC_ID = affine.leaf(("ctaid", "z"))


def _params(p: dict) -> list:
    return sorted({k for k in affine.leaves(p) if isinstance(k, tuple) and k[0] == "param"})


def _element(addr: dict) -> tuple[int, dict]:
    split = affine.split_pointer(addr)
    index = affine.divide(split[1], 4) if split else None
    if index is None:
        raise NoIdiom("access is not a float element of a pointer parameter")
    return split[0], index


class _Fields:
    """Parameters a proof identifies once and then requires everywhere."""

    def __init__(self):
        self.fields: dict = {}

    def bind(self, **kv) -> bool:
        if any(k in self.fields and self.fields[k] != v for k, v in kv.items()):
            return False
        self.fields.update(kv)
        return True


class Gemm(_Fields):
    name = "gemm"

    def term(self, k: dict, x: dict, y: dict) -> None:
        for p, q in ((x, y), (y, x)):
            (pa, ia), (pb, ib) = _element(p), _element(q)
            d, e = affine.add(ia, k, -1), affine.add(ib, GID["x"], -1)
            for kk in _params(d):
                if d != affine.mul(GID["y"], affine.leaf(kk)):
                    continue
                ns = [n for n in _params(e) if e == affine.mul(k, affine.leaf(n))]
                if not k and not e:
                    ns = [None]  # k == 0: B[col] for any N
                for n in ns:
                    kv = {"a": pa, "b": pb, "k": kk[1]} | ({"n": n[1]} if n else {})
                    if all(self.fields.get(f, v) == v for f, v in kv.items()):
                        self.bind(**kv)
                        return
        raise NoIdiom("a product that is not A[row*K + k] * B[k*N + col]")

    def inside(self, m: int) -> list[dict]:
        n = affine.leaf(("param", self.fields["n"]))
        return [affine.add(affine.add(n, GID["x"], -1), affine.const(-1)),
                affine.add(affine.add(affine.leaf(("param", m)), GID["y"], -1),
                           affine.const(-1))]  # fmt: skip

    def store_index(self) -> dict:
        n = affine.leaf(("param", self.fields["n"]))
        return affine.add(affine.mul(GID["y"], n), GID["x"])

    def total(self) -> dict:
        return affine.leaf(("param", self.fields["k"]))


class Conv3x3(_Fields):
    name = "conv2d"

    def term(self, k: dict, x: dict, y: dict) -> None:
        i = k.get((), 0) % 9
        c = affine.divide(affine.add(k, affine.const(-i)), 9)
        if c is None:
            raise NoIdiom("window term count is not 9c + i")
        ky, kx = divmod(i, 3)
        for p, q in ((x, y), (y, x)):
            (pi, ii), (pw, iw) = _element(p), _element(q)
            d = affine.add(iw, k, -1)
            cs = [cc for cc in _params(d)
                  if d == affine.mul(affine.mul(affine.const(9), OC_ID), affine.leaf(cc))]
            for cc in cs:
                for h in _params(ii):
                    for w in _params(ii):
                        row = affine.add(affine.mul(c, affine.leaf(h)), GID["y"])
                        row = affine.add(row, affine.const(ky))
                        want = affine.add(affine.mul(row, affine.leaf(w)), GID["x"])
                        if ii != affine.add(want, affine.const(kx)):
                            continue
                        kv = {"in": pi, "w": pw, "c": cc[1], "h": h[1], "wd": w[1]}
                        if self.bind(**kv):
                            return
        raise NoIdiom("a product that is not in[(c*H + oy + ky)*W + ox + kx] * w[...]")

    def _hw(self) -> tuple[dict, dict]:
        return (affine.leaf(("param", self.fields["h"])),
                affine.leaf(("param", self.fields["wd"])))  # fmt: skip

    def inside(self, oc: int) -> list[dict]:
        h, w = self._hw()
        return [affine.add(affine.add(w, GID["x"], -1), affine.const(-3)),
                affine.add(affine.add(h, GID["y"], -1), affine.const(-3)),
                affine.add(affine.add(affine.leaf(("param", oc)), OC_ID, -1),
                           affine.const(-1))]  # fmt: skip

    def store_index(self) -> dict:
        h, w = self._hw()
        oh, ow = affine.add(h, affine.const(-2)), affine.add(w, affine.const(-2))
        row = affine.add(affine.mul(OC_ID, oh), GID["y"])
        return affine.add(affine.mul(row, ow), GID["x"])

    def total(self) -> dict:
        return affine.mul(affine.const(9), affine.leaf(("param", self.fields["c"])))


def prove(fn: func.FuncOp, idiom) -> dict:
    """Run the proof of ``idiom`` (Gemm or Conv3x3) on ``fn``; the fields it found
    (pointers and sizes, plus ``out`` and the bound ``m`` of the outer guard)."""
    ends = explore(fn, idiom)
    if not idiom.fields:
        raise NoIdiom("no accumulated product")
    stores = [e for e in ends if e.stores]
    if not stores:
        raise NoIdiom("nothing is stored")
    ints = [int(p.data.split("@")[1], 16) for p in fn.attributes["sass.params"].data
            if p.data.startswith("i32@")]  # fmt: skip
    guard = None
    for end in stores:
        if len(end.stores) != 1:
            raise NoIdiom("a path stores more than once")
        addr, value = end.stores[0]
        out, index = _element(addr)
        if index != idiom.store_index() or not idiom.bind(out=out):
            raise NoIdiom("store is not at the output element")
        count = thaw(value.k) if isinstance(value, Chain) else (
            {} if isinstance(value, dict) and not value else None)
        if count is None:
            raise NoIdiom("stored value is not the accumulator")
        total = idiom.total()
        f = end.facts
        if not (f.implies_eq(affine.add(count, total, -1)) or (
                not count and f.implies_ge(affine.add({}, total, -1)))):
            raise NoIdiom("accumulated terms are not exactly the sum's")
        ok = [m for m in ints if all(f.implies_ge(e) for e in idiom.inside(m))]
        if guard is None and ok:
            guard = ok[0]
        if guard not in ok:
            raise NoIdiom("a store outside the guard")
    for end in ends:
        if not end.stores and not any(
                end.facts.implies_ge(affine.add(affine.const(-1), e, -1))
                for e in idiom.inside(guard)):  # fmt: skip
            raise NoIdiom("a thread inside the guard stores nothing")
    idiom.bind(m=guard)
    return idiom.fields


# ---------------------------------------------------------------- raising


def _hub(spec: str, rank: int, **args: SSAValue):
    return hub.op_for(spec).create(
        operands=list(args.values()),
        properties={"arg_names": ArrayAttr([StringAttr(n) for n in args])},
        result_types=[TensorType(f32, [DYNAMIC_INDEX] * rank)],
    )


class _Builder:
    def __init__(self, params: list[tuple[str, int]]):
        types = [TensorType(f32, [DYNAMIC_INDEX]) if k == "ptr" else f32 if k == "f32" else i32
                 for k, _ in params]  # fmt: skip
        self.types = types
        self.block = Block(arg_types=types)
        self.arg = {off: self.block.args[k] for k, (_, off) in enumerate(params)}
        self.zero = self.add(arith.ConstantOp.from_int_and_width(0, i32))

    def add(self, op) -> SSAValue:
        self.block.add_op(op)
        return op.results[0] if op.results else None

    def const(self, v: int) -> SSAValue:
        return self.add(arith.ConstantOp.from_int_and_width(v, i32))

    def clamp(self, v: SSAValue, extent: SSAValue | None = None) -> SSAValue:
        """``max(0, min(v, extent))`` (``max(0, v)`` without an extent)."""
        if extent is not None:
            v = self.add(arith.MinSIOp(v, extent))
        return self.add(arith.MaxSIOp(v, self.zero))


def raise_gemm(fn: func.FuncOp, params: list[tuple[str, int]]) -> func.FuncOp:
    f = prove(fn, Gemm())
    b = _Builder(params)
    kk = b.clamp(b.arg[f["k"]])
    nn = b.clamp(b.arg[f["n"]])
    rm = b.clamp(b.arg[f["m"]], b.add(GridExtentOp("y")))
    cn = b.clamp(b.arg[f["n"]], b.add(GridExtentOp("x")))
    a = b.add(ViewOp(b.arg[f["a"]], [rm, kk], [rm, kk]))
    bb = b.add(ViewOp(b.arg[f["b"]], [kk, nn], [kk, cn]))
    prod = b.add(_hub("matmul", 2, x1=a, x2=bb))
    b.add(AssignViewOp(b.arg[f["out"]], [rm, nn], [rm, cn], prod))
    return _finish(fn, b, "gemm")


def raise_conv3x3(fn: func.FuncOp, params: list[tuple[str, int]]) -> func.FuncOp:
    f = prove(fn, Conv3x3())
    b = _Builder(params)
    one, three = b.const(1), b.const(3)
    cc, hh, ww = b.clamp(b.arg[f["c"]]), b.clamp(b.arg[f["h"]]), b.clamp(b.arg[f["wd"]])
    oh = b.clamp(b.add(arith.SubiOp(hh, b.const(2))))
    ow = b.clamp(b.add(arith.SubiOp(ww, b.const(2))))
    ocn = b.clamp(b.arg[f["m"]], b.add(BlockCountOp("z")))
    ohn = b.clamp(oh, b.add(GridExtentOp("y")))
    own = b.clamp(ow, b.add(GridExtentOp("x")))
    x = b.add(ViewOp(b.arg[f["in"]], [one, cc, hh, ww], [one, cc, hh, ww]))
    w = b.add(ViewOp(b.arg[f["w"]], [ocn, cc, three, three], [ocn, cc, three, three]))
    y = b.add(_hub("conv", 4, x=x, w=w))
    b.add(AssignViewOp(b.arg[f["out"]], [ocn, oh, ow], [ocn, ohn, own], y))
    return _finish(fn, b, "conv2d-3x3")


def _finish(fn: func.FuncOp, b: _Builder, idiom: str) -> func.FuncOp:
    b.add(func.ReturnOp())
    raised = func.FuncOp(fn.sym_name.data, (b.types, []), Region(b.block))
    for key in ("sass.arch", "sass.params", "sass.outputs"):
        raised.attributes[key] = fn.attributes[key]
    raised.attributes["sass.idiom"] = StringAttr(idiom)
    raised.attributes["sass.launch"] = StringAttr("any")
    return raised
