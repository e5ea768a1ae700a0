"""Where each node of a LibCST module starts, and its exact text, from one code generation.

LibCST's ``PositionProvider`` splits every token on newlines and builds two position objects
per node; the frontend only needs a node's start (``line:column`` of ops) and the text of
expressions it keeps verbatim. Both come from one print of the module that records, per
node, the token count where it starts and ends: offsets into the printed text (which is the
source text, LibCST round-trips exactly) are turned into lines only for the nodes asked about.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

import libcst as cst
from libcst._nodes.internal import CodegenState

_NEWLINE = re.compile(r"\r\n?|\n")


class _NoOp:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NO_OP = _NoOp()


@dataclass
class _SpanState(CodegenState):
    # node -> token index of its start: the syntactic start (after parentheses and
    # indentation) where LibCST records one, else where its code begins.
    starts: dict[cst.CSTNode, int] = field(default_factory=dict)
    spans: dict[cst.CSTNode, tuple[int, int]] = field(default_factory=dict)
    _open: list[int] = field(default_factory=list)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._open.append(len(self.tokens))

    def after_codegen(self, node: cst.CSTNode) -> None:
        begin = self._open.pop()
        self.spans[node] = (begin, len(self.tokens))
        self.starts.setdefault(node, begin)

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None) -> _NoOp:
        self.starts[node] = len(self.tokens)
        return _NO_OP


class SourceMap:
    """Start positions and exact text of the nodes of one module."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        state = _SpanState(default_indent=module.default_indent, default_newline=module.default_newline)
        module._codegen(state)
        tokens = state.tokens
        self.text = "".join(tokens)
        self._offset = list(accumulate(map(len, tokens), initial=0))
        self._starts = state.starts
        self._spans = state.spans
        self._lines = [0, *(m.end() for m in _NEWLINE.finditer(self.text))]

    def start(self, node: cst.CSTNode) -> str | None:
        """``line:column`` (1-based both) where ``node`` starts, None for a node not in the module."""
        tok = self._starts.get(node)
        if tok is None:
            return None
        off = self._offset[tok]
        line = bisect_right(self._lines, off)
        return f"{line}:{off - self._lines[line - 1] + 1}"

    def code(self, node: cst.CSTNode) -> str:
        """The text of ``node`` as ``Module.code_for_node`` prints it: a slice of the module for
        a one-line expression; statements and continued lines are printed (their indentation
        depends on depth)."""
        span = self._spans.get(node)
        if span is None or isinstance(node, (cst.BaseStatement, cst.BaseSuite)):
            return self.module.code_for_node(node)
        text = self.text[self._offset[span[0]]:self._offset[span[1]]]
        if "\n" in text or "\r" in text:
            return self.module.code_for_node(node)  # continuation lines are indented by depth
        return text
