"""Where each node of a LibCST module starts, from one code generation.

LibCST's ``PositionProvider`` splits every token on newlines and builds two position objects
per node; the frontend only needs a node's start (the ``line:column`` of ops). One print of
the module records, per node, the token count where it starts: offsets into the printed
text (which is the source text, LibCST round-trips exactly) become lines only for the
nodes asked about.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

import libcst as cst
from libcst._nodes.internal import CodegenState
from switcheroo.frontends.python.cst_print import Printer

_ATOMS = frozenset({cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString})
_NEWLINE = re.compile(r"\r\n?|\n")


class _End:
    """Entered around a node's code generation: on exit, notes the token index it ends at."""

    __slots__ = ("state",)

    def __init__(self, state: _StartState) -> None:
        self.state = state

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        state = self.state
        state.ends[state.open.pop()] = len(state.tokens)


@dataclass
class _StartState(CodegenState):
    # id(node) -> token index where it starts (ends): LibCST records the syntactic start
    # (after parentheses and indentation) of every statement and expression, the nodes ops
    # point at. Keyed by id: a node's ``__hash__`` is a Python call (the module the map holds
    # keeps the nodes, and so their ids, alive).
    starts: dict[int, int] = field(default_factory=dict)
    ends: dict[int, int] = field(default_factory=dict)
    open: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._end = _End(self)

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None) -> _End:
        key = id(node)
        self.starts[key] = len(self.tokens)
        self.open.append(key)
        return self._end


def _no_space(ws: cst.BaseParenthesizableWhitespace) -> bool:
    return isinstance(ws, cst.SimpleWhitespace) and not ws.value


def _dotted(node: cst.CSTNode) -> str | None:
    """``a.b.c`` as written when ``node`` is a chain of names without parentheses or spaces."""
    parts = []
    while isinstance(node, cst.Attribute):
        dot = node.dot
        if node.lpar or node.attr.lpar or not isinstance(dot, cst.Dot) \
                or not _no_space(dot.whitespace_before) or not _no_space(dot.whitespace_after):
            return None
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name) or node.lpar:
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


class SourceMap:
    """Start positions of the nodes of one module, and their text."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        state = _StartState(default_indent=module.default_indent, default_newline=module.default_newline)
        Printer(state, state.starts, state.ends).print(module)
        tokens = state.tokens
        self.text = "".join(tokens)
        self._offset = list(accumulate(map(len, tokens), initial=0))
        self._starts = state.starts
        self._ends = state.ends
        self._lines = [0, *(m.end() for m in _NEWLINE.finditer(self.text))]

    def start(self, node: cst.CSTNode) -> str | None:
        """``line:column`` (1-based both) where ``node`` starts, None for a node not in the module."""
        tok = self._starts.get(id(node))
        if tok is None:
            return None
        off = self._offset[tok]
        line = bisect_right(self._lines, off)
        return f"{line}:{off - self._lines[line - 1] + 1}"

    def span(self, node: cst.CSTNode) -> str | None:
        """The source text from where ``node`` starts to where it ends (its syntactic extent,
        without enclosing parentheses); None for a node not in the module."""
        start, end = self._starts.get(id(node)), self._ends.get(id(node))
        if start is None or end is None:
            return None
        return self.text[self._offset[start]:self._offset[end]]

    def code(self, node: cst.CSTNode) -> str:
        """The text of ``node`` as ``Module.code_for_node`` prints it. The frontend asks for
        names, dotted names and numbers mostly: those are read off the node."""
        if type(node) in _ATOMS and not node.lpar:
            return node.value
        if type(node) is cst.Attribute and (text := _dotted(node)) is not None:
            return text
        state = CodegenState(default_indent=self.module.default_indent, default_newline=self.module.default_newline)
        Printer(state).print(node)  # ``self.module.code_for_node(node)``
        return "".join(state.tokens)
