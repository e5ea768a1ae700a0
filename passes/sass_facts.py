"""Path conditions of ``sass_symbolic``: linear facts over the integers and decisions.

A path's condition is a list of facts ``e >= 0`` and ``e == 0`` (``e`` a polynomial of
``sass_affine``, its monomials treated as unknowns). ``Facts.implies_ge`` proves ``e >= 0``
by Gaussian elimination over the equalities plus one scaled inequality; when that fails
and a leaf is bounded to a small range by the inequalities (``1 <= K <= 3``), it splits
into one case per value, substituting it everywhere (so ``K & 3`` becomes a constant),
and proves ``e >= 0`` in every case (a contradictory case proves anything).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from switcheroo.passes import sass_affine as affine
from switcheroo.passes.sass_warp_reduce import NoIdiom

Poly = dict
_SPLIT_RANGE = 16  # the widest range a case split enumerates
_SPLIT_DEPTH = 2  # nested case splits


def freeze(p: Poly) -> tuple:
    return tuple(sorted(p.items(), key=lambda mc: [affine._order(k) for k in mc[0]]))


def thaw(t: tuple) -> Poly:
    return dict(t)



_NEG = {"eq": "ne", "ne": "eq", "slt": "sge", "sge": "slt", "sgt": "sle", "sle": "sgt",
        "ult": "uge", "uge": "ult", "ugt": "ule", "ule": "ugt"}  # fmt: skip


@dataclass
class Facts:
    """The path condition: linear facts ``e >= 0`` (``ge``) and ``e == 0`` (``eq``)."""

    ge: list = field(default_factory=list)
    eq: list = field(default_factory=list)

    def copy(self) -> Facts:
        return Facts(list(self.ge), list(self.eq))

    def add(self, pred: str, lhs: Poly, rhs: Poly) -> None:
        d = affine.add(lhs, rhs, -1)
        if pred[0] == "u":
            if not (self.implies_ge(lhs) and self.implies_ge(rhs)):
                return  # an unsigned compare of possibly negative values: no linear fact
            pred = "s" + pred[1:]
        match pred:
            case "eq":
                self.eq.append(d)
            case "sge":
                self.ge.append(d)
            case "sgt":
                self.ge.append(affine.add(d, affine.const(-1)))
            case "sle":
                self.ge.append(affine.add({}, d, -1))
            case "slt":
                self.ge.append(affine.add(affine.const(-1), d, -1))

    def _reduce(self, e: Poly) -> Poly | None:
        """``e`` modulo the span of the equalities (None: the equalities contradict)."""
        rows: list[tuple[tuple, dict]] = []
        for q in self.eq:
            r = {m: Fraction(c) for m, c in q.items()}
            for pm, pr in rows:
                if pm in r:
                    f = r[pm]
                    r = {m: r.get(m, 0) - f * pr.get(m, 0) for m in set(r) | set(pr)}
                    r = {m: c for m, c in r.items() if c}
            pivots = [m for m in r if m]
            if not pivots:
                if r:
                    return None  # 0 == nonzero constant: the path is infeasible
                continue
            pm = max(pivots, key=lambda m: [affine._order(k) for k in m])
            pr = {m: c / r[pm] for m, c in r.items()}
            rows = [(m0, {m: r0.get(m, 0) - r0.get(pm, 0) * pr.get(m, 0)
                          for m in set(r0) | set(pr) if r0.get(m, 0) - r0.get(pm, 0) * pr.get(m, 0)})
                    for m0, r0 in rows] + [(pm, pr)]  # fmt: skip
        r = {m: Fraction(c) for m, c in e.items()}
        for pm, pr in rows:
            if pm in r:
                f = r[pm]
                r = {m: r.get(m, 0) - f * pr.get(m, 0) for m in set(r) | set(pr)}
                r = {m: c for m, c in r.items() if c}
        return r

    def implies_ge(self, e: Poly, depth: int = _SPLIT_DEPTH) -> bool:
        """``e >= 0`` on every input satisfying the facts."""
        if self._implies_ge(e):
            return True
        if depth <= 0:
            return False
        for key, lo, hi in self._bounded():
            cases = [(self.fix(key, c), _fix(e, key, c)) for c in range(lo, hi + 1)]
            if all(f.implies_ge(g, depth - 1) for f, g in cases):
                return True
        return False

    def _implies_ge(self, e: Poly) -> bool:
        """``e >= 0`` from the equalities and one inequality (scaled)."""
        r = self._reduce(e)
        if r is None:
            return True
        if not any(m for m in r):
            return r.get((), 0) >= 0
        for g in self.ge:
            s = self._reduce(g)
            if s is None:
                return True
            ms = [m for m in s if m]
            if not ms:
                if s.get((), 0) < 0:
                    return True  # a false fact: the path is infeasible
                continue
            if set(ms) != {m for m in r if m}:
                continue
            lam = r[ms[0]] / s[ms[0]]
            if lam > 0 and all(r[m] == lam * s[m] for m in ms):
                if r.get((), 0) - lam * s.get((), 0) >= 0:
                    return True
        return False

    def _bounded(self) -> list[tuple]:
        """Leaves the inequalities bound to a small range: ``(leaf, lo, hi)``."""
        lo: dict = {}
        hi: dict = {}
        for g in self.ge:
            ms = [m for m in g if m]
            if len(ms) != 1 or len(ms[0]) != 1:
                continue
            (key,), a, b = ms[0], g[ms[0]], g.get((), 0)
            if a > 0:  # a*v + b >= 0: v >= ceil(-b / a)
                lo[key] = max(lo.get(key, -(b // a)), -(b // a))
            else:  # v <= floor(b / -a)
                hi[key] = min(hi.get(key, b // -a), b // -a)
        return [(k, lo[k], hi[k]) for k in lo
                if k in hi and hi[k] - lo[k] < _SPLIT_RANGE]  # fmt: skip

    def fix(self, key, c: int) -> Facts:
        """The facts with the leaf ``key`` set to ``c``."""
        return Facts([_fix(g, key, c) for g in self.ge], [_fix(q, key, c) for q in self.eq])

    def implies_eq(self, e: Poly) -> bool:
        return self.implies_ge(e) and self.implies_ge(affine.add({}, e, -1))


def decide(f, facts: Facts):
    """A boolean formula's value under ``facts``: True, False, or an undecided atom."""
    match f:
        case bool():
            return f
        case ("not", g):
            v = decide(g, facts)
            return (not v) if isinstance(v, bool) else v
        case ("and" | "or" | "xor", g, h):
            a, b = decide(g, facts), decide(h, facts)
            if f[0] == "and" and (a is False or b is False):
                return False
            if f[0] == "or" and (a is True or b is True):
                return True
            if not isinstance(a, bool):
                return a
            if not isinstance(b, bool):
                return b
            return {"and": a and b, "or": a or b, "xor": a != b}[f[0]]
        case ("cmp", pred, lhs, rhs):
            lp, rp = thaw(lhs), thaw(rhs)
            for p, want in ((pred, True), (_NEG[pred], False)):
                t = Facts(facts.ge, facts.eq)
                probe = Facts()
                probe.add(p, lp, rp)
                if probe.ge and t.implies_ge(probe.ge[0]):
                    return want
                if probe.eq and t.implies_eq(probe.eq[0]):
                    return want
            a, b = affine.constant_of(lp), affine.constant_of(rp)
            if a is not None and b is not None:
                if pred[0] == "u":
                    a, b = a & 0xFFFFFFFF, b & 0xFFFFFFFF
                return {"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b,
                        "gt": a > b, "ge": a >= b}[pred.lstrip("su") if pred[0] in "su" else pred]
            return f
    raise NoIdiom("branch on a value the proof does not follow")


