"""The Python backend: ``pysrc``/``fw`` IR -> LibCST nodes -> source text.

Statements are rebuilt from their ops, expressions from the SSA trees feeding them, and
comments/blank lines re-attached from the trivia the frontend stored. Framework APIs are
spelled through :class:`ImportTable`; anything left unmapped is printed as it was and
marked ``# swc: unmapped <api>`` on its line, and reported.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import accumulate

import libcst as cst
from libcst._nodes.internal import CodegenState
from xdsl.dialects import builtin
from xdsl.ir import Block, Operation, SSAValue

from switcheroo.backends.python import parsed
from switcheroo.backends.python.imports import ImportTable, UsedNames, asked_names, prune_import, used_names
from switcheroo.backends.python.layout import INDENT, LINE_LENGTH, fit_def, fit_statement
from switcheroo.backends.python.precedence import binop_node, primary, unary_node
from switcheroo.diagnostics import Report
from switcheroo.dialects import fw, hub, pysrc
from switcheroo.frontends.python.cst_print import Printer
from switcheroo.frontends.python.trivia import decode_comment, decode_lines, with_comment

_PLACEHOLDER = re.compile(r"\{\{fw:([A-Za-z0-9_.]+)\}\}")
_KEYWORD_EQUAL = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))  # ``f(x=1)``
# LibCST fills each whitespace field left out with a new node; the nodes are immutable, so
# the ones every call, argument and assignment would get are built once.
_NO_SPACE = cst.SimpleWhitespace("")
_SPACE = cst.SimpleWhitespace(" ")
_ARG_WS = {"whitespace_after_star": _NO_SPACE, "whitespace_after_arg": _NO_SPACE}
_CALL_WS = {"whitespace_after_func": _NO_SPACE, "whitespace_before_args": _NO_SPACE}
_PRINTER = cst.Module(body=[])  # the output's defaults (4 spaces, "\n")
_NO_POSITIONS = nullcontext()


class _PrintState(CodegenState):
    """LibCST's codegen state without the bookkeeping of syntactic positions, which only
    a position provider reads: its ``record_syntactic_position`` is a generator-based
    context manager entered for every statement and expression printed."""

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None) -> nullcontext[None]:
        return _NO_POSITIONS


class _EndOf:
    """Entered around a watched node's code generation: on exit, notes the token it ends at."""

    __slots__ = ("ends", "key", "tokens")

    def __init__(self, ends: dict[int, int], key: int, tokens: list[str]) -> None:
        self.ends, self.key, self.tokens = ends, key, tokens

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        self.ends[self.key] = len(self.tokens)


@dataclass
class _FitState(_PrintState):
    """A :class:`_PrintState` noting the tokens where each node of ``watch`` (by id) starts
    and ends (its syntactic extent: a line's ends before its trailing comment)."""

    watch: dict[int, object] = field(default_factory=dict)
    starts: dict[int, int] = field(default_factory=dict)
    ends: dict[int, int] = field(default_factory=dict)

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None) -> nullcontext[None] | _EndOf:
        key = id(node)
        if key in self.watch:
            self.starts[key] = len(self.tokens)
            return _EndOf(self.ends, key, self.tokens)
        return _NO_POSITIONS


def _code(node: cst.CSTNode) -> str:
    """``_PRINTER.code_for_node(node)``."""
    state = _PrintState(default_indent=_PRINTER.default_indent, default_newline=_PRINTER.default_newline)
    Printer(state).print(node)
    return "".join(state.tokens)


def _line_code(line: cst.SimpleStatementLine, depth: int) -> str:
    """The text of ``line`` from its statement on, as it prints ``depth`` blocks deep (its
    continuation lines indented to match)."""
    state = _PrintState(default_indent=_PRINTER.default_indent, default_newline=_PRINTER.default_newline)
    state.indent_tokens = [_PRINTER.default_indent] * depth
    Printer(state).print(line.with_changes(leading_lines=()) if line.leading_lines else line)
    return "".join(state.tokens[depth:])  # from after its indentation, a token per level


_EXPR_CASES = (pysrc.NameOp, pysrc.ConstOp, pysrc.OpaqueExprOp, pysrc.AttrOp, pysrc.CallOp, fw.RefOp, fw.CallOp,
               pysrc.BinOp, pysrc.UnaryOp, pysrc.SubscriptOp, pysrc.TupleOp, pysrc.CompOp, hub.HubOp, hub.ApplyOp)
