"""``scan-dependencies``: imports of third-party packages no framework of the ontology
owns. They are kept as written; the report says the converted file still needs them."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass

from switcheroo.dialects import pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.analysis_common import add_diagnostic
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.passes import ModulePass


@dataclass(frozen=True)
class ScanDependencies(ModulePass):
    """Report imports that are neither standard library nor a known framework."""

    name = "scan-dependencies"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        prefixes = {p for t in load_ontology().traits.values() for p in t.source_prefixes}
        for stmt in pysrc.ops_of(op, pysrc.OpaqueStmtOp):
            if stmt.kind is None or stmt.kind.data != "import":
                continue
            tree = ast.parse(stmt.code.data)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    mods = [node.module]
                else:
                    continue
                for mod in mods:
                    top = mod.split(".")[0]
                    if top in sys.stdlib_module_names or top == "__future__" or top in prefixes:
                        continue
                    add_diagnostic(op, stmt.loc.data if stmt.loc else "1:1", "warning",
                                   f"unmapped dependency {mod!r}: no framework of the ontology owns it; "
                                   "its uses are kept as written")
