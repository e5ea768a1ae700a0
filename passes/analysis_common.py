"""What the analysis passes share: recording a finding on the ``pysrc.module``."""

from __future__ import annotations

from switcheroo.dialects import pysrc
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation


def source_module(module: builtin.ModuleOp) -> pysrc.ModuleOp | None:
    return next((o for o in module.ops if isinstance(o, pysrc.ModuleOp)), None)


def statement_loc(op: Operation) -> str:
    """The location of the statement (or op) holding ``op``: ``LINE:COL``."""
    cur: Operation | None = op
    while cur is not None:
        loc = cur.properties.get("loc")
        if isinstance(loc, StringAttr):
            return loc.data
        nxt = cur.next_op
        while nxt is not None and not isinstance(nxt, pysrc._Statement):
            nxt = nxt.next_op
        if nxt is not None and isinstance(nxt.properties.get("loc"), StringAttr):
            return nxt.properties["loc"].data
        cur = cur.parent_op()
    return "1:1"


def add_diagnostic(module: builtin.ModuleOp, loc: str, severity: str, message: str) -> None:
    """Record a finding; the backend reports it as ``file:line:col: severity: message``."""
    top = source_module(module)
    if top is None:
        return
    found = list(top.diagnostics.data) if top.diagnostics else []
    entry = StringAttr(f"{loc}\t{severity}\t{message}")
    if entry not in found:
        found.append(entry)
        top.properties["diagnostics"] = ArrayAttr(found)
