"""Import bookkeeping for the Python backend: spell APIs, add what is used, drop what is not.

An API such as ``flax.nnx.Linear`` is spelled through an import the file already has
(respecting ``import torch as t``), else through the framework's conventional alias
(``from flax import nnx`` -> ``nnx.Linear``), which is then added. Framework imports that
the output no longer uses are removed; other imports are left as the user wrote them.
"""

from __future__ import annotations

import ast
import re
import symtable
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from switcheroo.backends.python import parsed
from switcheroo.ontology.loader import load_ontology


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""

# Standard modules whose uses the converter writes and removes itself (layer_as_partial's
# functools.partial, the ``import math`` of NumPy's scaffold classes): after a round trip
# nothing may read them any more.
CONVERTER_HELPER_MODULES = frozenset({"functools", "math"})


@dataclass
class ImportTable:
    """Module path -> local name, for imports present and imports to add."""

    existing: dict[str, str] = field(default_factory=dict)
    conventional: dict[str, str] = field(default_factory=dict)
    added: dict[str, str] = field(default_factory=dict)
    framework_prefixes: tuple[str, ...] = ()

    @classmethod
    def for_target(cls, frameworks: list[str]) -> ImportTable:
        onto = load_ontology()
        conventional: dict[str, str] = {}
        for key in frameworks:
            traits = onto.traits.get(key)
            if traits:
                for mod, alias in traits.import_aliases.items():
                    conventional.setdefault(mod, alias)
        prefixes = tuple(p for t in onto.traits.values() for p in t.source_prefixes)
        return cls(conventional=conventional, framework_prefixes=prefixes)

    def note_import(self, stmt: cst.BaseSmallStatement) -> None:
        """Record what an import statement of the source file binds."""
        if isinstance(stmt, cst.Import):
            for a in stmt.names:
                mod = _dotted(a.name)
                if a.asname is not None:
                    self.existing[mod] = a.asname.name.value
                else:
                    self.existing.setdefault(mod.split(".")[0], mod.split(".")[0])
                    self.existing.setdefault(mod, mod)
        elif isinstance(stmt, cst.ImportFrom) and stmt.module is not None and not stmt.relative:
            base = _dotted(stmt.module)
            if isinstance(stmt.names, cst.ImportStar):
                return
            for a in stmt.names:
                local = a.asname.name.value if a.asname else _dotted(a.name)
                self.existing[f"{base}.{_dotted(a.name)}"] = local

    def spell(self, api: str) -> str:
        """The expression text for ``api`` under the imports (adding one if needed): the
        longest module prefix that is imported already or has a conventional alias."""
        parts = api.split(".")
        for i in range(len(parts), 0, -1):
            mod = ".".join(parts[:i])
            for table in (self.existing, self.added, self.conventional):
                if mod in table:
                    if table is self.conventional:
                        self.added[mod] = table[mod]
                    return ".".join([table[mod], *parts[i:]])
        self.added[parts[0]] = parts[0]
        return api

    def new_import_statements(self, used: set[str]) -> list[cst.SimpleStatementLine]:
        out = []
        for mod, alias in sorted(self.added.items()):
            if alias.split(".")[0] not in used or mod in self.existing:
                continue
            if alias == mod:
                node = cst.Import(names=[cst.ImportAlias(name=parsed.expression(mod))])
            elif "." in mod and mod.rsplit(".", 1)[1] == alias:
                parent, leaf = mod.rsplit(".", 1)
                node = cst.ImportFrom(module=parsed.expression(parent), names=[cst.ImportAlias(name=cst.Name(leaf))])
            elif "." in alias:
                node = cst.Import(names=[cst.ImportAlias(name=parsed.expression(alias.split(".")[0]))])
            else:
                node = cst.Import(names=[cst.ImportAlias(
                    name=parsed.expression(mod), asname=cst.AsName(name=cst.Name(alias)))])
            out.append(cst.SimpleStatementLine(body=[node]))
        return out

    def is_framework(self, module: str) -> bool:
        return any(module == p or module.startswith(p + ".") for p in self.framework_prefixes)

    def is_prunable(self, module: str) -> bool:
        """A framework import, or a standard module the converter's own rewrites spell
        (``functools.partial`` for a layer a framework spells as a function): an import
        of it that the output no longer reads is left out."""
        return self.is_framework(module) or module in CONVERTER_HELPER_MODULES


def prune_import(stmt: cst.BaseSmallStatement, table: ImportTable, used: set[str]) -> cst.BaseSmallStatement | None:
    """Drop the framework aliases of an import that the output no longer uses, and those
    an added import rebinds (``import torch.nn as nn`` once ``from mlx import nn`` is added:
    every ``nn`` the output spells is the target's)."""
    rebound = {alias.split(".")[0] for mod, alias in table.added.items() if mod not in table.existing}
    used = used - rebound
    if isinstance(stmt, cst.Import):
        keep = []
        for a in stmt.names:
            mod = _dotted(a.name)
            local = a.asname.name.value if a.asname else mod.split(".")[0]
            if not table.is_prunable(mod) or local in used:
                keep.append(a)
    elif isinstance(stmt, cst.ImportFrom) and stmt.module is not None and not isinstance(stmt.names, cst.ImportStar):
        mod = _dotted(stmt.module)
        keep = [
            a for a in stmt.names
            if not table.is_prunable(mod) or stmt.relative
            or (a.asname.name.value if a.asname else _dotted(a.name)) in used
        ]
    else:
        return stmt
    if not keep:
        return None
    keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return stmt.with_changes(names=keep)


