"""Switcheroo's own scaffold classes, recognised when its output is read back.

A target with no layers of its own (NumPy) gets each layer as a small class copied into
the output from ``passes/scaffolds`` (``class Linear:`` ...). Reading that file again, a
module-level class or function is taken for the layer it scaffolds only when it is that
scaffold statement for statement (the same Python AST as the template; formatting and
comments aside), so a class the user edited, or one of theirs that only shares the name,
stays user code. A recognised definition is left out of the IR and its name is the
framework API its variant spells (``api: Linear``), so ``Linear(6, 16)`` raises to the hub
layer like any framework call; the backend of the next target writes its own layer.
"""

from __future__ import annotations

import ast
from functools import cache

import libcst as cst


@cache
def _templates(framework: str) -> dict[str, str]:
    """Scaffold name -> the AST dump of its definition, for the scaffolds of ``framework``
    that stand for an API of their own (those derived from a framework class fold back in
    ``raise-fw-to-hub``)."""
    from switcheroo.passes.layer_scaffold import SCAFFOLDS

    out: dict[str, str] = {}
    for s in SCAFFOLDS.values():
        if s.framework != framework or s.base_api:
            continue
        node = next((n for n in ast.parse(s.template).body
                     if isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == s.class_name), None)
        if node is not None:
            out[s.class_name] = ast.dump(node)
    return out


def own_scaffolds(module: cst.Module, framework: str) -> set[str]:
    """The names of the module-level definitions that are scaffolds of ``framework``."""
    templates = _templates(framework)
    if not templates:
        return set()
    found: set[str] = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.ClassDef | cst.FunctionDef) or stmt.name.value not in templates:
            continue
        code = module.code_for_node(stmt.with_changes(leading_lines=[]))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        if tree.body and ast.dump(tree.body[0]) == templates[stmt.name.value]:
            found.add(stmt.name.value)
    return found
