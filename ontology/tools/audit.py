"""``swc audit PATH --roots torch``: framework calls in a codebase that have no mapping.

Reads each Python file with ``ast``, resolves imported names to qualified API names
(``import torch.nn as nn``; ``from torch.nn import functional as F``) and reports every
call or base class under one of the roots that the ontology does not map, with counts
and ``file:line``. Calls on values (``x.view(...)``) need types and are not audited.
"""

from __future__ import annotations

import ast
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from switcheroo.ontology.loader import Ontology, load_ontology


@dataclass
class AuditResult:
    """Unmapped API -> the places it is used; and how many framework calls were seen."""

    unmapped: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    seen: int = 0
    files: int = 0


class _Calls(ast.NodeVisitor):
    def __init__(self, roots: list[str]) -> None:
        self.roots = roots
        self.aliases: dict[str, str] = {}
        self.found: list[tuple[str, int]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if a.asname:
                self.aliases[a.asname] = a.name
            else:
                top = a.name.split(".")[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            for a in node.names:
                self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def _qualify(self, node: ast.expr) -> str | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases:
            return None
        name = ".".join([self.aliases[node.id], *reversed(parts)])
        return name if any(name == r or name.startswith(r + ".") for r in self.roots) else None

    def visit_Call(self, node: ast.Call) -> None:
        name = self._qualify(node.func)
        if name:
            self.found.append((name, node.lineno))
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            name = self._qualify(base)
            if name:
                self.found.append((name, base.lineno))
        self.generic_visit(node)


def _mapped(onto: Ontology, fw_of: dict[str, str], api: str) -> bool:
    fw = next(
        (f for prefix, f in fw_of.items() if api == prefix or api.startswith(prefix + ".")), None
    )
    return fw is not None and onto.lookup_api(fw, api) is not None


def audit(path: Path | list[Path], roots: list[str], onto: Ontology | None = None) -> AuditResult:
    """Audit files, and every ``*.py`` under folders. Only calls that resolve to a root
    framework's API count: relative imports (a package's own helpers) never do."""
    onto = onto or load_ontology()
    fw_of = {p: fw for fw, t in onto.traits.items() for p in t.source_prefixes if not t.fallback}
    fw_of.update(
        {p: fw for fw, t in onto.traits.items() for p in t.source_prefixes if p not in fw_of}
    )
    result = AuditResult()
    paths = path if isinstance(path, list) else [path]
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*.py")))]
    for file in files:
        try:
            tree = ast.parse(file.read_text(), filename=str(file))
        except (SyntaxError, UnicodeDecodeError) as e:
            raise ValueError(f"{file}:{getattr(e, 'lineno', 1)}: cannot parse: {e}") from None
        visitor = _Calls(roots)
        visitor.visit(tree)
        result.files += 1
        for api, line in visitor.found:
            result.seen += 1
            if not _mapped(onto, fw_of, api):
                result.unmapped[api].append(f"{file}:{line}")
    return result


def render(result: AuditResult, as_json: bool) -> str:
    """Text (most used first) or JSON."""
    items = sorted(result.unmapped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    if as_json:
        return json.dumps(
            {
                "files": result.files,
                "calls": result.seen,
                "unmapped": {k: {"count": len(v), "at": v} for k, v in items},
            },
            indent=2,
        )
    lines = [
        f"{len(v):5d}  {k}  ({', '.join(v[:3])}{', ...' if len(v) > 3 else ''})" for k, v in items
    ]
    total = sum(len(v) for v in result.unmapped.values())
    lines.append(
        f"{result.files} files, {result.seen} framework calls, {total} unmapped "
        f"({len(items)} distinct APIs)"
    )
    return "\n".join(lines)
