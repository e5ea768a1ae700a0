"""Operator nodes with the parentheses Python's precedence needs, and no more."""

from __future__ import annotations

import libcst as cst

# Higher binds tighter (the Python reference's precedence table).
_PREC = {
    "or": 1, "and": 2, "not": 3,
    "<": 4, ">": 4, "<=": 4, ">=": 4, "==": 4, "!=": 4, "in": 4, "not in": 4, "is": 4, "is not": 4,
    "|": 5, "^": 6, "&": 7, "<<": 8, ">>": 8, "+": 9, "-": 9,
    "*": 10, "@": 10, "/": 10, "//": 10, "%": 10, "u-": 11, "u+": 11, "~": 11, "**": 12,
}
_BIN = {
    "+": cst.Add, "-": cst.Subtract, "*": cst.Multiply, "/": cst.Divide, "//": cst.FloorDivide,
    "%": cst.Modulo, "**": cst.Power, "@": cst.MatrixMultiply, "<<": cst.LeftShift,
    ">>": cst.RightShift, "&": cst.BitAnd, "|": cst.BitOr, "^": cst.BitXor,
}
_BOOL = {"and": cst.And, "or": cst.Or}
_CMP = {
    "<": cst.LessThan, ">": cst.GreaterThan, "<=": cst.LessThanEqual, ">=": cst.GreaterThanEqual,
    "==": cst.Equal, "!=": cst.NotEqual, "in": cst.In, "not in": cst.NotIn, "is": cst.Is,
    "is not": cst.IsNot,
}
_UNARY = {"-": (cst.Minus, "u-"), "+": (cst.Plus, "u+"), "~": (cst.BitInvert, "~"), "not": (cst.Not, "not")}


_BIN_PREC = {cls: _PREC[op] for op, cls in _BIN.items()}
# node classes that bind as atoms; the others are asked by a class pattern
_ATOMS = frozenset({cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float,
                    cst.SimpleString, cst.Tuple, cst.List, cst.Dict})


def _prec(node: cst.BaseExpression) -> int:
    if node.lpar:
        return 100
    kind = type(node)
    if kind in _ATOMS:
        return 100
    if kind is cst.BinaryOperation:
        return _BIN_PREC[type(node.operator)]
    match node:
        case cst.BinaryOperation(operator=op):
            return _PREC[next(k for k, v in _BIN.items() if isinstance(op, v))]
        case cst.BooleanOperation(operator=op):
            return _PREC["and" if isinstance(op, cst.And) else "or"]
        case cst.Comparison():
            return 4
        case cst.UnaryOperation(operator=op):
            return 3 if isinstance(op, cst.Not) else 11
        case cst.IfExp() | cst.Lambda():
            return 0
    return 100


def _paren(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def primary(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` as the receiver of ``.attr``, a call or a subscript: an operation is
    parenthesised (``(a / b).reshape(s)``, not ``a / b.reshape(s)``)."""
    return _paren(node) if _prec(node) < 100 else node


def binop_node(op: str, lhs: cst.BaseExpression, rhs: cst.BaseExpression) -> cst.BaseExpression:
    p = _PREC[op]
    right_assoc = op == "**"
    if _prec(lhs) < p or (right_assoc and _prec(lhs) == p) or (p == 4 and _prec(lhs) == 4):
        lhs = _paren(lhs)
    if _prec(rhs) < p or (not right_assoc and _prec(rhs) == p):
        rhs = _paren(rhs)
    if op in _BIN:
        return cst.BinaryOperation(left=lhs, operator=_BIN[op](), right=rhs)
    if op in _BOOL:
        return cst.BooleanOperation(left=lhs, operator=_BOOL[op](), right=rhs)
    return cst.Comparison(left=lhs, comparisons=[cst.ComparisonTarget(operator=_CMP[op](), comparator=rhs)])


def unary_node(op: str, operand: cst.BaseExpression) -> cst.BaseExpression:
    node_cls, key = _UNARY[op]
    if _prec(operand) < _PREC[key]:
        operand = _paren(operand)
    return cst.UnaryOperation(operator=node_cls(), expression=operand)
