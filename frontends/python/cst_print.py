"""LibCST's code generation for the nodes a model file is mostly made of, in one loop.

LibCST prints a node through three calls (``_codegen``, its hooks, ``_codegen_impl``)
and a context manager per expression, and half of a module's nodes are whitespace. The
converter prints every module twice (the source map reads positions off the source's
print; the emitter prints the output), so this module prints the frequent node types
itself: the same tokens, in the same order, and the same syntactic positions
(``record_syntactic_position``: a node's start and end, as token indices) as LibCST's
``_codegen_impl`` of each type. Any other type, and any node of a type here in a form it
does not cover, is printed by LibCST itself (``node._codegen(state)``), so the result is
LibCST's print whatever the tree holds; ``tests/python/test_cst_print.py`` checks that
token for token, position for position, over every Python file at hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._nodes.op import BaseUnaryOp, _BaseOneTokenOp

_DEFAULT = cst.MaybeSentinel.DEFAULT
_SW = cst.SimpleWhitespace
_COMMA = cst.Comma
_ASSIGN_EQUAL = cst.AssignEqual


class Printer:
    """Prints nodes into ``state.tokens``. ``starts``/``ends`` (id(node) -> token index),
    when given, receive the syntactic positions LibCST records, of every node or, with
    ``watch``, of the nodes whose ids it holds. ``state`` is what LibCST prints the
    nodes this module leaves to it with: its own ``record_syntactic_position`` must fill
    the same dicts."""

    __slots__ = ("ends", "starts", "state", "tokens", "watch")

    def __init__(self, state: CodegenState, starts: dict[int, int] | None = None,
                 ends: dict[int, int] | None = None, watch: Any = None) -> None:
        self.state = state
        self.tokens = state.tokens
        self.starts = starts
        self.ends = ends
        self.watch = watch

    def print(self, node: cst.CSTNode) -> None:
        _gen(self, node)

    def _open(self, node: cst.CSTNode) -> int | None:
        """Note where ``node`` starts; the key to close it with, or None."""
        starts = self.starts
        if starts is None:
            return None
        key = id(node)
        watch = self.watch
        if watch is not None and key not in watch:
            return None
        starts[key] = len(self.tokens)
        return key

    def _close(self, key: int | None) -> None:
        if key is not None:
            self.ends[key] = len(self.tokens)  # type: ignore[index]


def _gen(p: Printer, n: Any) -> None:
    h = _HANDLERS.get(type(n))
    if h is None:
        n._codegen(p.state)
    else:
        h(p, n)


def _ws(p: Printer, ws: Any) -> None:
    if type(ws) is _SW:
        p.tokens.append(ws.value)
    else:
        _gen(p, ws)


def _comma(p: Printer, comma: Any, default: bool, text: str = ", ") -> None:
    if comma is _DEFAULT:
        if default:
            p.tokens.append(text)
    elif type(comma) is _COMMA or isinstance(comma, _COMMA):
        _gen(p, comma)


def _semicolon(p: Printer, semicolon: Any, default: bool) -> None:
    if isinstance(semicolon, cst.MaybeSentinel):
        if default:
            p.tokens.append("; ")
    elif isinstance(semicolon, cst.Semicolon):
        _gen(p, semicolon)


# -- expressions ---------------------------------------------------------------------
def _lpar(p: Printer, n: Any) -> int | None:
    for lpar in n.lpar:
        _gen(p, lpar)
    return p._open(n)


def _rpar(p: Printer, n: Any, key: int | None) -> None:
    p._close(key)
    for rpar in n.rpar:
        _gen(p, rpar)


def _value(p: Printer, n: Any) -> None:  # Name, Integer, Float, Imaginary, SimpleString
    if not n.lpar and p.starts is None:
        p.tokens.append(n.value)
        return
    key = _lpar(p, n)
    p.tokens.append(n.value)
    _rpar(p, n, key)


def _attribute(p: Printer, n: cst.Attribute) -> None:
    key = _lpar(p, n)
    _gen(p, n.value)
    _gen(p, n.dot)
    _gen(p, n.attr)
    _rpar(p, n, key)


def _call(p: Printer, n: cst.Call) -> None:
    key = _lpar(p, n)
    _gen(p, n.func)
    t = p.tokens
    _ws(p, n.whitespace_after_func)
    t.append("(")
    _ws(p, n.whitespace_before_args)
    args = n.args
    last = len(args) - 1
    for i, arg in enumerate(args):
        if type(arg) is cst.Arg:
            _arg(p, arg, i != last)
        else:
            arg._codegen(p.state, default_comma=(i != last))
    t.append(")")
    _rpar(p, n, key)


def _arg(p: Printer, n: cst.Arg, default_comma: bool = False) -> None:
    t = p.tokens
    key = p._open(n)
    t.append(n.star)
    _ws(p, n.whitespace_after_star)
    keyword = n.keyword
    if keyword is not None:
        _gen(p, keyword)
    equal = n.equal
    if equal is _DEFAULT:
        if keyword is not None:
            t.append(" = ")
    elif type(equal) is _ASSIGN_EQUAL or isinstance(equal, _ASSIGN_EQUAL):
        _gen(p, equal)
    _gen(p, n.value)
    p._close(key)
    _comma(p, n.comma, default_comma)
    _ws(p, n.whitespace_after_arg)


def _binary(p: Printer, n: Any) -> None:  # BinaryOperation, BooleanOperation
    key = _lpar(p, n)
    _gen(p, n.left)
    _gen(p, n.operator)
    _gen(p, n.right)
    _rpar(p, n, key)


def _unary(p: Printer, n: cst.UnaryOperation) -> None:
    key = _lpar(p, n)
    _gen(p, n.operator)
    _gen(p, n.expression)
    _rpar(p, n, key)


def _comparison(p: Printer, n: cst.Comparison) -> None:
    key = _lpar(p, n)
    _gen(p, n.left)
    for comp in n.comparisons:
        _gen(p, comp)
    _rpar(p, n, key)


def _comparison_target(p: Printer, n: cst.ComparisonTarget) -> None:
    _gen(p, n.operator)
    _gen(p, n.comparator)


def _elements(p: Printer, elements: Any, single_bare: bool) -> None:
    """The elements of a tuple (``single_bare``: one element takes a bare comma), list or
    dict."""
    last = len(elements) - 1
    for i, el in enumerate(elements):
        cls = type(el)
        if cls is cst.Element:
            key = p._open(el)
            _gen(p, el.value)
            p._close(key)
            if single_bare and last == 0:
                _comma(p, el.comma, True, ",")
            else:
                _comma(p, el.comma, i < last)
        elif single_bare and last == 0:
            el._codegen(p.state, default_comma=True, default_comma_whitespace=False)
        else:
            el._codegen(p.state, default_comma=(i < last), default_comma_whitespace=True)


def _tuple(p: Printer, n: cst.Tuple) -> None:
    key = _lpar(p, n)
    _elements(p, n.elements, True)
    _rpar(p, n, key)


def _list(p: Printer, n: cst.List) -> None:
    key = _lpar(p, n)
    _gen(p, n.lbracket)
    _elements(p, n.elements, False)
    _gen(p, n.rbracket)
    _rpar(p, n, key)


def _subscript(p: Printer, n: cst.Subscript) -> None:
    key = _lpar(p, n)
    _gen(p, n.value)
    _ws(p, n.whitespace_after_value)
    _gen(p, n.lbracket)
    slices = n.slice
    last = len(slices) - 1
    for i, el in enumerate(slices):
        if type(el) is cst.SubscriptElement:
            k = p._open(el)
            _gen(p, el.slice)
            p._close(k)
            _comma(p, el.comma, i != last)
        else:
            el._codegen(p.state, default_comma=(i != last))
    _gen(p, n.rbracket)
    _rpar(p, n, key)


def _index(p: Printer, n: cst.Index) -> None:
    star = n.star
    if star is not None:
        p.tokens.append(star)
    ws = n.whitespace_after_star
    if ws is not None:
        _ws(p, ws)
    _gen(p, n.value)


def _one_token(p: Printer, n: Any) -> None:  # Dot, Comma, AssignEqual, Colon, binary ops
    _ws(p, n.whitespace_before)
    key = p._open(n)
    p.tokens.append(_TOKENS[type(n)])
    p._close(key)
    _ws(p, n.whitespace_after)


def _unary_token(p: Printer, n: Any) -> None:  # Minus, Plus, BitInvert, Not
    p.tokens.append(_TOKENS[type(n)])
    _ws(p, n.whitespace_after)


def _left_bracket(p: Printer, n: Any) -> None:  # LeftParen, LeftSquareBracket
    p.tokens.append(_TOKENS[type(n)])
    _ws(p, n.whitespace_after)


def _right_bracket(p: Printer, n: Any) -> None:  # RightParen, RightSquareBracket
    _ws(p, n.whitespace_before)
    p.tokens.append(_TOKENS[type(n)])


# -- whitespace and lines ------------------------------------------------------------
def _token_value(p: Printer, n: Any) -> None:  # SimpleWhitespace, Comment
    p.tokens.append(n.value)


def _newline(p: Printer, n: cst.Newline) -> None:
    value = n.value
    p.tokens.append(p.state.default_newline if value is None else value)


def _trailing(p: Printer, n: cst.TrailingWhitespace) -> None:
    t = p.tokens
    _ws(p, n.whitespace)
    comment = n.comment
    if comment is not None:
        t.append(comment.value) if type(comment) is cst.Comment else _gen(p, comment)
    _gen(p, n.newline)


def _empty_line(p: Printer, n: cst.EmptyLine) -> None:
    t = p.tokens
    if n.indent:
        t.extend(p.state.indent_tokens)
    _ws(p, n.whitespace)
    comment = n.comment
    if comment is not None:
        _gen(p, comment)
    _gen(p, n.newline)


# -- statements ----------------------------------------------------------------------
def _lines(p: Printer, lines: Any) -> None:
    for line in lines:
        if type(line) is cst.EmptyLine:
            _empty_line(p, line)
        else:
            _gen(p, line)


def _simple_line(p: Printer, n: cst.SimpleStatementLine) -> None:
    _lines(p, n.leading_lines)
    p.tokens.extend(p.state.indent_tokens)
    body = n.body
    if body:
        key = p._open(n)
        last = len(body) - 1
        for i, small in enumerate(body):
            h = _SMALL.get(type(small))
            if h is None:
                small._codegen(p.state, default_semicolon=(i != last))
            else:
                h(p, small, i != last)
        p._close(key)
    else:
        key = p._open(n)
        p.tokens.append("pass")
        p._close(key)
    _trailing(p, n.trailing_whitespace)


def _assign(p: Printer, n: cst.Assign, default_semicolon: bool) -> None:
    key = p._open(n)
    t = p.tokens
    for target in n.targets:
        if type(target) is cst.AssignTarget:
            k = p._open(target)
            _gen(p, target.target)
            p._close(k)
            _ws(p, target.whitespace_before_equal)
            t.append("=")
            _ws(p, target.whitespace_after_equal)
        else:
            _gen(p, target)
    _gen(p, n.value)
    p._close(key)
    _semicolon(p, n.semicolon, default_semicolon)


def _aug_assign(p: Printer, n: cst.AugAssign, default_semicolon: bool) -> None:
    key = p._open(n)
    _gen(p, n.target)
    _gen(p, n.operator)
    _gen(p, n.value)
    p._close(key)
    _semicolon(p, n.semicolon, default_semicolon)


def _expr(p: Printer, n: cst.Expr, default_semicolon: bool) -> None:
    key = p._open(n)
    _gen(p, n.value)
    p._close(key)
    _semicolon(p, n.semicolon, default_semicolon)


def _return(p: Printer, n: cst.Return, default_semicolon: bool) -> None:
    key = p._open(n)
    t = p.tokens
    t.append("return")
    ws, value = n.whitespace_after_return, n.value
    if isinstance(ws, cst.MaybeSentinel):
        if value is not None:
            t.append(" ")
    else:
        _ws(p, ws)
    if value is not None:
        _gen(p, value)
    p._close(key)
    _semicolon(p, n.semicolon, default_semicolon)


def _pass(p: Printer, n: cst.Pass, default_semicolon: bool) -> None:
    key = p._open(n)
    p.tokens.append("pass")
    p._close(key)
    _semicolon(p, n.semicolon, default_semicolon)


def _indented_block(p: Printer, n: cst.IndentedBlock) -> None:
    _trailing(p, n.header) if type(n.header) is cst.TrailingWhitespace else _gen(p, n.header)
    state = p.state
    indent = n.indent
    state.indent_tokens.append(state.default_indent if indent is None else indent)
    body = n.body
    if body:
        key = p._open(n)
        for stmt in body:
            _gen(p, stmt)
        p._close(key)
    else:
        p.tokens.extend(state.indent_tokens)
        key = p._open(n)
        p.tokens.append("pass")
        p._close(key)
        p.tokens.append(state.default_newline)
    _lines(p, n.footer)
    state.indent_tokens.pop()


def _decorated_head(p: Printer, n: Any) -> None:
    _lines(p, n.leading_lines)
    for decorator in n.decorators:
        _gen(p, decorator)
    _lines(p, n.lines_after_decorators)
    p.tokens.extend(p.state.indent_tokens)


def _function_def(p: Printer, n: cst.FunctionDef) -> None:
    if n.asynchronous is not None or n.type_parameters is not None:
        n._codegen(p.state)
        return
    _decorated_head(p, n)
    t = p.tokens
    key = p._open(n)
    t.append("def")
    _ws(p, n.whitespace_after_def)
    _gen(p, n.name)
    _ws(p, n.whitespace_after_name)
    _ws(p, n.whitespace_after_type_parameters)
    t.append("(")
    _ws(p, n.whitespace_before_params)
    _parameters(p, n.params) if type(n.params) is cst.Parameters else _gen(p, n.params)
    t.append(")")
    returns = n.returns
    if returns is not None:
        if type(returns) is cst.Annotation:
            _annotation(p, returns, "->")
        else:
            returns._codegen(p.state, default_indicator="->")
    _ws(p, n.whitespace_before_colon)
    t.append(":")
    _gen(p, n.body)
    p._close(key)


def _parameters(p: Printer, n: cst.Parameters) -> None:
    star_arg, kwonly, star_kwarg, posonly = n.star_arg, n.kwonly_params, n.star_kwarg, n.posonly_params
    if isinstance(star_arg, cst.MaybeSentinel):
        star_included = len(kwonly) > 0
    else:
        star_included = isinstance(star_arg, (cst.Param, cst.ParamStar))
    for param in posonly:
        _any_param(p, param, True, "")
    more = star_included or len(n.params) > 0 or len(kwonly) > 0 or star_kwarg is not None
    posonly_ind = n.posonly_ind
    if isinstance(posonly_ind, cst.ParamSlash):
        posonly_ind._codegen(p.state, default_comma=more)
    elif posonly:
        p.tokens.append("/, " if more else "/")
    params = n.params
    last = len(params) - 1
    more = star_included or len(kwonly) > 0 or star_kwarg is not None
    for i, param in enumerate(params):
        _any_param(p, param, i < last or more, "")
    if isinstance(star_arg, cst.MaybeSentinel):
        if star_included:
            p.tokens.append("*, ")
    elif isinstance(star_arg, cst.Param):
        _any_param(p, star_arg, len(kwonly) > 0 or star_kwarg is not None, "*")
    elif isinstance(star_arg, cst.ParamStar):
        _gen(p, star_arg)
    last = len(kwonly) - 1
    for i, param in enumerate(kwonly):
        _any_param(p, param, i < last or star_kwarg is not None, "")
    if star_kwarg is not None:
        _any_param(p, star_kwarg, False, "**")


def _any_param(p: Printer, n: Any, default_comma: bool, default_star: str) -> None:
    if type(n) is cst.Param:
        _param(p, n, default_comma, default_star)
    else:
        n._codegen(p.state, default_star=default_star, default_comma=default_comma)


def _param(p: Printer, n: cst.Param, default_comma: bool, default_star: str = "") -> None:
    t = p.tokens
    key = p._open(n)
    star = n.star
    if isinstance(star, cst.MaybeSentinel):
        star = default_star
    if isinstance(star, str):
        t.append(star)
    _ws(p, n.whitespace_after_star)
    _gen(p, n.name)
    p._close(key)
    annotation = n.annotation
    if annotation is not None:
        if type(annotation) is cst.Annotation:
            _annotation(p, annotation, ":")
        else:
            annotation._codegen(p.state, default_indicator=":")
    equal, default = n.equal, n.default
    if equal is _DEFAULT:
        if default is not None:
            t.append(" = ")
    elif type(equal) is _ASSIGN_EQUAL or isinstance(equal, _ASSIGN_EQUAL):
        _gen(p, equal)
    if default is not None:
        _gen(p, default)
    _comma(p, n.comma, default_comma)
    _ws(p, n.whitespace_after_param)


def _annotation(p: Printer, n: cst.Annotation, indicator: str) -> None:
    before = n.whitespace_before_indicator
    if isinstance(before, cst.MaybeSentinel):
        if indicator == "->":
            p.tokens.append(" ")
    else:
        _ws(p, before)
    p.tokens.append(indicator)
    _ws(p, n.whitespace_after_indicator)
    key = p._open(n)
    _gen(p, n.annotation)
    p._close(key)


def _class_def(p: Printer, n: cst.ClassDef) -> None:
    if n.type_parameters is not None:
        n._codegen(p.state)
        return
    _decorated_head(p, n)
    t = p.tokens
    key = p._open(n)
    t.append("class")
    _ws(p, n.whitespace_after_class)
    _gen(p, n.name)
    _ws(p, n.whitespace_after_name)
    _ws(p, n.whitespace_after_type_parameters)
    lpar, rpar = n.lpar, n.rpar
    some = bool(n.bases or n.keywords)
    if isinstance(lpar, cst.MaybeSentinel):
        if some:
            t.append("(")
    elif isinstance(lpar, cst.LeftParen):
        _gen(p, lpar)
    args = [*n.bases, *n.keywords]
    last = len(args) - 1
    for i, arg in enumerate(args):
        if type(arg) is cst.Arg:
            _arg(p, arg, i != last)
        else:
            arg._codegen(p.state, default_comma=(i != last))
    if isinstance(rpar, cst.MaybeSentinel):
        if some:
            t.append(")")
    elif isinstance(rpar, cst.RightParen):
        _gen(p, rpar)
    _ws(p, n.whitespace_before_colon)
    t.append(":")
    _gen(p, n.body)
    p._close(key)


def _if(p: Printer, n: cst.If, is_elif: bool = False) -> None:
    _lines(p, n.leading_lines)
    t = p.tokens
    t.extend(p.state.indent_tokens)
    key = p._open(n)
    t.append("elif" if is_elif else "if")
    _ws(p, n.whitespace_before_test)
    _gen(p, n.test)
    _ws(p, n.whitespace_after_test)
    t.append(":")
    _gen(p, n.body)
    orelse = n.orelse
    if orelse is not None:
        if type(orelse) is cst.If:
            _if(p, orelse, True)
        elif isinstance(orelse, cst.If):
            orelse._codegen(p.state, is_elif=True)
        else:
            _gen(p, orelse)
    p._close(key)


def _else(p: Printer, n: cst.Else) -> None:
    _lines(p, n.leading_lines)
    t = p.tokens
    t.extend(p.state.indent_tokens)
    key = p._open(n)
    t.append("else")
    _ws(p, n.whitespace_before_colon)
    t.append(":")
    _gen(p, n.body)
    p._close(key)


def _for(p: Printer, n: cst.For) -> None:
    if n.asynchronous is not None:
        n._codegen(p.state)
        return
    _lines(p, n.leading_lines)
    t = p.tokens
    t.extend(p.state.indent_tokens)
    key = p._open(n)
    t.append("for")
    _ws(p, n.whitespace_after_for)
    _gen(p, n.target)
    _ws(p, n.whitespace_before_in)
    t.append("in")
    _ws(p, n.whitespace_after_in)
    _gen(p, n.iter)
    _ws(p, n.whitespace_before_colon)
    t.append(":")
    _gen(p, n.body)
    if n.orelse is not None:
        _gen(p, n.orelse)
    p._close(key)


def _module(p: Printer, n: cst.Module) -> None:
    _lines(p, n.header)
    for stmt in n.body:
        _gen(p, stmt)
    _lines(p, n.footer)
    tokens = p.tokens
    if n.has_trailing_newline:
        if not tokens:
            tokens.append(p.state.default_newline)
    else:
        p.state.pop_trailing_newline()


_HANDLERS: dict[type, Callable[[Printer, Any], None]] = {
    cst.SimpleWhitespace: _token_value, cst.Comment: _token_value,
    cst.Newline: _newline, cst.TrailingWhitespace: _trailing, cst.EmptyLine: _empty_line,
    cst.Name: _value, cst.Integer: _value, cst.Float: _value, cst.Imaginary: _value, cst.SimpleString: _value,
    cst.Attribute: _attribute, cst.Call: _call, cst.Arg: _arg,
    cst.BinaryOperation: _binary, cst.BooleanOperation: _binary, cst.UnaryOperation: _unary,
    cst.Comparison: _comparison, cst.ComparisonTarget: _comparison_target,
    cst.Tuple: _tuple, cst.List: _list, cst.Subscript: _subscript, cst.Index: _index,
    cst.SimpleStatementLine: _simple_line, cst.IndentedBlock: _indented_block,
    cst.FunctionDef: _function_def, cst.ClassDef: _class_def, cst.Parameters: _parameters,
    cst.If: _if, cst.Else: _else, cst.For: _for, cst.Module: _module,
}
# small statement class -> printer taking ``default_semicolon``
_SMALL: dict[type, Callable[[Printer, Any, bool], None]] = {
    cst.Assign: _assign, cst.AugAssign: _aug_assign, cst.Expr: _expr, cst.Return: _return, cst.Pass: _pass,
}
for _cls, _small in _SMALL.items():  # printed on their own (a line's fitting measures them)
    _HANDLERS[_cls] = lambda p, n, _small=_small: _small(p, n, False)
_TOKENS: dict[type, str] = {
    cst.LeftParen: "(", cst.RightParen: ")", cst.LeftSquareBracket: "[", cst.RightSquareBracket: "]",
}
for _cls, _handler in ((cst.LeftParen, _left_bracket), (cst.LeftSquareBracket, _left_bracket),
                       (cst.RightParen, _right_bracket), (cst.RightSquareBracket, _right_bracket)):
    # only while LibCST prints them as this module does
    if "_codegen_impl" in _cls.__dict__:
        _HANDLERS[_cls] = _handler


def _token_classes() -> None:
    """Register the one-token operators (``.``, ``,``, ``=``, ``+``, ``+=``, ``-x``...):
    every LibCST class printed by the base classes' ``_codegen_impl``, with its token."""
    todo = [_BaseOneTokenOp, BaseUnaryOp]
    while todo:
        base = todo.pop()
        for cls in base.__subclasses__():
            todo.append(cls)
            if getattr(cls, "__abstractmethods__", None):
                continue
            try:  # a constant per class, but for NotEqual's (``!=`` or ``<>``): left to LibCST
                token = cls._get_token(None)  # type: ignore[arg-type]
            except AttributeError:
                continue
            if cls._codegen_impl is _BaseOneTokenOp._codegen_impl:
                _HANDLERS[cls] = _one_token
            elif cls._codegen_impl is BaseUnaryOp._codegen_impl:
                _HANDLERS[cls] = _unary_token
            else:
                continue
            _TOKENS[cls] = token


_token_classes()
