"""Raising calls that return a (values, indices) pair where the hub op returns the values.

``torch.sort(x, 1)`` returns ``(values, indices)``; its variant says so with
``output_select_index: 0``, and ``torch.median(x, dim)`` does too where a dim is given
(plugin ``values_with_dim``; ``torch.median(x)`` returns the values alone). Such a call
means the hub op only where the source reads that element (``[0]`` or ``.values``):
the read is folded into the raised op. Any other use of the pair (unpacked, stored, the
indices read) has no hub equivalent, so the call is refused and kept as written.
"""

from __future__ import annotations

from switcheroo.dialects import pysrc
from switcheroo.ontology.odl import Variant
from switcheroo.passes.fw_common import const_value, is_const, make_const
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

# The field names of a (values, indices) pair, by position (torch.return_types, tf's TopKV2).
PAIR_FIELDS = ("values", "indices")


class PairRefused(Exception):
    """The call returns a pair the source uses other than through the hub op's element."""


def _selected(variant: Variant, names: list[str], values: list[SSAValue]) -> int | None:
    """The element of the call's result the hub op stands for, or None (it is the result)."""
    if variant.output_select_index is not None:
        return variant.output_select_index
    if "values_with_dim" in variant.requires_plugin and "axis" in names:
        axis = values[names.index("axis")]
        if not (is_const(axis) and const_value(axis) is None):
            return 0
    return None


def _reads(use: Operation, result: SSAValue, index: int) -> bool:
    """Whether ``use`` reads element ``index`` of ``result`` (``r[index]``, ``r.values``)."""
    if isinstance(use, pysrc.SubscriptOp):
        # r[0] reads as a subscript by the one-element index tuple (0,)
        return use.value is result and is_const(use.index) and const_value(use.index) in (index, (index,))
    if isinstance(use, pysrc.AttrOp):
        return index < len(PAIR_FIELDS) and use.attr.data == PAIR_FIELDS[index]
    return False


def pair_reads(variant: Variant, names: list[str], values: list[SSAValue], api: str,
               result: SSAValue) -> list[Operation]:
    """The reads of the hub op's element that raising folds (PairRefused if it cannot)."""
    index = _selected(variant, names, values)
    if index is None:
        return []
    uses = [u.operation for u in result.uses]
    if not uses or not all(_reads(u, result, index) for u in uses):
        field = PAIR_FIELDS[index] if index < len(PAIR_FIELDS) else str(index)
        raise PairRefused(f"{api} returns a pair here; only its [{index}] (.{field}) is converted")
    return uses


def fold_pair_reads(reads: list[Operation], value: SSAValue, rewriter: PatternRewriter) -> None:
    """Each ``r[i]`` / ``r.values`` becomes the raised op's value itself."""
    for read in reads:
        index = read.index.owner if isinstance(read, pysrc.SubscriptOp) else None
        rewriter.replace(read, [], [value])
        while isinstance(index, Operation) and not index.results[0].uses:
            # the literal index (and the tuple holding it), read by nothing now
            parts = [o.owner for o in index.operands]
            rewriter.erase(index)
            index = parts[0] if len(parts) == 1 else None


def element_read(variant: Variant | None, op: Operation, call_result: SSAValue) -> list[Operation]:
    """Lowering (or keeping) hub op ``op`` as ``variant``'s call: ``call[index]`` where the
    call returns a pair and the hub op is its element (``torch.sort(x)[0]``), else nothing."""
    if variant is None or variant.compose is not None:
        return []  # a composed spelling reads the element itself (torch.median(...).values)
    index = _selected(variant, [n.data for n in op.arg_names.data], list(op.operands))
    if index is None:
        return []
    key = make_const((index,))  # r[0] subscripts by the tuple (0,), as the frontend reads it
    read = pysrc.SubscriptOp.create(operands=[call_result, key[-1].results[0]], result_types=[call_result.type])
    return [*key, read]
