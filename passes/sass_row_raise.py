"""The raised form of a proven row softmax (``sass_row_softmax.match_row_softmax``).

Block ``b`` of a 1-D launch handles row ``b`` of ``cols`` floats: ``x[b*cols : (b+1)*cols]``
to ``y[...]``, so the launch covers ``gridDim.x`` rows (the kernel has no row count) and
nothing is written when ``cols <= 0``. Raised, over ``sass.view``s of the flat parameters::

    c = max(cols, 0);  X = view(x, [gridDim.x, c])
    e = exp(X - max(X, axis=1, keepdims=True))
    view(y, [gridDim.x, c]) = e / sum(e, axis=1, keepdims=True)

as ``hub.max/subtract/exp/sum/divide``. The kernel computes ``__expf(x - m) * (1.0f / s)``
(``exp2`` of ``(x - m) * log2(e)`` rounded to float32, a correctly rounded reciprocal and
a float32 tree of sums); the framework's ``exp``, sum and division differ from it by
float32 rounding only. The proof holds for the block sizes of ``BLOCK_SIZES`` (powers of
two up to the 256 cells kernels.cu declares: the halving trees drop values for other
sizes, on the GPU too): ``sass.launch = "1d-blocks"``, other launches run the emulation.
"""

from __future__ import annotations

from switcheroo.dialects import hub
from switcheroo.dialects.sass.raised import AssignViewOp, BlockCountOp, ViewOp
from switcheroo.passes.sass_block_reduce import raised_kernel
from switcheroo.passes.sass_row_softmax import match_row_softmax
from switcheroo.passes.sass_warp_reduce import NoIdiom
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    f32,
    i1,
    i32,
)
from xdsl.ir import Block, SSAValue

ROWS = TensorType(f32, [DYNAMIC_INDEX] * 2)


def _hub(block: Block, spec: str, **args: SSAValue) -> SSAValue:
    op = hub.op_for(spec).create(
        operands=list(args.values()),
        properties={"arg_names": ArrayAttr([StringAttr(n) for n in args])},
        result_types=[ROWS],
    )
    block.add_op(op)
    return op.results[0]


def _const(block: Block, value: int, type_) -> SSAValue:
    op = arith.ConstantOp(IntegerAttr(value, type_))
    block.add_op(op)
    return op.result


def raise_row_softmax(fn: func.FuncOp, params: list[tuple[str, int]]) -> func.FuncOp:
    """The raised func of a proven row softmax (raises :class:`NoIdiom`)."""
    proof = match_row_softmax(fn)
    kinds = {off: kind for kind, off in params}
    if kinds.get(proof.x) != "ptr" or kinds.get(proof.y) != "ptr" or kinds.get(
            proof.cols) != "i32":  # fmt: skip
        raise NoIdiom("row softmax: parameters of the wrong kind")
    types = [TensorType(f32, [DYNAMIC_INDEX]) if k == "ptr" else f32 if k == "f32" else i32
             for k, _ in params]  # fmt: skip
    block = Block(arg_types=types)
    arg = {off: block.args[k] for k, (_, off) in enumerate(params)}
    rows = BlockCountOp("x")
    zero = arith.ConstantOp.from_int_and_width(0, i32)
    cols = arith.MaxSIOp(arg[proof.cols], zero.result)
    block.add_ops([rows, zero, cols])
    shape = [rows.res, cols.result]
    x = ViewOp(arg[proof.x], shape, shape)
    block.add_op(x)
    axis, keep = _const(block, 1, i32), _const(block, 1, i1)
    top = _hub(block, "max", x=x.res, axis=axis, keepdims=keep)
    e = _hub(block, "exp", x=_hub(block, "subtract", x1=x.res, x2=top))
    total = _hub(block, "sum", x=e, axis=axis, keepdims=keep)
    y = _hub(block, "divide", x1=e, x2=total)
    block.add_ops([AssignViewOp(arg[proof.y], shape, shape, y), func.ReturnOp()])
    return raised_kernel(fn, types, block, "row-softmax", proof.blocks)
