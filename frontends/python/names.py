"""Which import a name stands for: a small scope analysis over statements, in one walk.

LibCST's ``QualifiedNameProvider`` answers the same question, but it builds scopes and
accesses for every node of the file, which cost the frontend more than everything else
together. The frontend only asks about dotted names (``nn.Linear``, ``F.relu``, ``torch``),
so this walks statements only, records what each scope binds (imports with their qualified
module, and local bindings that shadow them), and answers with LibCST's rules:

- a dotted name is looked up by its longest bound prefix in the nearest visible scope
  (class bodies are invisible to the functions inside them), over all its bindings there;
- a bare name is an access: bindings of its own scope count only when made earlier (an
  earlier statement, a ``for`` target, a parameter), else the enclosing scope answers.

Not modelled (LibCST resolves them, real model code does not use them on import names):
walrus targets, ``match`` capture patterns and type parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

# One binding of a name: (ordinal in its scope, qualified module or None when local, alias).
Binding = tuple[float, str | None, str]


class NameScope:
    """The names one module, class, function or comprehension binds."""

    __slots__ = ("parent", "is_class", "bindings", "overrides", "count")

    def __init__(self, parent: NameScope | None, is_class: bool = False) -> None:
        self.parent = parent
        self.is_class = is_class
        self.bindings: dict[str, list[Binding]] = {}
        self.overrides: dict[str, NameScope] = {}  # ``global``/``nonlocal`` names
        self.count = 0  # statements seen so far (the ordinal of the next one)

    def visible_parent(self, first: NameScope | None = None) -> NameScope | None:
        p = self.parent if first is None else first
        while p is not None and p.is_class:
            p = p.parent
        return p

    def target(self, name: str) -> NameScope:
        """The scope an assignment to ``name`` binds in (``global``/``nonlocal`` move it)."""
        s = self
        while name in s.overrides:
            nxt = s.visible_parent(s.overrides[name])
            if nxt is None or nxt is s:
                break
            s = nxt
        return s

    def bind(self, name: str, ordinal: float, real: str | None = None, alias: str = "") -> None:
        self.target(name).bindings.setdefault(name, []).append((ordinal, real, alias or name))


def lookup(scope: NameScope | None, name: str, from_scope: NameScope) -> tuple[NameScope, list[Binding]] | None:
    """The scope whose bindings ``name`` refers to, seen from ``from_scope``."""
    while scope is not None:
        over = scope.overrides.get(name)
        if over is not None and over is not scope:
            scope = from_scope.visible_parent(over)
            continue
        found = scope.bindings.get(name)
        if found:
            return scope, found
        scope = scope.visible_parent()
    return None


def _qualified(bindings: list[Binding], full: str) -> list[str]:
    """The import-qualified names of ``full`` under these bindings (locals give none)."""
    out = []
    for _, real, alias in bindings:
        if real is not None and (full == alias or full.startswith(alias + ".")):
            out.append(real + full[len(alias):])
    return out


def dotted(node: cst.CSTNode) -> str | None:
    """``a.b.c`` for a chain of plain names, else None."""
    parts = []
    # Exact classes (LibCST's are final): ``isinstance`` against a node class a node is not
    # goes through ``ABCMeta.__instancecheck__``, and this is asked of most expressions.
    while type(node) is cst.Attribute:
        parts.append(node.attr.value)
        node = node.value
    if type(node) is not cst.Name:
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def qualified_names(node: cst.CSTNode, scope: NameScope, at: float) -> list[str]:
    """The imported APIs ``node`` (a Name or a dotted Attribute) may stand for in ``scope``
    at statement ``at``."""
    full = dotted(node)
    if full is None:
        return []
    if type(node) is cst.Name:
        found = lookup(scope, full, scope)
        if found is None:
            return []
        where, bindings = found
        earlier = [b for b in bindings if where is not scope or b[0] < at]
        if not earlier and scope.parent is not None:
            again = lookup(scope.parent, full, scope)
            earlier = again[1] if again else []
        return _qualified(earlier, full)
    prefix = full
    while True:
        found = lookup(scope, prefix, scope)
        if found is not None:
            return _qualified(found[1], full)
        cut = prefix.rfind(".")
        if cut < 0:
            return []
        prefix = prefix[:cut]


def _targets(node: cst.BaseExpression, out: list[str]) -> list[str]:
    if isinstance(node, cst.Name):
        out.append(node.value)
    elif isinstance(node, (cst.Tuple, cst.List)):
        for e in node.elements:
            _targets(e.value, out)
    elif isinstance(node, cst.StarredElement):
        _targets(node.value, out)
    return out


class ScopeScan:
    """One walk over the statements of a module: a :class:`NameScope` per module, class and
    function, each statement's ordinal in its scope, and per class the ``self.x = f(...)``
    assignments inside it (with the scope and ordinal where each is made)."""

    def __init__(self, module: cst.Module) -> None:
        self.scopes: dict[cst.CSTNode, NameScope] = {}
        self.ordinals: dict[cst.CSTNode, float] = {}
        self.self_assigns: dict[cst.ClassDef, list[tuple[str, cst.BaseExpression, NameScope, float]]] = {}
        self._classes: list[cst.ClassDef] = []
        self.global_scope = self.scopes[module] = NameScope(None)
        self.body(module.body, self.global_scope)

    def body(self, stmts: Sequence[cst.CSTNode], scope: NameScope) -> None:
        for s in stmts:
            self.statement(s, scope)

    def suite(self, suite: cst.BaseSuite, scope: NameScope) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self.body(suite.body, scope)
        else:
            at = self.ordinals[suite] = scope.count
            scope.count += 1
            for small in suite.body:
                self.small(small, scope, at)

    def statement(self, node: cst.CSTNode, scope: NameScope) -> None:
        at = self.ordinals[node] = scope.count
        scope.count += 1
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self.small(small, scope, at)
        elif isinstance(node, cst.FunctionDef):
            scope.bind(node.name.value, at)
            inner = self.scopes[node] = NameScope(scope)
            p = node.params
            for param in (*p.posonly_params, *p.params, *p.kwonly_params):
                inner.bind(param.name.value, -1)
            for star in (p.star_arg, p.star_kwarg):
                if isinstance(star, cst.Param):
                    inner.bind(star.name.value, -1)
            self.suite(node.body, inner)
        elif isinstance(node, cst.ClassDef):
            scope.bind(node.name.value, at)
            inner = self.scopes[node] = NameScope(scope, is_class=True)
            self._classes.append(node)
            self.self_assigns[node] = []
            self.suite(node.body, inner)
            self._classes.pop()
        elif isinstance(node, cst.If):
            self.suite(node.body, scope)
            if isinstance(node.orelse, cst.If):
                self.statement(node.orelse, scope)
            elif node.orelse is not None:
                self.suite(node.orelse.body, scope)
        elif isinstance(node, cst.For):
            for name in _targets(node.target, []):
                scope.bind(name, at - 0.5)  # the target is bound before the iterable is read
            self.suite(node.body, scope)
            if node.orelse is not None:
                self.suite(node.orelse.body, scope)
        elif isinstance(node, cst.While):
            self.suite(node.body, scope)
            if node.orelse is not None:
                self.suite(node.orelse.body, scope)
        elif isinstance(node, cst.With):
            for item in node.items:
                if item.asname is not None:
                    for name in _targets(item.asname.name, []):
                        scope.bind(name, at)
            self.suite(node.body, scope)
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self.suite(node.body, scope)
            for handler in node.handlers:
                if handler.name is not None:  # bound after the body ran
                    for name in _targets(handler.name.name, []):
                        scope.bind(name, scope.count - 0.5)
                self.suite(handler.body, scope)
            if node.orelse is not None:
                self.suite(node.orelse.body, scope)
            if node.finalbody is not None:
                self.suite(node.finalbody.body, scope)
        elif isinstance(node, cst.Match):
            for case in node.cases:
                self.suite(case.body, scope)

    def small(self, node: cst.BaseSmallStatement, scope: NameScope, at: float) -> None:
        if isinstance(node, cst.Assign):
            for t in node.targets:
                for name in _targets(t.target, []):
                    scope.bind(name, at)
                tgt = t.target
                if (self._classes and isinstance(tgt, cst.Attribute) and isinstance(tgt.value, cst.Name)
                        and tgt.value.value == "self" and isinstance(node.value, cst.Call)):
                    for cls in self._classes:
                        self.self_assigns[cls].append((tgt.attr.value, node.value.func, scope, at))
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            for name in _targets(node.target, []):
                scope.bind(name, at)
        elif isinstance(node, cst.Import):
            for alias in node.names:
                real = dotted(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    scope.bind(alias.asname.name.value, at, real, alias.asname.name.value)
                else:
                    parts = real.split(".")
                    for i in range(len(parts), 0, -1):  # ``import a.b`` binds ``a.b`` and ``a``
                        name = ".".join(parts[:i])
                        scope.bind(name, at, name, name)
        elif isinstance(node, cst.ImportFrom):
            if isinstance(node.names, cst.ImportStar):
                return
            module = dotted(node.module) or "" if node.module is not None else ""
            if node.relative:
                module = "." * len(node.relative) + module
            for alias in node.names:
                real = dotted(alias.name) or ""
                local = alias.asname.name.value if alias.asname is not None and isinstance(
                    alias.asname.name, cst.Name) else real
                full = f"{module}{real}" if module.endswith(".") else f"{module}.{real}" if module else real
                scope.bind(local, at, full, local)
        elif isinstance(node, cst.Global) and scope.parent is not None:  # a no-op at module level
            module = scope
            while module.parent is not None:
                module = module.parent
            for item in node.names:
                scope.overrides[item.name.value] = module
        elif isinstance(node, cst.Nonlocal):
            for item in node.names:
                if scope.parent is not None:
                    scope.overrides[item.name.value] = scope.parent
