"""``scan-leftovers{source=torch framework=jax}``: the last check before printing.

Reports every reference to the source framework still in the converted program as a
warning (so ``--strict`` fails): a source API the passes kept without marking it
``unmapped`` (a marked one is reported by the backend already), and a name bound by a
source-framework import (``torch``, ``nn``, ``F``) inside code kept verbatim: an opaque
statement or expression, a parameter's annotation or default, a return annotation, a
decorator.
Nothing is reported when the target uses the source's modules too (jax -> flax_nnx).
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from functools import lru_cache

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from switcheroo.passes.fw_common import chain
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.ir import Operation
from xdsl.passes import ModulePass


def _owned_by(module: str, prefixes: list[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


@lru_cache(maxsize=4096)  # asked per source framework of each import statement, by several passes
def _import_nodes(code: str) -> tuple[ast.Import | ast.ImportFrom, ...]:
    """The import nodes of the statement ``code`` (none if it does not parse); read only."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ()
    return tuple(n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))


def import_bindings(code: str, prefixes: list[str]) -> dict[str, str]:
    """Local name -> module for the names an import statement binds from ``prefixes``."""
    out: dict[str, str] = {}
    for node in _import_nodes(code):
        if isinstance(node, ast.Import):
            for a in node.names:
                if _owned_by(a.name, prefixes):
                    out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level and _owned_by(node.module, prefixes):
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def name_uses(code: str, names: dict[str, str]) -> list[tuple[int, int, str]]:
    """(line offset, column, name) of each read of one of ``names`` in ``code``; attribute
    names (``x.nn``) and keywords (``nn=1``) are not reads."""
    hits: list[tuple[int, int, str]] = []
    if not any(name in code for name in names):
        return hits  # a read is a token spelling the name: nothing to tokenize for
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return hits
    prev: tokenize.TokenInfo | None = None
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        after_dot = prev is not None and prev.type == tokenize.OP and prev.string == "."
        is_keyword = nxt is not None and nxt.type == tokenize.OP and nxt.string == "="
        if tok.type == tokenize.NAME and tok.string in names and not after_dot and not is_keyword:
            hits.append((tok.start[0] - 1, tok.start[1], tok.string))
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            prev = tok
    return hits


def _shift(loc: str, line_off: int, col: int) -> str:
    line, _, start = loc.partition(":")
    if line_off:
        return f"{int(line) + line_off}:{col + 1}"
    return f"{line}:{int(start or 1) + col}"


@dataclass(frozen=True)
class ScanLeftovers(ModulePass):
    """Warn about source-framework references left in the output (see module docstring)."""

    name = "scan-leftovers"
    source: str = "torch"
    framework: str = "jax"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        traits = load_ontology().traits
        target_chain = chain(self.framework)
        if self.source in target_chain:
            return
        prefixes = list(traits[self.source].source_prefixes)
        # A prefix the target's own modules share (jax for paxml) is not a leftover.
        target_prefixes = {p for f in target_chain if f in traits for p in traits[f].source_prefixes}
        prefixes = [p for p in prefixes if p not in target_prefixes]
        if not prefixes:
            return
        bound: dict[str, str] = {}
        checked = pysrc.ops_of(op, _CHECKED)  # the ops ``check`` reads, in walk order
        for o in checked:
            if type(o) is pysrc.OpaqueStmtOp and o.kind is not None and o.kind.data == "import":
                bound.update(import_bindings(o.code.data, prefixes))
        for o in checked:
            kind = type(o)
            if kind is pysrc.NameOp and o.id.data not in bound or kind is pysrc.AssignOp and o.annotation is None:
                continue  # most names and assignments: ``check`` finds nothing in them
            self.check(op, o, bound, target_chain)

    def check(self, module: builtin.ModuleOp, o: Operation, bound: dict[str, str], target_chain: list[str]) -> None:
        if isinstance(o, (fw.CallOp, fw.RefOp)):
            if o.unmapped is None and o.framework.data not in target_chain and o.framework.data == self.source:
                loc = o.loc.data if o.loc is not None else statement_loc(o)
                add_diagnostic(module, loc, "warning", f"{o.api.data} from {self.source} left in the output")
            return
        texts: list[str] = []
        if isinstance(o, pysrc.OpaqueStmtOp) and (o.kind is None or o.kind.data != "import") or isinstance(o, pysrc.OpaqueExprOp):
            texts.append(o.code.data)
        elif isinstance(o, pysrc.FuncOp):
            texts.extend(p.data for p in o.params.data)
            if o.returns is not None:
                texts.append(o.returns.data)
        elif isinstance(o, pysrc.AssignOp) and o.annotation is not None:
            texts.append(o.annotation.data)
        elif isinstance(o, pysrc.NameOp) and o.id.data in bound:
            texts.append(o.id.data)
        if isinstance(o, (pysrc.FuncOp, pysrc.ClassOp)) and o.decorators is not None and not _marked(o):
            texts.extend(d.data for d in o.decorators.data)  # @torch.compile left as it was
        if not texts or not bound:
            return
        # Verbatim code knows only its statement's position; a hit on the first line gets
        # its column added, later lines their own line.
        exact = isinstance(o, pysrc.OpaqueStmtOp)
        loc = statement_loc(o)
        for text in texts:
            for line_off, col, name in name_uses(text, bound):
                at = _shift(loc, line_off, col) if exact else loc
                what = name if bound[name] == name else f"{name} ({bound[name]})"
                add_diagnostic(module, at, "warning", f"{what} from {self.source} left in the output")
                _mark(o, bound[name])


_CHECKED = (fw.CallOp, fw.RefOp, pysrc.OpaqueStmtOp, pysrc.OpaqueExprOp, pysrc.FuncOp, pysrc.ClassOp,
            pysrc.AssignOp, pysrc.NameOp)


def _marked(op: Operation) -> bool:
    """Whether a kept decorator was marked (and reported) by the pass that kept it."""
    old = op.properties.get("trailing")
    return isinstance(old, builtin.StringAttr) and "# swc: unmapped" in old.data


def _mark(op: Operation, api: str) -> None:
    """Put ``# swc: unmapped <api>`` on the line of the simple statement holding ``op``,
    as the backend does for a kept call, so the reader sees it where it is."""
    stmt: Operation | None = op
    while stmt is not None and not isinstance(stmt, pysrc._Statement):
        # An expression op sits before the statement that uses its value.
        users = [u.operation for r in stmt.results for u in r.uses]
        stmt = users[0] if users else stmt.parent_op()
    if stmt is None or "trailing" not in type(stmt).get_irdl_definition().properties:
        return
    note = f"# swc: unmapped {api}"
    old = stmt.properties.get("trailing")
    text = old.data if isinstance(old, builtin.StringAttr) else ""
    if note not in text:
        stmt.properties["trailing"] = builtin.StringAttr(f"{text}  {note}" if text else note)
