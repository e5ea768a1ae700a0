"""Line layout: a rebuilt statement longer than the line limit is split the way black and
ruff format split it.

The emitter prints a statement it rebuilt on one line. When that line is too long, the
outermost bracket of the statement (a call's arguments, a display's elements, a ``def``'s
parameters) is opened: the items on one line of their own, one level deeper, when they
fit there; else one item per line with a trailing comma after the last. The closing
bracket goes on a line of its own at the statement's indentation. An item still too long
is split the same way, one level further in. The breaks are
LibCST whitespace nodes (``ParenthesizedWhitespace``); opaque source text is never split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

LINE_LENGTH = 100  # the project's ``line-length``: black's and ruff's limit for the output
INDENT = 4

_NO_SPACE = cst.SimpleWhitespace("")


def _break(columns: int) -> cst.ParenthesizedWhitespace:
    """A newline, then the enclosing block's indentation and ``columns`` more spaces."""
    return cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), empty_lines=[], indent=True,
                                       last_line=cst.SimpleWhitespace(" " * columns))


def _lay_out(items: Sequence[cst.CSTNode], level: int, joined: bool) -> list[cst.CSTNode]:
    """The items inside an opened bracket. ``joined``: all on one line, ``a, b, c`` (the
    break before the closing bracket is the caller's); else each followed by a comma and a
    break, to the next item's column or back to ``level`` before the closing bracket."""
    inner, out = level + INDENT, []
    for i, item in enumerate(items):
        last = i + 1 == len(items)
        if joined:
            comma = cst.MaybeSentinel.DEFAULT if last else cst.Comma(whitespace_before=_NO_SPACE,
                                                                     whitespace_after=cst.SimpleWhitespace(" "))
        else:
            comma = cst.Comma(whitespace_before=_NO_SPACE, whitespace_after=_break(level if last else inner))
        out.append(item.with_changes(comma=comma))
    return out


def _fits(base: int, inner: int, items: Sequence[cst.CSTNode], width: Callable[[cst.CSTNode], int]) -> bool:
    """Whether ``items`` fit on one line at column ``base + inner``, as ``a, b, c``."""
    return base + inner + sum(width(i) for i in items) + 2 * (len(items) - 1) <= LINE_LENGTH


def _spread(node: cst.BaseExpression, level: int, width: Callable[[cst.CSTNode], int],
            base: int = 0) -> cst.BaseExpression | None:
    """``node`` with its own brackets opened, as black opens them: the items on one line of
    their own when they fit there, else one per line with a trailing comma (items at
    ``level + 4``, the closing bracket at ``level``, both counted from the statement's
    indentation ``base``); None when it has no brackets to open."""
    inner = level + INDENT

    def fitted(item: cst.CSTNode) -> cst.CSTNode:
        # an item still too long at its new column is opened in turn
        value = getattr(item, "value", None)
        if isinstance(value, cst.BaseExpression) and base + inner + width(item) + 1 > LINE_LENGTH:
            spread = _spread(value, inner, width, base)
            if spread is not None:
                return item.with_changes(value=spread)
        return item

    def items_of(elts: Sequence[cst.CSTNode]) -> tuple[list[cst.CSTNode], bool]:
        bare = [e.with_changes(comma=cst.MaybeSentinel.DEFAULT) for e in elts]
        joined = _fits(base, inner, bare, width)
        return _lay_out(bare if joined else [fitted(e) for e in bare], level, joined), joined

    close = _break(level)
    match node:
        case cst.Call(args=args) if args:
            items, joined = items_of(args)
            if joined:
                items[-1] = items[-1].with_changes(whitespace_after_arg=close)
            return node.with_changes(args=items, whitespace_before_args=_break(inner))
        case cst.Tuple(elements=elts) | cst.List(elements=elts) | cst.Set(elements=elts) if elts:
            if isinstance(node, cst.Tuple) and len(elts) == 1:
                return None  # ``(x,)`` keeps its comma: nothing worth opening
            items, joined = items_of(elts)
            end = close if joined else _NO_SPACE
            if isinstance(node, cst.Tuple):  # a bare tuple gets the parentheses it needs to span lines
                return node.with_changes(elements=items, lpar=[cst.LeftParen(whitespace_after=_break(inner))],
                                         rpar=[cst.RightParen(whitespace_before=end)])
            opening, closing = ("lbracket", "rbracket") if isinstance(node, cst.List) else ("lbrace", "rbrace")
            return node.with_changes(elements=items,
                                     **{opening: getattr(node, opening).with_changes(whitespace_after=_break(inner)),
                                        closing: getattr(node, closing).with_changes(whitespace_before=end)})
        case cst.Dict(elements=elts) if elts:
            items, joined = items_of(elts)
            return node.with_changes(elements=items, lbrace=node.lbrace.with_changes(whitespace_after=_break(inner)),
                                     rbrace=node.rbrace.with_changes(whitespace_before=close if joined else _NO_SPACE))
        case cst.GeneratorExp() | cst.ListComp() | cst.SetComp() | cst.DictComp():
            # a comprehension has no items to put one per line: its body goes on its own line
            if isinstance(node, cst.GeneratorExp):
                if not node.lpar:
                    return None
                return node.with_changes(lpar=[node.lpar[0].with_changes(whitespace_after=_break(inner))],
                                         rpar=[node.rpar[-1].with_changes(whitespace_before=close)])
            opening, closing = ("lbracket", "rbracket") if isinstance(node, cst.ListComp) else ("lbrace", "rbrace")
            return node.with_changes(**{opening: getattr(node, opening).with_changes(whitespace_after=_break(inner)),
                                        closing: getattr(node, closing).with_changes(whitespace_before=close)})
    return None


