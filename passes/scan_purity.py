"""``scan-purity{framework=T}``: side effects in a module's forward pass that break
tracing (``jax.jit``) when the target's arrays are functional: printing, host reads of
tensor values (``.item()``, ``.numpy()``, ``.tolist()``), Python branches on tensor
values, and writes to module attributes."""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.passes import ModulePass

HOST_READS = frozenset({"item", "numpy", "tolist", "cpu"})
TENSOR = pysrc.TensorType()
_SCANNED = (pysrc.CallOp, fw.CallOp, pysrc.IfOp, pysrc.AssignOp, pysrc.AugAssignOp, pysrc.OpaqueStmtOp)


@dataclass(frozen=True)
class ScanPurity(ModulePass):
    """Report what would break ``jit`` in forward methods (see module docstring)."""

    name = "scan-purity"
    source: str = "torch"
    framework: str = "jax"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        traits = load_ontology().traits
        if not traits[self.framework].functional_arrays:
            return
        forward = traits[self.source].forward_method
        for func in [o for o in pysrc.ops_of(op, pysrc.FuncOp) if o.sym_name.data == forward]:
            for o in pysrc.ops_of(func, _SCANNED):  # the ops ``impurity`` can object to
                why = self.impurity(o)
                if why:
                    add_diagnostic(op, statement_loc(o), "note", f"impure {forward}: {why} (breaks jit)")

    @staticmethod
    def impurity(o) -> str | None:
        if isinstance(o, pysrc.CallOp) and isinstance(o.callee.owner, pysrc.NameOp) and o.callee.owner.id.data == "print":
            return "print() runs once at trace time"
        if isinstance(o, fw.CallOp) and o.method is not None and o.method.data in HOST_READS:
            return f".{o.method.data}() reads a traced value on the host"
        if isinstance(o, pysrc.IfOp) and o.cond.type == TENSOR:
            return "a Python if on a tensor value"
        if isinstance(o, (pysrc.AssignOp, pysrc.AugAssignOp)) and o.target.data.startswith("self."):
            return f"{o.target.data} is written during the call (module state)"
        if isinstance(o, pysrc.OpaqueStmtOp) and o.code.data.split(" ", 1)[0] in ("global", "nonlocal"):
            return f"{o.code.data.split(' ', 1)[0]} state is mutated"
        return None
