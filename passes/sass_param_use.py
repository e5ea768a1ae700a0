"""Kernel parameters typed by use in the lifted IR (what ``sass-lift`` records).

A forward dataflow tags values with the parameter word they carry: ``sass.param`` gives
``("w", off)``; an i64 built from words ``off`` and ``off + 4`` is ``("ptr", off)``; adding
an untagged value keeps a tag (pointer + index), anything else drops it; halves of a
pointer give ``("w", off)``/``("w", off + 4)`` again. Block arguments meet their incoming
values. A parameter is a pointer when a ``("ptr", off)`` value reaches a memory address,
``f32`` when its word is bitcast to a float, ``i32`` otherwise. Written pointers are those
that reach a store or atomic address (a decompiled function's outputs).
"""

from __future__ import annotations

from switcheroo.dialects.sass.lifted import AtomicOp, LoadOp, ParamOp, StoreOp
from xdsl.dialects import arith, cf, func
from xdsl.ir import SSAValue


_TOP = ("top", -1)
"""Different parameters meet at a block argument."""


def _tag_of(op, tags: dict) -> tuple | None:
    ins = [tags.get(o) for o in op.operands]
    match op:
        case ParamOp():
            return ("w", op.offset.value.data)
        case arith.AddiOp():
            known = [t for t in ins if t is not None]
            return known[0] if len(known) == 1 else None
        case arith.ExtUIOp() | arith.ExtSIOp() | arith.SelectOp():
            if isinstance(op, arith.SelectOp):
                # the other side is usually the register's old (undefined) value
                known = {t for t in ins[1:] if t is not None}
                return known.pop() if len(known) == 1 else None
            return ins[0]
        case arith.OrIOp():
            # wide(lo, hi) = zext(lo) | (zext(hi) << 32)
            a, b = ins
            if a and b and a[0] == "w" and b[0] == "hi" and b[1] == a[1] + 4:
                return ("ptr", a[1])
            return None
        case arith.ShLIOp():
            a = ins[0]
            return ("hi", a[1]) if a and a[0] == "w" else None
        case arith.TruncIOp():
            a = ins[0]
            if a and a[0] in ("ptr", "w"):
                return ("w", a[1])
            if a and a[0] == "ptrhi":
                return ("w", a[1] + 4)
            return None
        case arith.ShRUIOp():
            a = ins[0]
            return ("ptrhi", a[1]) if a and a[0] == "ptr" else None
    return None


def analyse(fn: func.FuncOp) -> tuple[list[tuple[str, int]], set[int]]:
    """``[(kind, offset)]`` in offset order and the offsets of written pointers."""
    tags: dict[SSAValue, tuple] = {}
    changed = True
    while changed:
        changed = False
        for block in fn.body.blocks:
            for op in block.ops:
                if isinstance(op, cf.BranchOp | cf.ConditionalBranchOp | cf.SwitchOp):
                    for succ_i, succ in enumerate(op.successors):
                        for arg, val in zip(succ.args, _succ_operands(op, succ_i)):
                            t = tags.get(val)
                            old = tags.get(arg)
                            new = t if old is None else old if t is None or t == old else _TOP
                            if old != new:
                                tags[arg] = new
                                changed = True
                    continue
                if op.results:
                    t = _tag_of(op, tags)
                    if tags.get(op.results[0]) != t:
                        tags[op.results[0]] = t
                        changed = True
    words: set[int] = set()
    floats: set[int] = set()
    pointers: set[int] = set()
    written: set[int] = set()
    for op in fn.walk():
        if isinstance(op, ParamOp):
            words.add(op.offset.value.data)
        if isinstance(op, LoadOp | StoreOp | AtomicOp):
            t = tags.get(op.addr)
            if t and t[0] == "ptr":
                pointers.add(t[1])
                if not isinstance(op, LoadOp):
                    written.add(t[1])
        if isinstance(op, arith.BitcastOp) and op.result.type.name == "f32":
            t = tags.get(op.input)
            if t and t[0] == "w":
                floats.add(t[1])
    params: list[tuple[str, int]] = []
    for off in sorted(words | pointers):
        if off - 4 in pointers:
            continue
        kind = "ptr" if off in pointers else "f32" if off in floats else "i32"
        params.append((kind, off))
    return params, written


def _succ_operands(op, i: int):
    if isinstance(op, cf.BranchOp):
        return op.arguments
    if isinstance(op, cf.ConditionalBranchOp):
        return op.then_arguments if i == 0 else op.else_arguments
    if i == 0:
        return op.default_operands
    return op.case_operand[i - 1]

