"""``sass-fold-addressing``: fold address arithmetic into tensor indexing.

A lifted ``sass.load``/``sass.store`` whose 64-bit byte address reads (through
``sass_affine.poly``) as ``pointer parameter + elem * poly(i)`` for an i32 value ``i`` of
its own address computation becomes ``sass.load_indexed``/``sass.store_indexed``
``pN[i]`` (``dialects/sass/indexed.py``), ``elem`` being the access size in bytes; the
address arithmetic left without uses is then removed. Accesses whose address has another
shape (shared memory, several pointers, a scaled index that is no SSA value of the block)
stay as they are. The no-wrap assumption of ``sass_affine`` applies: the folded form is
exact when the index arithmetic does not overflow, as in the CUDA source.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects.sass.indexed import LoadIndexedOp, StoreIndexedOp
from switcheroo.dialects.sass.lifted import LoadOp, StoreOp
from switcheroo.passes import sass_affine as affine
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerAttr, IntegerType, ModuleOp, StringAttr
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import region_dce

_I32 = IntegerType(32)


def _candidates(addr: SSAValue, depth: int = 12) -> list[SSAValue]:
    """i32 values the address is computed from, nearest first."""
    out, seen, todo = [], set(), [(addr, 0)]
    while todo:
        v, d = todo.pop(0)
        if v in seen or d > depth:
            continue
        seen.add(v)
        if v.type == _I32:
            out.append(v)
        if not isinstance(v, BlockArgument):
            todo += [(x, d + 1) for x in v.owner.operands]
    return out


def indexed_form(op: LoadOp | StoreOp) -> tuple[SSAValue, str, int, int] | None:
    """``(index, param name, param offset, elem)`` when ``op`` accesses ``pN[index]``."""
    fn = op.parent_op()
    while fn is not None and not isinstance(fn, func.FuncOp):
        fn = fn.parent_op()
    if fn is None or op.space.data != "global" or "sass.params" not in fn.attributes:
        return None
    elem = op.width.value.data // 8
    cache: dict = {}
    split = affine.split_pointer(affine.poly(op.addr, cache))
    if split is None or not elem:
        return None
    off, rest = split
    scaled = affine.divide(rest, elem)
    if scaled is None or not scaled:
        return None
    names = [p.data for p in fn.attributes["sass.params"].data]  # type: ignore[attr-defined]
    if f"ptr@{off:#x}" not in names:
        return None
    block = op.parent_block()
    for v in _candidates(op.addr):
        home = v.block if isinstance(v, BlockArgument) else v.owner.parent_block()
        if home is block and affine.poly(v, cache) == scaled:
            return v, f"p{names.index(f'ptr@{off:#x}')}", off, elem
    return None


def _props(op: LoadOp | StoreOp, name: str, off: int, elem: int) -> dict:
    return {"param": StringAttr(name), "offset": IntegerAttr(off, 64),
            "elem": IntegerAttr(elem, 64), "space": op.space, "width": op.width}  # fmt: skip


class FoldLoadAddress(RewritePattern):
    """``sass.load(ptr + elem*i)`` -> ``sass.load_indexed pN[i]``."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: LoadOp, rewriter: PatternRewriter) -> None:
        found = indexed_form(op)
        if found is None:
            return
        index, name, off, elem = found
        new = LoadIndexedOp.create(
            operands=[index, *([op.mask] if op.mask is not None else [])],
            properties=_props(op, name, off, elem),
            result_types=[r.type for r in op.res],
        )
        rewriter.replace_matched_op(new)


class FoldStoreAddress(RewritePattern):
    """``sass.store(ptr + elem*i, v)`` -> ``sass.store_indexed pN[i] = v``."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: StoreOp, rewriter: PatternRewriter) -> None:
        found = indexed_form(op)
        if found is None:
            return
        index, name, off, elem = found
        mask = [op.mask] if op.mask is not None else []
        props = _props(op, name, off, elem)
        props["operandSegmentSizes"] = op.properties["operandSegmentSizes"]
        new: Operation = StoreIndexedOp.create(operands=[index, *op.values, *mask],
                                               properties=props)  # fmt: skip
        rewriter.replace_matched_op(new, [])


@dataclass(frozen=True)
class SassFoldAddressing(ModulePass):
    """Rewrite lifted global loads/stores at ``param + elem * index`` into indexed
    accesses ``pN[index]`` and drop the address arithmetic they no longer use."""

    name = "sass-fold-addressing"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FoldLoadAddress(), apply_recursively=False).rewrite_module(op)
        PatternRewriteWalker(FoldStoreAddress(), apply_recursively=False).rewrite_module(op)
        for fn in op.walk():
            if isinstance(fn, func.FuncOp) and "sass.params" in fn.attributes:
                region_dce(fn.body)