_STMT_CASES = (pysrc.AssignOp, pysrc.AugAssignOp, pysrc.ExprStmtOp, pysrc.ReturnOp, pysrc.OpaqueStmtOp,
               pysrc.ClassOp, pysrc.FuncOp, pysrc.IfOp, pysrc.WithOp, pysrc.ForOp)
_CASE_OF: dict[tuple[type, tuple[type, ...]], type | None] = {}
_CASES_UNKNOWN = object()
_IS_STATEMENT: dict[type, bool] = {}  # op class -> whether it is a statement op


def _case(op: object, cases: tuple[type, ...]) -> type | None:
    """The first of ``cases`` ``op`` is an instance of, asked once per op class: a ``match``
    over class patterns asks ``isinstance`` of each case in turn, and against an op class an
    op is not, that goes through ``ABCMeta.__instancecheck__``. The emitter's ``match``
    statements compare this class with value patterns (``case pysrc.NameOp:``)."""
    key = (type(op), cases)
    found = _CASE_OF.get(key, _CASES_UNKNOWN)
    if found is _CASES_UNKNOWN:
        found = _CASE_OF[key] = next((c for c in cases if isinstance(op, c)), None)
    return found


@dataclass
class PythonEmitter:
    imports: ImportTable
    path: str = "<stdin>"
    report: Report = field(default_factory=Report)
    _unmapped: list[str] = field(default_factory=list)
    _depth: int = 0  # blocks the statement being printed is nested in
    # Rebuilt lines and ``def``s to fit to the line limit, by id, with their indentation:
    # fitted only inside a top-level statement whose printed text has a line that long.
    _to_fit: dict[int, tuple[cst.CSTNode, int]] = field(default_factory=dict)

    # -- expressions -----------------------------------------------------------------
    def dotted(self, api: str) -> cst.BaseExpression:
        return parsed.expression(self.imports.spell(api))

    def args(self, values: list[SSAValue], names: list[str]) -> list[cst.Arg]:
        out = []
        for v, n in zip(values, names, strict=True):
            if n in ("*", "**"):
                out.append(cst.Arg(value=self.expr(v), star=n, **_ARG_WS))
            elif type(v.owner) is pysrc.StarOp:  # a variadic argument given as *seq
                out.append(cst.Arg(value=self.expr(v.owner.value), star="*", **_ARG_WS))
            elif n:
                out.append(cst.Arg(value=self.expr(v), keyword=cst.Name(n), equal=_KEYWORD_EQUAL, **_ARG_WS))
            else:
                out.append(cst.Arg(value=self.expr(v), **_ARG_WS))
        return out

    def expr(self, v: SSAValue) -> cst.BaseExpression:
        op = v.owner
        match _case(op, _EXPR_CASES):  # the op's class among the cases (see _case)
            case pysrc.NameOp:
                return cst.Name(op.id.data)
            case pysrc.ConstOp | pysrc.OpaqueExprOp:
                return parsed.expression(op.code.data)
            case pysrc.AttrOp:
                return cst.Attribute(value=primary(self.expr(op.obj)), attr=cst.Name(op.attr.data))
            case pysrc.CallOp:
                names = [n.data for n in op.arg_names.data]
                return cst.Call(func=primary(self.expr(op.callee)), args=self.args(list(op.args), names), **_CALL_WS)
            case fw.RefOp:
                self.note_unmapped(op)
                return self.dotted(op.api.data)
            case fw.CallOp:
                self.note_unmapped(op)
                names = [n.data for n in op.arg_names.data]
                if op.method is not None:
                    func = cst.Attribute(value=primary(self.expr(op.args[0])), attr=cst.Name(op.method.data))
                    return cst.Call(func=func, args=self.args(list(op.args)[1:], names[1:]), **_CALL_WS)
                return cst.Call(func=self.dotted(op.api.data), args=self.args(list(op.args), names), **_CALL_WS)
            case pysrc.BinOp:
                return binop_node(op.operator.data, self.expr(op.lhs), self.expr(op.rhs))
            case pysrc.UnaryOp:
                return unary_node(op.operator.data, self.expr(op.operand))
            case pysrc.SubscriptOp:
                idx = op.index.owner
                if isinstance(idx, pysrc.OpaqueExprOp):  # source text of an index: slices, several axes
                    text = cst.parse_expression(f"_[{idx.code.data}]")
                    assert isinstance(text, cst.Subscript)
                    return cst.Subscript(value=primary(self.expr(op.value)), slice=text.slice)
                elems = list(idx.elts) if isinstance(idx, pysrc.TupleOp) and idx.kind.data == "tuple" and idx.elts else [op.index]
                sub = [cst.SubscriptElement(slice=self.index(e)) for e in elems]
                return cst.Subscript(value=primary(self.expr(op.value)), slice=sub)
            case pysrc.TupleOp:
                if op.kind.data == "dict":
                    vals = [self.expr(e) for e in op.elts]
                    return cst.Dict([cst.DictElement(k, v) for k, v in zip(vals[::2], vals[1::2])])
                elts = [cst.StarredElement(self.expr(e.owner.value)) if isinstance(e.owner, pysrc.StarOp)
                        else cst.Element(self.expr(e)) for e in op.elts]
                if op.kind.data == "list":
                    return cst.List(elts)
                if op.kind.data == "set":
                    return cst.Set(elts)
                if len(elts) == 1:
                    elts = [elts[0].with_changes(comma=cst.Comma())]
                return cst.Tuple(elts)
            case pysrc.CompOp:
                last = op.body.block.last_op
                assert isinstance(last, pysrc.YieldOp)
                target = parsed.expression(op.target.data)
                comp = cst.CompFor(target=target, iter=self.expr(op.iter))
                if op.kind.data == "list":
                    return cst.ListComp(elt=self.expr(last.value), for_in=comp)
                return cst.GeneratorExp(elt=self.expr(last.value), for_in=comp)
            case hub.HubOp | hub.ApplyOp:
                raise ValueError(f"{self.path}: hub op {op.name} reached the Python backend; "
                                 "run lower-hub-to-fw first")
        raise ValueError(f"{self.path}: cannot print {op.name if isinstance(op, Operation) else v} as Python")

    def whole(self, v: SSAValue) -> cst.BaseExpression:
        """``v`` as a statement's whole value (``return``, ``=``, ``for ... in``): a tuple the
        source wrote bare prints bare; anywhere else tuples keep their parentheses."""
        node = self.expr(v)
        if type(v.owner) is pysrc.TupleOp and v.owner.bare is not None and type(node) is cst.Tuple:
            return node.with_changes(lpar=[], rpar=[])
        return node

    def index(self, v: SSAValue) -> cst.BaseSlice:
        op = v.owner
        if not isinstance(op, pysrc.SliceOp):
            return cst.Index(self.expr(v))
        vals = iter(op.bounds)
        parts = [self.expr(next(vals)) if bit == "1" else None for bit in op.parts.data]
        return cst.Slice(lower=parts[0], upper=parts[1], step=parts[2])

    def note_unmapped(self, op: fw.CallOp | fw.RefOp) -> None:
        if op.unmapped is None:
            return
        self._unmapped.append(op.api.data)
        self.report.add(self.path, op.loc.data if op.loc else None, "warning",
                        f"unmapped {op.unmapped.data}")

    # -- statements ------------------------------------------------------------------
    def block(self, block: Block | None) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        # The block's linked list read directly (xDSL's iterator is a call per op), and the
        # expression ops, most of a block, passed over by their class: they are printed
        # where their statement uses them.
        op = block._first_op if block else None  # pyright: ignore[reportPrivateUsage]
        while op is not None:
            kind = type(op)
            is_statement = _IS_STATEMENT.get(kind)
            if is_statement is None:
                is_statement = _IS_STATEMENT[kind] = issubclass(kind, pysrc._Statement)
            if is_statement and (stmt := self.statement(op)) is not None:
                out.append(stmt)
            op = op._next_op  # pyright: ignore[reportPrivateUsage]
        return out

    def indented(self, block: Block | None, footer=None) -> cst.IndentedBlock:
        self._depth += 1
        try:
            body = self.block(block) or [cst.SimpleStatementLine([cst.Pass()])]
        finally:
            self._depth -= 1
        return cst.IndentedBlock(body=body, footer=decode_lines(footer))

    def simple(self, op: Operation, small: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
        # The line is fitted with the source's comment; the ``# swc: unmapped`` mark stays on
        # the line of the call it marks, however long that makes it.
        trailing = decode_comment(op.trailing)
        line = cst.SimpleStatementLine(body=[small], leading_lines=decode_lines(op.leading),
                                       trailing_whitespace=trailing)
        if not self._unmapped:
            self._to_fit[id(line)] = (line, self._depth * INDENT)
            return line
        for api in dict.fromkeys(self._unmapped):  # once per API, however often kept
            trailing = with_comment(trailing, f"# swc: unmapped {api}")
        self._unmapped = []
        return line.with_changes(trailing_whitespace=trailing)

    def text(self, s: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.imports.spell(m.group(1)), s)

    def statement(self, op: Operation) -> cst.BaseStatement | None:
        kind = type(op)
        is_statement = _IS_STATEMENT.get(kind)
        if is_statement is None:
            is_statement = _IS_STATEMENT[kind] = issubclass(kind, pysrc._Statement)
        if not is_statement:
            return None  # expression ops are printed where they are used
        self._unmapped = []
        match _case(op, _STMT_CASES):
            case pysrc.AssignOp:
                value = self.whole(op.value)
                target = parsed.expression(op.target.data)
                if op.annotation is not None:
                    ann = cst.Annotation(parsed.expression(self.text(op.annotation.data)))
                    return self.simple(op, cst.AnnAssign(target=target, annotation=ann, value=value))
                assign_to = cst.AssignTarget(target, whitespace_before_equal=_SPACE, whitespace_after_equal=_SPACE)
                return self.simple(op, cst.Assign(targets=[assign_to], value=value))
            case pysrc.AugAssignOp:
                stmt = parsed.statement(f"{op.target.data} {op.operator.data} 0").body[0]
                return self.simple(op, stmt.with_changes(value=self.whole(op.value)))
            case pysrc.ExprStmtOp:
                return self.simple(op, cst.Expr(self.whole(op.value)))
            case pysrc.ReturnOp:
                return self.simple(op, cst.Return(self.whole(op.value[0]) if op.value else None))
            case pysrc.OpaqueStmtOp:
                return self.opaque(op)
            case pysrc.ClassOp:
                return self.class_def(op)
            case pysrc.FuncOp:
                return self.func_def(op)
            case pysrc.IfOp:
                return self.if_stmt(op)
            case pysrc.WithOp:
                items = [
                    cst.WithItem(self.expr(v), asname=cst.AsName(cst.Name(n.data)) if n.data else None)
                    for v, n in zip(op.items, op.as_names.data, strict=True)
                ]
                header = decode_comment(op.trailing)
                for api in dict.fromkeys(self._unmapped):  # a kept context is marked on its line
                    header = with_comment(header, f"# swc: unmapped {api}")
                body = self.indented(op.body.block, op.footer).with_changes(header=header)
                return cst.With(items=items, body=body, leading_lines=decode_lines(op.leading))
            case pysrc.ForOp:
                node = parsed.statement(f"for {op.target.data} in _:\n    pass\n")
                return node.with_changes(iter=self.whole(op.iter), body=self.indented(op.body.block, op.footer),
                                         leading_lines=decode_lines(op.leading))
        return None

    def opaque(self, op: pysrc.OpaqueStmtOp) -> cst.BaseStatement:
        node = parsed.statement(op.code.data + "\n")
        if isinstance(node, cst.SimpleStatementLine):
            return node.with_changes(leading_lines=decode_lines(op.leading),
                                     trailing_whitespace=decode_comment(op.trailing))
        return node.with_changes(leading_lines=decode_lines(op.leading))

    def class_def(self, op: pysrc.ClassOp) -> cst.ClassDef:
        bases = [cst.Arg(self.expr(b)) for b in op.bases]
        trailing = decode_comment(op.trailing)
        for api in dict.fromkeys(self._unmapped):  # once per API, however often kept
            trailing = with_comment(trailing, f"# swc: unmapped {api}")
        body = self.indented(op.body.block, op.footer).with_changes(header=trailing)
        decorators = [cst.Decorator(parsed.expression(d.data)) for d in (op.decorators.data if op.decorators else [])]
        return cst.ClassDef(name=cst.Name(op.sym_name.data), body=body, bases=bases,
                            decorators=decorators, leading_lines=decode_lines(op.leading),
                            lpar=cst.LeftParen() if bases else cst.MaybeSentinel.DEFAULT,
                            rpar=cst.RightParen() if bases else cst.MaybeSentinel.DEFAULT)

    def func_def(self, op: pysrc.FuncOp) -> cst.FunctionDef:
        params = ", ".join(self.text(p.data) for p in op.params.data)
        returns = f" -> {self.text(op.returns.data)}" if op.returns else ""
        # parsed once per signature: methods share theirs (``(self, x)``), only the name differs
        node = parsed.statement(f"def f({params}){returns}:\n    pass\n")
        assert isinstance(node, cst.FunctionDef)
        node = node.with_changes(name=cst.Name(op.sym_name.data))
        decorators = [cst.Decorator(parsed.expression(self.text(d.data))) for d in (op.decorators.data if op.decorators else [])]
        body = self.indented(op.body.block, op.footer).with_changes(header=decode_comment(op.trailing))
        node = node.with_changes(body=body, decorators=decorators, leading_lines=decode_lines(op.leading))
        self._to_fit[id(node)] = (node, self._depth * INDENT)
        return node

    def if_stmt(self, op: pysrc.IfOp) -> cst.If:
        test = self.expr(op.cond)
        body = self.indented(op.then.block, op.footer).with_changes(header=decode_comment(op.trailing))
        orelse = None
        blocks = op.orelse.blocks
        if blocks:
            ops = list(blocks[0].ops)
            inner = [o for o in ops if isinstance(o, pysrc._Statement)]
            if len(inner) == 1 and isinstance(inner[0], pysrc.IfOp) and inner[0].is_elif is not None:
                orelse = self.if_stmt(inner[0])
            else:
                orelse = cst.Else(body=self.indented(blocks[0]), leading_lines=decode_lines(op.else_leading))
        return cst.If(test=test, body=body, orelse=orelse, leading_lines=decode_lines(op.leading))

    # -- module ----------------------------------------------------------------------
    def module(self, top: pysrc.ModuleOp) -> cst.Module:
        module = self._unfixed(top)
        return self.fix_imports(module.with_changes(body=[self._fitted(s)[0] for s in module.body]))

    def code(self, top: pysrc.ModuleOp) -> str:
        """``self.module(top).code``, printing each top-level statement once (twice when it
        has a line to split): the names the output uses are read from the same text the
        statements that stay are printed with."""
        module = self._unfixed(top)
        texts = {}
        body = []
        for stmt in module.body:
            stmt, texts[id(stmt)] = self._fitted(stmt, splice=True)
            body.append(stmt)
        module = module.with_changes(body=body)
        imports = [s for s in module.body if _is_import_line(s)]
        pieces = [texts[id(s)] for s in module.body if not _is_import_line(s)]
        asked = asked_names((small for line in imports for small in line.body), self.imports)
        fixed = self.fix_imports(module, used_names("".join(texts.values()), asked, "".join(pieces), pieces))
        parts = [_code(line) for line in fixed.header]
        parts += [texts.get(id(s)) or _code(s) for s in fixed.body]
        parts += [_code(line) for line in fixed.footer]
        return "".join(parts) or "\n"  # what Module.code gives: a newline for an empty file

    def _fitted(self, stmt: cst.BaseStatement, splice: bool = False) -> tuple[cst.BaseStatement, str]:
        """``stmt`` and its text, with the rebuilt lines and ``def`` headers longer than the
        line limit split (``layout.py``). Printed once, noting where the lines and ``def``s
        the emitter rebuilt start; a line the layout would split prints at least
        ``LINE_LENGTH - 1`` columns (a trailing comment counts two columns of space), so only
        those starting on a line that long are fitted, and the statement printed again. With
        ``splice``, a statement where only simple lines split keeps its tree (the text is
        what counts) and gets their new text in place of their old, without that print."""
        state = _FitState(default_indent=_PRINTER.default_indent, default_newline=_PRINTER.default_newline,
                          watch=self._to_fit)
        Printer(state, state.starts, state.ends, state.watch).print(stmt)
        text = "".join(state.tokens)
        if not state.starts or all(len(line) < LINE_LENGTH - 1 for line in text.split("\n")):
            return stmt, text
        offsets = list(accumulate(map(len, state.tokens), initial=0))
        breaks = [m.end() for m in re.finditer("\n", text)]
        lines = text.split("\n")
        hits = {key for key, tok in state.starts.items()
                if len(lines[bisect_right(breaks, offsets[tok])]) >= LINE_LENGTH - 1}
        if not hits:
            return stmt, text
        if not splice or any(not isinstance(self._to_fit[key][0], cst.SimpleStatementLine) for key in hits):
            stmt = self._refit(stmt, hits)
            return stmt, _code(stmt)
        # Only lines to split: each fitted line's text replaces the one line it printed as,
        # from the last so the offsets before it hold; the tree is left as it was.
        for key in sorted(hits, key=state.starts.__getitem__, reverse=True):
            line, indent = self._to_fit[key]
            start = offsets[state.starts[key]]
            # to the newline ending what the line printed (past its trailing comment): a
            # triple-quoted string inside it spans more than one
            end = text.index("\n", offsets[state.ends[key]]) + 1
            text = text[:start] + _line_code(fit_statement(line, indent, _code), indent // INDENT) + text[end:]
        return stmt, text

    def _refit(self, node: cst.CSTNode, hits: set[int]) -> cst.CSTNode:
        """``node`` with the lines and ``def``s in ``hits`` (ids, noted in ``_to_fit``) fitted."""
        if isinstance(node, cst.SimpleStatementLine):
            return fit_statement(node, self._to_fit[id(node)][1], _code) if id(node) in hits else node
        changes: dict[str, object] = {}
        body = getattr(node, "body", None)
        if isinstance(body, cst.IndentedBlock):
            inner = [self._refit(s, hits) for s in body.body]
            if any(a is not b for a, b in zip(inner, body.body, strict=True)):
                changes["body"] = body.with_changes(body=inner)
        orelse = getattr(node, "orelse", None)
        if isinstance(orelse, (cst.If, cst.Else)) and (new := self._refit(orelse, hits)) is not orelse:
            changes["orelse"] = new
        out = node.with_changes(**changes) if changes else node
        if isinstance(node, cst.FunctionDef) and id(node) in hits:
            out = fit_def(out, self._to_fit[id(node)][1], _code)
        return out

    def _unfixed(self, top: pysrc.ModuleOp) -> cst.Module:
        for op in top.body.block.ops:
            if isinstance(op, pysrc.OpaqueStmtOp) and op.kind is not None and op.kind.data == "import":
                for small in parsed.statement(op.code.data + "\n").body:
                    self.imports.note_import(small)
        body = self.block(top.body.block)
        return cst.Module(body=body, header=decode_lines(top.header, indent=False),
                          footer=decode_lines(top.footer, indent=False))

    def fix_imports(self, module: cst.Module, used: set[str] | None = None) -> cst.Module:
        """Drop unused framework imports and add the target's, in the file's import block.
        ``used``: the names the module uses, when already known."""
        if used is None:
            used = used_names(module.code)
        if used is None:  # code ``ast`` cannot read (newer syntax): LibCST's visitor
            visitor = UsedNames()
            module.visit(visitor)
            used = visitor.names
        body: list[cst.BaseStatement] = []
        block_at, block_lead, last_import = -1, (), -1
        for stmt in module.body:
            if _is_import_line(stmt):
                if block_at < 0:
                    block_at, block_lead = len(body), stmt.leading_lines
                kept = [k for s in stmt.body if (k := prune_import(s, self.imports, used)) is not None]
                if kept:
                    body.append(stmt.with_changes(body=kept, leading_lines=[] if len(body) == block_at else stmt.leading_lines))
                    last_import = len(body) - 1
                continue
            body.append(stmt)
        new = self.imports.new_import_statements(used)
        if block_at < 0:
            at = self._after_docstring(body)
            block_at, block_lead = at, [cst.EmptyLine(indent=False)] if at else []
        else:
            at = last_import + 1 if last_import >= block_at else block_at
        body[at:at] = new
        if block_at < len(body):
            body[block_at] = body[block_at].with_changes(leading_lines=block_lead)
        return module.with_changes(body=body)

    @staticmethod
    def _after_docstring(body: list[cst.BaseStatement]) -> int:
        if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr) \
                and isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
            return 1
        return 0


def _is_import_line(stmt: cst.BaseStatement) -> bool:
    """A line of the file's import block: imports only."""
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)


def emit_python(module: builtin.ModuleOp, frameworks: list[str], path: str = "<stdin>",
                report: Report | None = None) -> str:
    """Print the ``pysrc.module`` inside ``module`` as Python source."""
    tops = [op for op in module.ops if isinstance(op, pysrc.ModuleOp)]
    if len(tops) != 1:
        raise ValueError(f"{path}: expected exactly one pysrc.module, found {len(tops)}")
    if path == "<stdin>" and tops[0].path is not None:
        path = tops[0].path.data  # diagnostics name the file the frontend read
    emitter = PythonEmitter(ImportTable.for_target(frameworks), path, report or Report())
    for d in tops[0].diagnostics.data if tops[0].diagnostics else ():
        loc, severity, message = d.data.split("\t", 2)
        emitter.report.add(path, loc, severity, message)
    return emitter.code(tops[0])
