"""Building StableHLO with shapes worked out: the ops ``lower-hub-to-stablehlo`` emits.

:class:`StablehloBuilder` appends ops to one block and returns their results. Every
method computes its result type from its operands' (numpy broadcasting for the binary
ops, numpy ``matmul`` for batched products), so the lowering rules only say *what* to
compute. The ops are spelled as JAX spells them (scalar constants broadcast with
``broadcast_in_dim``, reductions with a scalar body), so the output reads like
``jax.jit(f).lower(...).as_text()``.
"""

from __future__ import annotations

from collections.abc import Sequence

from switcheroo.dialects import chlo
from switcheroo.dialects import stablehlo_attrs as sha
from switcheroo.dialects import stablehlo_compute as shc
from switcheroo.dialects import stablehlo_control as shctl
from switcheroo.dialects import stablehlo_elementwise as she
from switcheroo.dialects import stablehlo_reduce as shr
from switcheroo.dialects import stablehlo_shape as shs
from xdsl.dialects.builtin import (
    ArrayAttr,
    BoolAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntAttr,
    IntegerAttr,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue


class ShapeError(ValueError):
    """Operand shapes the requested op cannot combine (message names the shapes)."""


def shape(v: SSAValue) -> tuple[int, ...]:
    return tuple(v.type.get_shape())


def broadcast_shapes(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    """numpy broadcasting of two static shapes."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b, strict=True):
        if x != y and 1 not in (x, y):
            raise ShapeError(f"shapes {a} and {b} do not broadcast")
        out.append(max(x, y) if 0 not in (x, y) else 0)
    return tuple(out)


def _i64s(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


def _ints(values: Sequence[int]) -> ArrayAttr[IntAttr]:
    return ArrayAttr([IntAttr(v) for v in values])


def _pad_attr(pads: Sequence[tuple[int, int]]) -> DenseIntOrFPElementsAttr:
    flat = [p for lo_hi in pads for p in lo_hi]
    return DenseIntOrFPElementsAttr.from_list(TensorType(i64, [len(pads), 2]), flat)


class StablehloBuilder:
    """Appends StableHLO ops computing on ``element`` tensors to ``block``."""

    def __init__(self, block: Block, element: Attribute):
        self.block = block
        self.element = element
        self._scalars: dict[float, SSAValue] = {}  # one constant per value, as JAX hoists them

    def tensor(self, dims: Sequence[int]) -> TensorType:
        return TensorType(self.element, list(dims))

    def add_op(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0]

    # ---- constants and shapes ----------------------------------------------
    def scalar(self, value: float, dims: Sequence[int] = ()) -> SSAValue:
        """A splat constant: ``constant dense<v> : tensor<f32>`` broadcast to ``dims``."""
        c = self._scalars.get(float(value))
        if c is None:
            t = self.tensor([])
            attr = DenseIntOrFPElementsAttr.from_list(t, [float(value)])
            c = self._scalars[float(value)] = self.add_op(
                she.ConstantOp.create(properties={"value": attr}, result_types=[t])
            )
        return self.broadcast_to(c, dims) if dims else c

    def broadcast_to(self, v: SSAValue, dims: Sequence[int]) -> SSAValue:
        src = shape(v)
        if src == tuple(dims):
            return v
        broadcast_shapes(src, dims)  # checks compatibility
        lead = len(dims) - len(src)
        op = shs.BroadcastInDimOp.create(
            operands=[v],
            properties={"broadcast_dimensions": _i64s(range(lead, len(dims)))},
            result_types=[self.tensor(dims)],
        )
        return self.add_op(op)

    def reshape(self, v: SSAValue, dims: Sequence[int]) -> SSAValue:
        if shape(v) == tuple(dims):
            return v
        return self.add_op(shs.ReshapeOp.create(operands=[v], result_types=[self.tensor(dims)]))

    def transpose(self, v: SSAValue, perm: Sequence[int]) -> SSAValue:
        perm = [p % len(perm) for p in perm]
        if perm == sorted(perm):
            return v
        dims = [shape(v)[p] for p in perm]
        op = shs.TransposeOp.create(
            operands=[v], properties={"permutation": _i64s(perm)}, result_types=[self.tensor(dims)]
        )
        return self.add_op(op)

    def concatenate(self, vs: Sequence[SSAValue], axis: int) -> SSAValue:
        dims = list(shape(vs[0]))
        dims[axis] = sum(shape(v)[axis] for v in vs)
        op = shs.ConcatenateOp.create(
            operands=list(vs), properties={"dimension": IntegerAttr(axis, i64)},
            result_types=[self.tensor(dims)],
        )
        return self.add_op(op)

    def slice(self, v: SSAValue, start: Sequence[int], limit: Sequence[int], strides: Sequence[int]) -> SSAValue:
        dims = [-(-(e - s) // st) for s, e, st in zip(start, limit, strides, strict=True)]
        op = shs.SliceOp.create(
            operands=[v],
            properties={"start_indices": _i64s(start), "limit_indices": _i64s(limit),
                        "strides": _i64s(strides)},
            result_types=[self.tensor(dims)],
        )
        return self.add_op(op)

    def take_rows(self, table: SSAValue, idx: SSAValue) -> SSAValue:
        """``table[idx]`` for integer ``idx`` of any shape: a ``gather`` of whole rows
        (indices are clamped into range, as gather does)."""
        ts, ids = shape(table), shape(idx)
        numbers = sha.GatherDimensionNumbersAttr(
            _ints(range(len(ids), len(ids) + len(ts) - 1)), _ints([0]), _ints([]), _ints([]), _ints([0]),
            IntAttr(len(ids)),
        )
        op = shs.GatherOp.create(
            operands=[table, idx],
            properties={"dimension_numbers": numbers, "slice_sizes": _i64s([1, *ts[1:]]),
                        "indices_are_sorted": BoolAttr.from_bool(False)},
            result_types=[TensorType(table.type.get_element_type(), [*ids, *ts[1:]])],
        )
        return self.add_op(op)

    # ---- element-wise ------------------------------------------------------
    def unary(self, name: str, v: SSAValue) -> SSAValue:
        """``stablehlo.<name>`` (``chlo.<name>`` for what only CHLO has: erf) on ``v``."""
        cls = she.UNARY_OPS[name] if name in she.UNARY_OPS else chlo.UNARY_OPS[name]
        return self.add_op(cls.create(operands=[v], result_types=[v.type]))

    def binary(self, name: str, a: SSAValue, b: SSAValue) -> SSAValue:
        """``stablehlo.<name>`` after broadcasting both sides to their common shape."""
        dims = broadcast_shapes(shape(a), shape(b))
        a, b = self.broadcast_to(a, dims), self.broadcast_to(b, dims)
        op = she.BINARY_OPS[name].create(operands=[a, b], result_types=[self.tensor(dims)])
        return self.add_op(op)

    def with_scalar(self, name: str, a: SSAValue, value: float, *, scalar_first: bool = False) -> SSAValue:
        c = self.scalar(value, shape(a))
        return self.binary(name, c, a) if scalar_first else self.binary(name, a, c)

    # ---- contractions --------------------------------------------------------
    def dot_general(
        self, lhs: SSAValue, rhs: SSAValue, batch: tuple[Sequence[int], Sequence[int]],
        contract: tuple[Sequence[int], Sequence[int]],
    ) -> SSAValue:
        ls, rs = shape(lhs), shape(rhs)
        (lb, rb), (lc, rc) = batch, contract
        for i, j in [*zip(lb, rb, strict=True), *zip(lc, rc, strict=True)]:
            if ls[i] != rs[j]:
                raise ShapeError(f"dot_general: dimension {ls[i]} of {ls} does not match {rs[j]} of {rs}")
        dims = [ls[i] for i in lb]
        dims += [d for i, d in enumerate(ls) if i not in lb and i not in lc]
        dims += [d for j, d in enumerate(rs) if j not in rb and j not in rc]
        numbers = sha.DotDimensionNumbersAttr(_ints(lb), _ints(rb), _ints(lc), _ints(rc))
        default = sha.PrecisionAttr(sha.Precision.DEFAULT)
        op = shc.DotGeneralOp.create(
            operands=[lhs, rhs],
            properties={"dot_dimension_numbers": numbers, "precision_config": ArrayAttr([default, default])},
            result_types=[self.tensor(dims)],
        )
        return self.add_op(op)

    def matmul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        """numpy ``a @ b``: vectors promoted and squeezed back, batch dims broadcast."""
        sa, sb = shape(a), shape(b)
        if len(sa) == 1 and len(sb) == 1:
            return self.dot_general(a, b, ((), ()), ((0,), (0,)))
        if len(sb) == 1:
            return self.dot_general(a, b, ((), ()), ((len(sa) - 1,), (0,)))
        if len(sa) == 1:
            r = self.dot_general(a, b, ((), ()), ((0,), (len(sb) - 2,)))
            perm = [*range(1, len(sb) - 1), 0][: len(sb) - 1]
            return self.transpose(r, perm) if len(sb) > 2 else r
        if len(sa) == 2 and len(sb) == 2:
            return self.dot_general(a, b, ((), ()), ((1,), (0,)))
        batch = broadcast_shapes(sa[:-2], sb[:-2])
        a = self.broadcast_to(a, (*batch, *sa[-2:]))
        b = self.broadcast_to(b, (*batch, *sb[-2:]))
        n = len(batch)
        return self.dot_general(a, b, (range(n), range(n)), ((n + 1,), (n,)))

    def convolution(
        self, x: SSAValue, w: SSAValue, strides: Sequence[int], pads: Sequence[tuple[int, int]],
        dilation: Sequence[int], groups: int,
    ) -> SSAValue:
        """Channels-first convolution: x [N, C, *S], w [O, C/groups, *K] -> [N, O, *S']."""
        xs, ws = shape(x), shape(w)
        n = len(xs) - 2
        out = [xs[0], ws[0]]
        for i in range(n):
            k = dilation[i] * (ws[2 + i] - 1) + 1
            out.append((xs[2 + i] + pads[i][0] + pads[i][1] - k) // strides[i] + 1)
        sp = list(range(2, 2 + n))
        numbers = sha.ConvDimensionNumbersAttr(
            IntAttr(0), IntAttr(1), _ints(sp), IntAttr(1), IntAttr(0), _ints(sp),
            IntAttr(0), IntAttr(1), _ints(sp),
        )
        default = sha.PrecisionAttr(sha.Precision.DEFAULT)
        op = shc.ConvolutionOp.create(
            operands=[x, w],
            properties={
                "window_strides": _i64s(strides), "padding": _pad_attr(pads),
                "lhs_dilation": _i64s([1] * n), "rhs_dilation": _i64s(dilation),
                "dimension_numbers": numbers,
                "feature_group_count": IntegerAttr(groups, i64),
                "batch_group_count": IntegerAttr(1, i64),
                "precision_config": ArrayAttr([default, default]),
            },
            result_types=[self.tensor(out)],
        )
        return self.add_op(op)

    # ---- reductions ----------------------------------------------------------
    def _body(self, combiner: str) -> Region:
        t = self.tensor([])
        block = Block(arg_types=[t, t])
        inner = she.BINARY_OPS[combiner].create(operands=list(block.args), result_types=[t])
        block.add_ops([inner, shctl.ReturnOp.create(operands=[inner.results[0]])])
        return Region(block)

    def reduce(self, v: SSAValue, axes: Sequence[int], combiner: str, init: float) -> SSAValue:
        """``reduce`` over ``axes`` with ``stablehlo.<combiner>`` from ``init``."""
        axes = sorted(a % len(shape(v)) for a in axes)
        dims = [d for i, d in enumerate(shape(v)) if i not in axes]
        op = shr.ReduceOp.create(
            operands=[v, self.scalar(init)],
            properties={"dimensions": _i64s(axes)},
            regions=[self._body(combiner)],
            result_types=[self.tensor(dims)],
        )
        return self.add_op(op)

    def reduce_window(
        self, v: SSAValue, combiner: str, init: float, window: Sequence[int],
        strides: Sequence[int], pads: Sequence[tuple[int, int]],
    ) -> SSAValue:
        dims = [
            (d + lo + hi - k) // s + 1
            for d, k, s, (lo, hi) in zip(shape(v), window, strides, pads, strict=True)
        ]
        ones = [1] * len(window)
        op = shr.ReduceWindowOp.create(
            operands=[v, self.scalar(init)],
            properties={
                "window_dimensions": _i64s(window), "window_strides": _i64s(strides),
                "base_dilations": _i64s(ones), "window_dilations": _i64s(ones),
                "padding": _pad_attr(pads),
            },
            regions=[self._body(combiner)],
            result_types=[self.tensor(dims)],
        )
        return self.add_op(op)
