"""Composed mappings: a framework spells a hub op as an expression of other calls.

A variant's ``compose`` is a Python expression over the spec's standard argument names
(``keras.ops.sum(keras.ops.multiply(x1, x2), axis=axis)`` for ``vecdot``). It may use:
the standard arguments, dotted APIs of the framework (or its fallbacks) and of a few
standard-library modules (``math.pi``), Python builtins (``getattr``, ``range``),
literals, unary and binary operators, attribute reads and subscripts of values, list and
tuple displays, ``*`` unpacking in calls, and one-``for`` list comprehensions. Anything
else (lambdas, conditionals, comparisons) is rejected when the ODL is loaded.

A composed variant is lowering-only: raising cannot recognise an expression as one op.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Standard-library modules an expression (or any mapping) may name without a snapshot.
PYTHON_MODULES = ("builtins", "math", "cmath", "contextlib", "functools", "itertools", "operator", "typing")

_UNARY = {ast.UAdd: "+", ast.USub: "-", ast.Invert: "~", ast.Not: "not"}
_BINARY = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.MatMult: "@",
}
_ALLOWED = (
    ast.Expression, ast.Name, ast.Load, ast.Store, ast.Attribute, ast.Call, ast.keyword,
    ast.Starred, ast.Constant, ast.UnaryOp, ast.BinOp, ast.Subscript, ast.Tuple, ast.List,
    ast.ListComp, ast.comprehension, *_UNARY, *_BINARY,
)


def parse(text: str) -> ast.expr:
    """The expression's tree; ValueError names the first construct ODL does not allow."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ValueError(f"not a Python expression: {e.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ValueError(f"{type(node).__name__} is not allowed in compose ({ast.unparse(node)!r})")
        if isinstance(node, ast.ListComp) and (
            len(node.generators) != 1
            or node.generators[0].ifs
            or not isinstance(node.generators[0].target, ast.Name)
        ):
            raise ValueError("a comprehension in compose takes one 'for NAME in ...' and no 'if'")
        if isinstance(node, ast.keyword) and node.arg is None:
            raise ValueError("'**' is not allowed in compose")
    return tree.body


def dotted(node: ast.expr) -> str | None:
    """``keras.ops.sum`` for an attribute chain on a bare name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


@dataclass(frozen=True)
class Names:
    """What the names of an expression refer to."""

    args: frozenset[str]  # standard arguments of the spec
    roots: frozenset[str]  # module roots: the framework's and the standard library's

    def is_arg(self, name: str, bound: Iterable[str] = ()) -> bool:
        return name in self.args or name in bound

    def is_api_root(self, name: str) -> bool:
        return name in self.roots and name not in self.args


def names_for(arg_names: Iterable[str], prefixes: Iterable[str]) -> Names:
    return Names(
        frozenset(arg_names), frozenset({p.split(".")[0] for p in prefixes} | set(PYTHON_MODULES))
    )


def walk_names(node: ast.expr, bound: frozenset[str] = frozenset()) -> Iterator[tuple[ast.Name, frozenset[str]]]:
    """Every Name read in the expression with the comprehension targets bound there."""
    if isinstance(node, ast.ListComp):
        gen = node.generators[0]
        yield from walk_names(gen.iter, bound)
        assert isinstance(gen.target, ast.Name)  # parse() checked
        yield from walk_names(node.elt, bound | {gen.target.id})
        return
    if isinstance(node, ast.Name):
        yield node, bound
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            yield from walk_names(child, bound)
        elif isinstance(child, ast.keyword):
            yield from walk_names(child.value, bound)


def apis(node: ast.expr, names: Names) -> list[str]:
    """The dotted APIs the expression names (``keras.ops.sum``, ``math.pi``)."""
    out = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute | ast.Name):
            path = dotted(sub)
            if path and "." in path and names.is_api_root(path.split(".")[0]):
                out.append(path)
    # Keep only the longest chains: keras.ops.sum, not also keras.ops.
    return sorted({p for p in out if not any(o != p and o.startswith(p + ".") for o in out)})


def unknown_names(node: ast.expr, names: Names) -> list[str]:
    """Names that are neither arguments, comprehension targets, builtins nor module roots."""
    bad = []
    for name, bound in walk_names(node):
        n = name.id
        if names.is_arg(n, bound) or names.is_api_root(n) or hasattr(builtins, n):
            continue
        bad.append(n)
    return sorted(set(bad))
