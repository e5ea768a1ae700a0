"""Comments and blank lines: read from LibCST nodes, stored on ops, rebuilt by the backend.

Trivia is kept as a JSON list of lines, each ``""`` (a blank line) or a comment's text
(``"# why"``), so it survives printing the IR to text and parsing it back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import libcst as cst
from xdsl.dialects.builtin import StringAttr

from switcheroo.dialects.pysrc import string


def encode_lines(lines: Sequence[cst.EmptyLine]) -> StringAttr | None:
    if not lines:
        return None
    return string(json.dumps([ln.comment.value if ln.comment else "" for ln in lines]))


# LibCST nodes are immutable, so the backend's trivia nodes are built once per text and
# shared by every statement that carries it (most carry none, or one blank line).
_LINES: dict[tuple[str, bool], tuple[cst.EmptyLine, ...]] = {}
_COMMENTS: dict[str, cst.TrailingWhitespace] = {}
_NO_COMMENT = cst.TrailingWhitespace()
_CACHE_LIMIT = 20_000


def decode_lines(attr: StringAttr | None, indent: bool = True) -> list[cst.EmptyLine]:
    if attr is None:
        return []
    lines = _LINES.get((attr.data, indent))
    if lines is None:
        lines = tuple(
            cst.EmptyLine(indent=indent and bool(c), comment=cst.Comment(c) if c else None)
            for c in json.loads(attr.data)
        )
        if len(_LINES) >= _CACHE_LIMIT:
            _LINES.clear()
        _LINES[attr.data, indent] = lines
    return list(lines)


def encode_comment(ws: cst.TrailingWhitespace | None) -> StringAttr | None:
    if ws is None or ws.comment is None:
        return None
    return string(ws.comment.value)


def decode_comment(attr: StringAttr | None) -> cst.TrailingWhitespace:
    if attr is None:
        return _NO_COMMENT
    ws = _COMMENTS.get(attr.data)
    if ws is None:
        ws = cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(attr.data))
        if len(_COMMENTS) >= _CACHE_LIMIT:
            _COMMENTS.clear()
        _COMMENTS[attr.data] = ws
    return ws


def with_comment(ws: cst.TrailingWhitespace, comment: str) -> cst.TrailingWhitespace:
    """Append a note (``# swc: unmapped ...``) to a line's trailing comment."""
    text = f"{ws.comment.value}  {comment}" if ws.comment else comment
    return cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(text))