def fit_statement(line: cst.SimpleStatementLine, indent: int, code: Callable[[cst.CSTNode], str]) -> cst.SimpleStatementLine:
    """``line`` (a statement the emitter rebuilt, at ``indent`` columns) split over lines
    when it is longer than :data:`LINE_LENGTH` and has an outermost bracket to open."""
    if len(line.body) != 1:
        return line
    comment = line.trailing_whitespace.comment
    text = code(line.body[0])
    long = indent + len(text) + (len(comment.value) + 2 if comment else 0) > LINE_LENGTH
    if not long or "\n" in text:
        return line  # short enough, or spanning lines already (source kept as written)

    def width(node: cst.CSTNode) -> int:
        return len(code(node))

    small = line.body[0]
    match small:
        case cst.Assign(value=value) | cst.AnnAssign(value=value) | cst.AugAssign(value=value) \
                | cst.Return(value=value) | cst.Expr(value=value) if value is not None:
            spread = _spread(value, 0, width, indent)
            if spread is None:
                return line
            return line.with_changes(body=[small.with_changes(value=spread)])
    return line


def fit_def(node: cst.FunctionDef, indent: int, code: Callable[[cst.CSTNode], str]) -> cst.FunctionDef:
    """A ``def`` whose header line is too long, its parameters opened as ``_spread`` opens
    a call's arguments."""
    text = code(node.with_changes(body=cst.SimpleStatementSuite([cst.Pass()]), leading_lines=[], decorators=[]))
    header = text.removesuffix(" pass\n")  # ``def f(...) -> T:``
    if "\n" in header or indent + len(header) <= LINE_LENGTH:
        return node
    p = node.params
    groups = ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg")
    order: list[tuple[str, int | None, cst.CSTNode]] = []
    for g in groups:
        value = getattr(p, g)
        if isinstance(value, Sequence):
            order += [(g, i, v) for i, v in enumerate(value)]
        elif isinstance(value, cst.CSTNode):
            order.append((g, None, value))
    if not order:
        return node
    # a bare ``*`` prints its comma, always: measured as the one character it is
    bare = [item if isinstance(item, cst.ParamStar) else item.with_changes(comma=cst.MaybeSentinel.DEFAULT)
            for _, _, item in order]
    joined = _fits(indent, INDENT, bare, lambda n: 1 if isinstance(n, cst.ParamStar) else len(code(n))) \
        and isinstance(bare[-1], cst.Param)
    spread = _lay_out(bare, 0, joined)
    if joined:  # black puts the parameters on one line of their own when they fit there
        spread[-1] = spread[-1].with_changes(whitespace_after_param=_break(0))
    changes: dict[str, object] = {g: list(getattr(p, g)) for g in groups if isinstance(getattr(p, g), Sequence)}
    for (g, i, _), item in zip(order, spread, strict=True):
        if i is None:
            changes[g] = item
        else:
            changes[g][i] = item  # type: ignore[index]
    return node.with_changes(params=p.with_changes(**changes), whitespace_before_params=_break(INDENT))