# Where ``ast`` keeps, as plain strings, what LibCST spells as a ``Name`` node.
_NAME_FIELDS: dict[type, tuple[str, ...]] = {
    ast.FunctionDef: ("name",), ast.AsyncFunctionDef: ("name",), ast.ClassDef: ("name",),
    ast.arg: ("arg",), ast.keyword: ("arg",), ast.ExceptHandler: ("name",),
    ast.MatchAs: ("name",), ast.MatchStar: ("name",), ast.MatchMapping: ("rest",),
}


def asked_names(imports: Iterable[cst.BaseSmallStatement], table: ImportTable) -> set[str]:
    """The names :func:`prune_import` (over ``imports``) and
    :meth:`ImportTable.new_import_statements` will look up in the used names."""
    asked = {alias.split(".")[0] for alias in table.added.values()}
    for stmt in imports:
        if isinstance(stmt, cst.Import):
            asked.update(a.asname.name.value if a.asname else _dotted(a.name).split(".")[0] for a in stmt.names)
        elif isinstance(stmt, cst.ImportFrom) and not isinstance(stmt.names, cst.ImportStar):
            asked.update(a.asname.name.value if a.asname else _dotted(a.name) for a in stmt.names)
    return asked


def _table_uses(table: symtable.SymbolTable, asked: Collection[str]) -> set[str]:
    """Which of ``asked`` some scope of ``table`` reads, binds (an import aside), takes as a
    parameter or declares global: names ``ast`` shows as such."""
    found: set[str] = set()
    tables = [table]
    while tables:
        table = tables.pop()
        for q in set(asked).intersection(table.get_identifiers()) - found:
            sym = table.lookup(q)
            if sym.is_referenced() or sym.is_assigned() or sym.is_parameter() \
                    or sym.is_declared_global() or sym.is_nonlocal():
                found.add(q)
        tables.extend(table.get_children())
    return found


def _word(name: str) -> re.Pattern[str]:
    """``name`` spelled as a word of its own, not as an attribute (``x.nn``)."""
    return re.compile(rf"(?<![\w.]){name}(?!\w)")


def _symbol_uses(code: str, asked: Collection[str], reading: str, pieces: Sequence[str] = ()) -> set[str] | None:
    """Which of ``asked`` the code uses as :func:`used_names` would say, from the compiler's
    symbol table (built in C, no AST objects); None when that cannot tell for certain.

    A symbol some scope reads, binds (an import aside), takes as a parameter or declares
    global is a name ``ast`` shows. The table misses keyword-argument names and, under
    ``from __future__ import annotations``, names in annotations: a name it does not show
    is unused only when ``reading`` (the code outside the top-level import statements)
    never spells it as a word. Private names are mangled in the table, so they are not
    answered here.

    ``pieces``: the top-level statements ``reading`` is made of. A name ``reading``
    never spells is unused without a table; one it spells is looked up in the table of
    the first statement that spells it (its scopes are the module's), and only names no
    such statement settles need the whole module's table."""
    if not code.isascii() or any("__" in q or not q.isidentifier() for q in asked):
        return None  # NFKC-normalized or mangled identifiers: the text may not spell them
    words = {q: _word(q) for q in asked}
    found: set[str] = set()
    if pieces:
        open_ = [q for q in asked if words[q].search(reading)]
        for piece in pieces:
            hits = [q for q in open_ if q in piece and words[q].search(piece)]
            if not hits:
                continue
            try:
                uses = _table_uses(symtable.symtable(piece, "<output>", "exec"), hits)
            except (SyntaxError, ValueError):
                continue  # a statement that does not compile alone: the whole module decides
            found |= uses
            open_ = [q for q in open_ if q not in uses]
            if not open_:
                return found
        if not open_:
            return found
        asked = open_  # spelled, and no statement's own table settles it
    try:
        found |= _table_uses(symtable.symtable(code, "<output>", "exec"), asked)
    except (SyntaxError, ValueError):
        return None
    for q in asked:
        if q not in found and words[q].search(reading):
            return None  # a keyword argument, an annotation, a string: ``ast`` decides
    return found


def used_names(code: str, asked: Collection[str] | None = None, reading: str | None = None,
               pieces: Sequence[str] = ()) -> set[str] | None:
    """The names :class:`UsedNames` finds in ``code``, read through ``ast`` (a C parser, and
    no LibCST visitor rebuilding every node); None when ``ast`` cannot parse the code.
    Given the names the caller will ask about (``asked``, see :func:`asked_names`) and the
    code outside the top-level imports (``reading``, made of the statements ``pieces``),
    the answer may hold only those, read from the symbol table when it can tell
    (:func:`_symbol_uses`)."""
    if asked is not None and reading is not None and (found := _symbol_uses(code, asked, reading, pieces)) is not None:
        return found
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    names: set[str] = set()
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.Name:
            names.add(node.id)
        elif kind in _NAME_FIELDS:
            for attr in _NAME_FIELDS[kind]:
                if (value := getattr(node, attr)) is not None:
                    names.add(value)
        elif kind is ast.Global or kind is ast.Nonlocal:
            names.update(node.names)
        elif kind is ast.MatchClass:
            names.update(node.kwd_attrs)
        elif (kind is ast.Constant or kind is ast.MatchSingleton) and (
                node.value is None or node.value is True or node.value is False):
            names.add(repr(node.value))  # LibCST's Name("None")
    return names


class UsedNames(cst.CSTVisitor):
    """Every name the module reads (outside import statements)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # ``a.nn`` reads ``a``, not ``nn``
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)
