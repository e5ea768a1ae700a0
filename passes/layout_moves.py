"""Layout changes of any rank: ``moveaxis`` of one axis beside fixed permutations.

A layer that takes tensors of several ranks (BatchNorm1d: [N, C] or [N, C, L]) states its
layout with ``...`` for the axes it does not name (``NC...->N...C``); the change is then a
:class:`Move` of one axis, which is a fixed permutation once the rank is known, as it is
next to a permutation of a layer of fixed rank.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Move:
    """``moveaxis(x, source, destination)`` of one axis: a permutation of any rank."""

    source: int
    destination: int

    def at_rank(self, rank: int) -> tuple[int, ...] | None:
        """The fixed permutation this move is on a tensor of ``rank`` axes."""
        if not (-rank <= self.source < rank and -rank <= self.destination < rank):
            return None
        order = [i for i in range(rank) if i != self.source % rank]
        order.insert(self.destination % rank, self.source % rank)
        return tuple(order)


# A layout change in the hub: a fixed permutation, or a move of one axis at any rank.
Relayout = tuple[int, ...] | Move


def cancels(p: Relayout, q: Relayout) -> bool | None:
    """Whether ``q`` after ``p`` is the identity; None when their ranks disagree (a layer
    raised at the wrong rank: the pair is left visible)."""
    if isinstance(p, Move) and isinstance(q, Move):
        # moveaxis(moveaxis(x, a, b), b, a) is x at every rank the first accepts
        return (q.source, q.destination) == (p.destination, p.source) and (p.source < 0) == (q.destination < 0) \
            and (p.destination < 0) == (q.source < 0)
    if isinstance(p, Move):
        p = p.at_rank(len(q))
    elif isinstance(q, Move):
        q = q.at_rank(len(p))
    if p is None or q is None or len(p) != len(q):
        return None
    return tuple(p[i] for i in q) == tuple(range(len(q)))
