"""Walks over the ops that hold a program's regions (``pysrc`` modules, classes, functions).

xDSL nests a generator per region, block and op; the converter's passes walk whole modules
a few dozen times a conversion, so these walks are written as single loops. ``walk`` is
the ``walk`` method of ``pysrc``'s region-holding ops; ``ops_of`` is the eager, filtered
walk passes use to find the ops they rewrite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from types import FunctionType
from typing import TypeVar

from xdsl.ir import Block, Operation, Region


def walk(self: Operation, *, reverse: bool = False, region_first: bool = False) -> Iterator[Operation]:
    """``Operation.walk`` in one generator, for the ops that hold a program's regions.

    xDSL nests a generator per region, block and op, so each op it yields passes up through
    three frames per level of nesting (a method body is four levels down), and passes walk
    whole modules often enough for that to be a tenth of a conversion. Same order, and as
    lazy: a block's next op is read when its op is yielded, regions when they are reached.
    """
    if not reverse and not region_first:
        yield from _walk_forward(self)
        return
    if not region_first:
        yield self
    # Entries: [0, iterator over an op's regions, the op] (the op is yielded after them
    # when region_first), [1, iterator over a region's blocks], [2, a block's next op].
    stack: list[list] = [[0, iter(reversed(self.regions) if reverse else self.regions), self]]
    while stack:
        top = stack[-1]
        if top[0] == 2:
            op = top[1]
            if op is None:
                stack.pop()
                continue
            top[1] = op.prev_op if reverse else op.next_op  # read as it is yielded, as BlockOps does
            if not region_first:
                yield op
            if op.regions:
                stack.append([0, iter(reversed(op.regions) if reverse else op.regions), op])
            elif region_first:
                yield op
            continue
        item = next(top[1], None)
        if item is None:
            stack.pop()
            if top[0] == 0 and region_first:
                yield top[2]
        elif top[0] == 0:
            stack.append([1, iter(reversed(item.blocks) if reverse else item.blocks)])
        else:
            stack.append([2, item.last_op if reverse else item.first_op])


def _walk_forward(self: Operation) -> Iterator[Operation]:
    """:func:`walk` in program order, the walk passes ask for most: the loop an op
    without regions takes (most ops) is four steps."""
    yield self
    stack: list[tuple[Operation | None, Iterator[Block], Iterator[Region]]] = []
    regions: Iterator[Region] = iter(self.regions)
    blocks: Iterator[Block] = iter(())
    op: Operation | None = None
    while True:
        if op is None:  # the block is done: the next block, region, or the op's next sibling
            if (block := next(blocks, None)) is not None:
                op = block._first_op  # pyright: ignore[reportPrivateUsage]
            elif (region := next(regions, None)) is not None:
                blocks = iter(region.blocks)
            elif stack:
                op, blocks, regions = stack.pop()
            else:
                return
            continue
        after = op._next_op  # pyright: ignore[reportPrivateUsage] - read as it is yielded, as BlockOps does
        yield op
        if op.regions:
            stack.append((after, blocks, regions))
            regions, blocks, op = iter(op.regions), iter(()), None
        else:
            op = after


_OpT = TypeVar("_OpT", bound=Operation)
# kind -> op class -> what ops_of does with its ops: 1 keeps them (a ``kind``), 2 walks
# their regions (a class that may hold any), 3 both, 0 neither (see ops_of).
_HITS: dict[object, dict[type, int]] = {}
_HOLDS: dict[type, bool] = {}  # op class -> whether its ops may hold regions


def may_hold_regions(cls: type[Operation]) -> bool:
    """Whether ops of ``cls`` may have regions: an IRDL op class defines the regions its
    ops have (none for expression ops, most of a module); any other class may."""
    holds = _HOLDS.get(cls)
    if holds is None:
        definition = getattr(cls, "get_irdl_definition", None)
        holds = _HOLDS[cls] = True if definition is None else bool(definition().regions)
    return holds


def ops_of(root: Operation, kind: type[_OpT] | tuple[type[_OpT], ...]) -> list[_OpT]:
    """``[o for o in root.walk() if isinstance(o, kind)]``, at a third of the cost: one
    loop, no generators, and ``isinstance`` asked once per op class (against an op class
    an op is not, it goes through ``ABCMeta.__instancecheck__``). Passes look for their ops
    this way many times a conversion."""
    # What to do with an op of a class, kept across calls: ``issubclass`` against op
    # classes goes through ``ABCMeta.__subclasscheck__``, which cost a walk of a small
    # function more than the walk itself when asked afresh per call. Most ops (names,
    # calls, attributes) are no ``kind`` and hold no regions: for them, one lookup.
    hits = _HITS.get(kind)
    if hits is None:
        hits = _HITS[kind] = {}
    found: list[_OpT] = []
    try:
        what = hits[type(root)]
    except KeyError:
        what = _classify(hits, type(root), kind)
    if what & 1:
        found.append(root)  # type: ignore[arg-type]
    _collect(root.regions, hits, kind, found.append)
    return found


def ops_where(regions: Sequence[Region], hits: dict[type, int], kind: object) -> list[Operation]:
    """The ops under ``regions``, in ``walk`` order, whose class ``hits`` maps to an odd
    number: :func:`ops_of` with the caller's own table (``kind`` is a predicate on op
    classes; see :func:`_classify`), for a walker whose roots are more than a class."""
    found: list[Operation] = []
    _collect(regions, hits, kind, found.append)
    return found


def _classify(hits: dict[type, int], cls: type, kind: object) -> int:
    """What :func:`_collect` does with ops of ``cls``: 1 keeps them (``kind`` is a class or
    tuple of classes it subclasses, or a predicate that holds for it), 2 walks their regions."""
    keep = kind(cls) if isinstance(kind, FunctionType) else issubclass(cls, kind)  # type: ignore[arg-type]
    what = hits[cls] = bool(keep) | (2 if may_hold_regions(cls) else 0)
    return what


def _collect(regions: Sequence[Region], hits: dict[type, int], kind: object,
             append: Callable[[Operation], None]) -> None:
    # The linked lists read through xDSL's private fields: its ``next_op`` and ``blocks``
    # properties are a call each, a third of the walk.
    for region in regions:
        block = region._first_block  # pyright: ignore[reportPrivateUsage]
        while block is not None:
            sub = block._first_op  # pyright: ignore[reportPrivateUsage]
            while sub is not None:
                try:
                    what = hits[type(sub)]
                except KeyError:
                    what = _classify(hits, type(sub), kind)
                if what:
                    if what & 1:
                        append(sub)
                    if what & 2 and sub.regions:
                        _collect(sub.regions, hits, kind, append)
                sub = sub._next_op  # pyright: ignore[reportPrivateUsage]
            block = block._next_block  # pyright: ignore[reportPrivateUsage]
