"""Code text -> LibCST node, parsed once per text.

Ops keep small pieces of Python as text (``pysrc.const``, targets, parameter lists, opaque
statements) that the backend turns back into nodes. The same texts recur (``0``, ``self``,
``def f(self, x):``) and LibCST nodes are immutable, so one parsed node serves every use
of its text, in this file and the next.
"""

from __future__ import annotations

import libcst as cst

_LIMIT = 20_000  # entries per table; a long run over many files starts it afresh
_EXPRESSIONS: dict[str, cst.BaseExpression] = {}
_STATEMENTS: dict[str, cst.BaseStatement] = {}


def expression(code: str) -> cst.BaseExpression:
    """``cst.parse_expression(code)``, once per text."""
    node = _EXPRESSIONS.get(code)
    if node is None:
        try:
            node = cst.parse_expression(code)
        except cst.ParserSyntaxError:
            # A value spanning lines (implicit string concatenation) whose parentheses the
            # source had around it: they are what lets it span lines.
            node = cst.parse_expression(f"({code})")
        if len(_EXPRESSIONS) >= _LIMIT:
            _EXPRESSIONS.clear()
        _EXPRESSIONS[code] = node
    return node


def statement(code: str) -> cst.BaseStatement:
    """``cst.parse_statement(code)``, once per text."""
    node = _STATEMENTS.get(code)
    if node is None:
        node = cst.parse_statement(code)
        if len(_STATEMENTS) >= _LIMIT:
            _STATEMENTS.clear()
        _STATEMENTS[code] = node
    return node
