"""``track-lifecycle{source=F}``: attributes a module's forward method reads but its
``__init__`` never sets, reported before rewriting (the converted module would fail, or
silently read a class attribute, at its first call)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from switcheroo.dialects import pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.passes import ModulePass


def _self_attr(op) -> str | None:
    if isinstance(op, pysrc.AttrOp) and isinstance(op.obj.owner, pysrc.NameOp) and op.obj.owner.id.data == "self":
        return op.attr.data
    return None


_STORES: dict[str, frozenset[str]] = {}  # statement text -> the self.X it sets (parsed once)


def _self_stores(text: str) -> frozenset[str]:
    """The ``X`` of each ``self.X`` that the statement ``text`` sets (none if it does not parse)."""
    found = _STORES.get(text)
    if found is None:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            found = frozenset()
        else:
            found = frozenset(n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                              and isinstance(n.value, ast.Name) and n.value.id == "self"
                              and isinstance(n.ctx, ast.Store))
        if len(_STORES) < 50_000:
            _STORES[text] = found
    return found


def _set_in(func: pysrc.FuncOp) -> set[str]:
    """``self.X = ...`` (also in tuples and opaque statements) and ``register_buffer('X')``."""
    out: set[str] = set()
    for op in pysrc.ops_of(func, (pysrc.AssignOp, pysrc.AugAssignOp, pysrc.OpaqueStmtOp, pysrc.CallOp)):
        text = None
        if isinstance(op, (pysrc.AssignOp, pysrc.AugAssignOp)):
            text = op.target.data + " = 0"
        elif isinstance(op, pysrc.OpaqueStmtOp):
            text = op.code.data
        if text is not None and "self" in text:  # no parse for the many that cannot set self.X
            out |= _self_stores(text)
        if isinstance(op, pysrc.CallOp) and _self_attr(op.callee.owner) in ("register_buffer", "register_parameter") \
                and op.args and isinstance(op.args[0].owner, pysrc.ConstOp):
            out.add(ast.literal_eval(op.args[0].owner.code.data))
    return out


@dataclass(frozen=True)
class TrackLifecycle(ModulePass):
    """Report attributes used in forward but never set in ``__init__``."""

    name = "track-lifecycle"
    source: str = "torch"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        traits = load_ontology().traits[self.source]
        inherited = {traits.training_flag} if traits.training_flag else set()
        for cls in pysrc.ops_of(op, pysrc.ClassOp):
            funcs = {f.sym_name.data: f for f in cls.body.block.ops if isinstance(f, pysrc.FuncOp)}
            forward = funcs.get(traits.forward_method)
            if forward is None or "__init__" not in funcs:
                continue
            known = set(funcs) | inherited | {f for name, fn in funcs.items() for f in _set_in(fn)}
            class_level = {o.target.data for o in cls.body.block.ops if isinstance(o, pysrc.AssignOp)}
            for use in pysrc.ops_of(forward, pysrc.AttrOp):
                attr = _self_attr(use)
                if attr is None or attr in known or attr in class_level:
                    continue
                if any(isinstance(u.operation, pysrc.CallOp) and u.index == 0 for u in use.results[0].uses):
                    continue  # a method, likely inherited from the base class
                add_diagnostic(op, statement_loc(use), "warning",
                               f"self.{attr} is used in {traits.forward_method} of {cls.sym_name.data} "
                               "but never set in __init__")
                known.add(attr)
