"""Raising calls that return a (values, indices) pair where the hub op returns the values.

``torch.sort(x, 1)`` returns ``(values, indices)``; its variant says so with
``output_select_index: 0``, and ``torch.median(x, dim)`` does too where a dim is given
(plugin ``values_with_dim``; ``torch.median(x)`` returns the values alone). Such a call
means the hub op only where the source reads that element (``[0]`` or ``.values``):
the read is folded into the raised op. Any other use of the pair (unpacked, stored, the
indices read) has no hub equivalent, so the call is refused and kept as written.
"""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from switcheroo.dialects import pysrc
from switcheroo.ontology.odl import Variant
from switcheroo.passes.fw_common import const_value, is_const

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
        return use.value is result and is_const(use.index) and const_value(use.index) == index
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
        rewriter.replace_op(read, [], [value])
        if index is not None and not index.results[0].uses:
            rewriter.erase_op(index)  # the literal index, read by nothing now