def forks(f, facts: Facts) -> list[tuple[bool, Facts]]:
    """Every way ``f`` can evaluate, each with the facts that make it so."""
    v = decide(f, facts)
    if isinstance(v, bool):
        return [(v, facts)]
    _, pred, lhs, rhs = v
    out = []
    for p in (pred, _NEG[pred]):
        g = facts.copy()
        g.add(p, thaw(lhs), thaw(rhs))
        out += forks(_assume(f, v, p == pred), g)
    return out


def _assume(f, atom, truth: bool):
    """``f`` with ``atom`` replaced by ``truth``."""
    if f == atom:
        return truth
    if isinstance(f, tuple) and f[0] in ("not", "and", "or", "xor"):
        return (f[0], *(_assume(g, atom, truth) for g in f[1:]))
    return f


def _fix(p: Poly, key, c: int) -> Poly:
    """``p`` with the leaf ``key`` set to ``c``; ``x mod 2**j`` leaves of a constant fold."""
    out: Poly = {}
    for m, coef in p.items():
        term = affine.const(coef)
        for k in m:
            term = affine.mul(term, _fix_leaf(k, key, c))
        out = affine.add(out, term)
    return out


def _fix_leaf(k, key, c: int) -> Poly:
    if k == key:
        return affine.const(c)
    if isinstance(k, tuple) and k[0] == "mask":
        inner = _fix(thaw(k[1]), key, c)
        v = affine.constant_of(inner)
        return affine.const(v & k[2]) if v is not None else affine.leaf(("mask", freeze(inner), k[2]))
    return affine.leaf(k)
