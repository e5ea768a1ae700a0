"""Python for StableHLO's indexing and ordering ops: ``gather``, ``scatter``, ``sort``,
the (value, index) ``reduce`` of argmax/argmin, ``chlo.top_k``.

Each op is first matched against the shape JAX gives common numpy idioms and printed as
that idiom: ``np.take(x, i, axis=a, mode="clip")`` (``x[i]``), ``np.take_along_axis``,
``np.sort``, ``np.argmax``. Anything else goes through a general helper of
:mod:`prelude_indexing` that follows the spec for any dimension numbers. What cannot be
expressed raises :class:`EmitError` (the emitter then keeps the op, marked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from switcheroo.backends.stablehlo.templates import dtype
from switcheroo.diagnostics import SwcError
from switcheroo.dialects import chlo
from switcheroo.dialects import stablehlo_control as shctl
from switcheroo.dialects import stablehlo_elementwise as she
from switcheroo.dialects import stablehlo_reduce as shr
from switcheroo.dialects import stablehlo_shape as shs
from switcheroo.passes.stablehlo_common import dtype_name, splat_value
from xdsl.dialects.builtin import IntegerType, Signedness
from xdsl.ir import Block, BlockArgument, Operation, SSAValue

if TYPE_CHECKING:
    from switcheroo.backends.stablehlo.to_python import PythonEmitter


class EmitError(SwcError):
    """An op the Python backend cannot express (one line, names the op)."""


def _dims(v: SSAValue) -> list[int]:
    return list(v.type.get_shape())


def _index_vector(em: PythonEmitter, idx: str, rank: int, ivd: int) -> str:
    """The start indices without their size-1 index-vector dimension."""
    if ivd == rank:
        return idx
    if ivd == rank - 1:
        return f"{idx}[..., 0]"
    return f"{em.f['xp']}.squeeze({idx}, {ivd})"


# ---- gather -------------------------------------------------------------------------
def gather(em: PythonEmitter, op: shs.GatherOp, a: list[str]) -> str:
    d = op.dimension_numbers
    offset, collapsed = d.get("offset_dims"), d.get("collapsed_slice_dims")
    batching, idx_batching = d.get("operand_batching_dims"), d.get("start_indices_batching_dims")
    start_map, ivd = d.get("start_index_map"), d.get("index_vector_dim")
    sizes = list(op.slice_sizes.get_values())
    xs, ids = _dims(op.operand), _dims(op.start_indices)
    one_index = len(start_map) == 1 and collapsed == start_map and (ivd == len(ids) or ids[ivd] == 1)
    if one_index:
        ax = start_map[0]
        i = _index_vector(em, a[1], len(ids), ivd)
        nb = len(ids) - (ivd < len(ids))
        if not batching and sizes == [1 if k == ax else n for k, n in enumerate(xs)] and (
            offset == [*range(ax), *range(ax + nb, len(xs) - 1 + nb)]
        ):
            return _take(em, a[0], i, ax, xs[ax])
        if (
            ivd == len(ids) - 1 and batching == idx_batching and sorted([*batching, ax]) == list(range(len(xs)))
            and not offset and sizes == [1] * len(xs) and len(ids) - 1 == len(xs)
        ):
            return _take_along(em, a[0], i, ax, xs[ax])
    em.helpers.add("_gather")
    return f"_gather({a[0]}, {a[1]}, {offset}, {collapsed}, {batching}, {idx_batching}, {start_map}, {ivd}, {sizes})"


def _take(em: PythonEmitter, x: str, i: str, axis: int, n: int) -> str:
    """``x[i]`` along ``axis`` with clamped indices (gather clamps, numpy would raise)."""
    if em.family == "torch":
        lead = ":, " * axis
        return f"{x}[{lead}torch.clamp({i}, 0, {n - 1})]"
    return f"{em.f['xp']}.take({x}, {i}, axis={axis}, mode='clip')"


def _take_along(em: PythonEmitter, x: str, i: str, axis: int, n: int) -> str:
    if em.family == "torch":
        return f"torch.take_along_dim({x}, torch.clamp({i}, 0, {n - 1}).long(), dim={axis})"
    if em.family == "numpy":
        return f"np.take_along_axis({x}, np.clip({i}, 0, {n - 1}), axis={axis})"
    return f"jnp.take_along_axis({x}, {i}, axis={axis}, mode='clip')"


# ---- scatter ------------------------------------------------------------------------
def _combiner(body: Block) -> str | None:
    """``set`` when the body returns the update, else the one binary op applied to both."""
    ops = list(body.ops)
    ret = ops[-1]
    if len(ret.operands) != 1:
        return None
    if len(ops) == 1:
        return "set" if ret.operands[0] is body.args[1] else None
    if len(ops) == 2 and set(ops[0].operands) == set(body.args) and ret.operands[0] is ops[0].results[0]:
        kind = ops[0].name.removeprefix("stablehlo.")
        return kind if kind in ("add", "multiply", "maximum", "minimum") else None
    return None


def scatter(em: PythonEmitter, op: shs.ScatterOp, a: list[str]) -> str:
    if len(op.result) != 1:
        raise EmitError("error: stablehlo.scatter of several operands is not supported")
    kind = _combiner(op.update_computation.block)
    if kind is None:
        raise EmitError("error: stablehlo.scatter with this update computation is not supported")
    d = op.scatter_dimension_numbers
    fields = ("update_window_dims", "inserted_window_dims", "input_batching_dims",
              "scatter_indices_batching_dims", "scatter_dims_to_operand_dims", "index_vector_dim")
    numbers = ", ".join(str(d.get(f)) for f in fields)
    em.helpers.add("_scatter")
    return f"_scatter({a[0]}, {a[1]}, {a[2]}, {kind!r}, {numbers})"


# ---- sort ---------------------------------------------------------------------------
def _only_canonicalized(v: SSAValue, arg: SSAValue) -> bool:
    """``v`` is ``arg`` or JAX's canonical form of it (``-0 -> 0``, any NaN -> one NaN):
    selects between ``arg`` and constants on conditions that compare ``arg``."""
    if v is arg:
        return True
    op = v.owner
    if isinstance(op, she.SelectOp):
        cond = op.operands[0].owner
        if not isinstance(cond, she.CompareOp) or not all(
            o is arg or isinstance(o.owner, she.ConstantOp) for o in cond.operands
        ):
            return False
        picks = op.operands[1:]
        return all(isinstance(p.owner, she.ConstantOp) or _only_canonicalized(p, arg) for p in picks) and any(
            not isinstance(p.owner, she.ConstantOp) for p in picks
        )
    return False


def sort_key(op: shr.SortOp) -> tuple[int, bool] | None:
    """(key operand, descending) when the comparator orders by one operand with ``<``/``>``."""
    block = op.comparator.block
    ret = block.last_op
    if not isinstance(ret, shctl.ReturnOp) or len(ret.operands) != 1:
        return None
    cmp = ret.operands[0].owner
    if not isinstance(cmp, she.CompareOp):
        return None
    direction = cmp.comparison_direction.data.value
    if direction not in ("LT", "GT"):
        return None
    for k in range(len(op.inputs)):
        lhs, rhs = block.args[2 * k], block.args[2 * k + 1]
        if _only_canonicalized(cmp.lhs, lhs) and _only_canonicalized(cmp.rhs, rhs):
            return k, direction == "GT"
    return None


def sort(em: PythonEmitter, op: shr.SortOp, a: list[str]) -> str:
    found = sort_key(op)
    if found is None:
        raise EmitError("error: stablehlo.sort with this comparator is not supported")
    key, descending = found
    axis = op.dimension.value.data if op.dimension is not None else -1
    if len(a) == 1 and em.family != "numpy":
        if em.family == "torch":
            return f"torch.sort({a[0]}, dim={axis}, descending={descending}, stable=True).values"
        return f"jnp.sort({a[0]}, axis={axis}, descending={descending}, stable=True)"
    if len(a) == 1 and not descending:
        return f"np.sort({a[0]}, axis={axis}, kind='stable')"
    em.helpers.add("_sort_along")
    out = f"_sort_along({axis}, {key}, {descending}, {', '.join(a)})"
    return out + "[0]" if len(a) == 1 else out


# ---- (value, index) reductions ------------------------------------------------------
def _tree(v: SSAValue, args: tuple[BlockArgument, ...]) -> str:
    """A reducer value as a small expression over argument numbers, for matching."""
    if isinstance(v, BlockArgument) and v in args:
        return str(args.index(v))
    op: Operation = v.owner
    if isinstance(op, she.CompareOp):
        return f"{op.comparison_direction.data.value}({_tree(op.lhs, args)},{_tree(op.rhs, args)})"
    kids = [_tree(o, args) for o in op.operands]
    name = op.name.removeprefix("stablehlo.")
    if name in ("and", "or"):
        kids.sort()
    return f"{name}({','.join(kids)})"


_MAX_PICK = "or(GT(0,2),NE(0,0))"
_MIN_PICK = "or(LT(0,2),NE(0,0))"


def _arg_reducer(body: Block) -> str | None:
    """``max`` or ``min`` when the body is JAX's argmax/argmin reducer over (value, index):
    larger (smaller) value wins, NaN wins, ties go to the lower index."""
    ret = body.last_op
    if len(body.args) != 4 or len(ret.operands) != 2:
        return None
    value, index = (_tree(v, tuple(body.args)) for v in ret.operands)
    for kind, pick in (("max", _MAX_PICK), ("min", _MIN_PICK)):
        tie = sorted(["and(EQ(0,2),LT(1,3))", pick])
        if value == f"select({pick},0,2)" and index == f"select(or({','.join(tie)}),1,3)":
            return kind
    return None


def _identities(kind: str, element) -> tuple[float, ...]:
    """Values that ``max`` (``min``) over ``element`` numbers starts from: -inf (+inf), or
    the smallest (largest) integer of the type."""
    if isinstance(element, IntegerType):
        w = element.width.data
        signed = element.signedness.data != Signedness.UNSIGNED
        lo, hi = (-(2 ** (w - 1)), 2 ** (w - 1) - 1) if signed else (0, 2**w - 1)
        return (float(lo),) if kind == "max" else (float(hi),)
    return (float("-inf"),) if kind == "max" else (float("inf"),)


def arg_reduce(em: PythonEmitter, op: shr.ReduceOp, a: list[str]) -> str:
    """(max, argmax) or (min, argmin) over one axis, the index input being an iota."""
    kind = _arg_reducer(op.body.block)
    axes = list(op.dimensions.get_values())
    iota = op.inputs[1].owner
    init_v, init_i = (splat_value(v) for v in op.args[2:])
    if (
        kind is None or len(axes) != 1 or not isinstance(iota, she.IotaOp)
        or iota.iota_dimension.value.data != axes[0] or init_i != 0
        or init_v not in _identities(kind, op.inputs[0].type.get_element_type())
    ):
        raise EmitError("error: this multi-input stablehlo.reduce is not supported (only argmax/argmin)")
    xp, ax = em.f["xp"], axes[0]
    it = dtype(em.family, dtype_name(op.result[1].type))
    if em.family == "torch":
        values = f"torch.amax({a[0]}, dim={ax})" if kind == "max" else f"torch.amin({a[0]}, dim={ax})"
        return f"{values}, torch.arg{kind}({a[0]}, dim={ax}).to({it})"
    return f"{xp}.{kind}({a[0]}, axis={ax}), {xp}.arg{kind}({a[0]}, axis={ax}).astype({it})"


def top_k(em: PythonEmitter, op: chlo.TopKOp, a: list[str]) -> str:
    k = op.k.value.data
    if em.family == "jax":
        return f"jax.lax.top_k({a[0]}, {k})"
    em.helpers.add("_top_k")
    return f"_top_k({a[0]}, {k})"
