"""Switcheroo's own scaffold classes, recognised when its output is read back.

A target with no layers of its own (NumPy) gets each layer as a small class copied into
the output from ``passes/scaffolds`` (``class Linear:`` ...). Reading that file again, a
module-level class or function is taken for the layer it scaffolds only when it is that
scaffold statement for statement (the same Python AST as the template; formatting and
comments aside), so a class the user edited, or one of theirs that only shares the name,
stays user code. A recognised definition is left out of the IR and its name is the
framework API its variant spells (``api: Linear``), so ``Linear(6, 16)`` raises to the hub
layer like any framework call; the backend of the next target writes its own layer.
MLX's ``Bidirectional`` (a variant's ``stack``) is such an API too: ``raise-fw-to-hub``
folds its pairs back into one recurrent layer (``passes/raise_rnn_stack.py``).
"""

from __future__ import annotations

import ast
from functools import cache

import libcst as cst


class _Qualify(ast.NodeTransformer):
    """Names of imported modules spelled out in full (``layers.Layer`` ->
    ``keras.layers.Layer``), so a template compares equal however the output imports them."""

    def __init__(self, tree: ast.Module) -> None:
        self.aliases: dict[str, str] = {}
        for node in tree.body:
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Name(id=self.aliases.get(node.id, node.id), ctx=node.ctx)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        parts = [node.attr]
        inner: ast.expr = node.value
        while isinstance(inner, ast.Attribute):
            parts.append(inner.attr)
            inner = inner.value
        if not isinstance(inner, ast.Name) or inner.id not in self.aliases:
            return self.generic_visit(node)
        # One name for the whole chain: ``layers.Layer`` and ``keras.layers.Layer`` agree.
        return ast.Name(id=".".join([self.aliases[inner.id], *reversed(parts)]), ctx=node.ctx)


def _dump(tree: ast.Module, node: ast.AST) -> str:
    return ast.dump(_Qualify(tree).visit(node))


@cache
def _templates(framework: str) -> dict[str, tuple[str, str]]:
    """Scaffold name -> (its framework, the qualified AST dump of its definition), for the
    scaffolds of ``framework`` and its fallbacks that stand for an API of their own (those
    derived from a framework class fold back in ``raise-fw-to-hub``)."""
    from switcheroo.passes.fw_common import chain
    from switcheroo.passes.layer_scaffold import SCAFFOLDS

    frameworks = chain(framework)
    out: dict[str, tuple[str, str]] = {}
    for s in SCAFFOLDS.values():
        if s.framework not in frameworks or s.base_api or s.class_name in out:
            continue
        tree = ast.parse(s.template)
        node = next((n for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == s.class_name),
                    None)
        if node is not None:
            out[s.class_name] = (s.framework, _dump(tree, node))
    return out


def own_scaffolds(module: cst.Module, framework: str) -> dict[str, str]:
    """The module-level definitions that are scaffolds of ``framework`` (or of a fallback):
    name -> the framework whose scaffold it is."""
    templates = _templates(framework)
    if not templates:
        return {}
    tree: ast.Module | None = None
    found: dict[str, str] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.ClassDef | cst.FunctionDef) or stmt.name.value not in templates:
            continue
        if tree is None:
            try:
                tree = ast.parse(module.code)
            except SyntaxError:
                return {}
        node = next((n for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)
                     and n.name == stmt.name.value), None)
        fwk, want = templates[stmt.name.value]
        if node is not None and _dump(tree, node) == want:
            found[stmt.name.value] = fwk
    return found
