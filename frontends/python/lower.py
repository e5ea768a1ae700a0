"""The Python frontend: LibCST module -> ``pysrc`` structure with ``fw`` ops inside.

Classes, functions, assignments, returns and control flow become ops (so passes can add a
parameter or rename ``forward``); every framework reference becomes an ``fw`` op; Python
that needs no conversion stays an opaque op holding its exact source text.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, Region

from switcheroo.diagnostics import fail
from switcheroo.dialects import pysrc
from switcheroo.dialects.pysrc import string, strs
from switcheroo.frontends.python.exprs import LAYER, OBJ, TENSOR, ExprLowering, Scope
from switcheroo.frontends.python.own_scaffolds import own_scaffolds as find_own_scaffolds
from switcheroo.frontends.python.trivia import encode_comment, encode_lines
from switcheroo.ontology.loader import load_ontology

TENSOR_ANNOTATION = "{{Tensor}}"
MODULE_ANNOTATION = "{{Module}}"


def registered_state(node: cst.ClassDef, methods: set[str]) -> list[str]:
    """Names a class registers as state through ``self.<method>("name", ...)``."""
    names: list[str] = []

    class Visit(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            func = call.func
            if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self"
                    and func.attr.value in methods and call.args and isinstance(call.args[0].value, cst.SimpleString)):
                value = call.args[0].value.evaluated_value
                if isinstance(value, str):
                    names.append(value)

    node.visit(Visit())
    return names


def _prefix_table() -> dict[str, str]:
    """Module prefix -> framework key, from the ontology's framework traits."""
    return {p: key for key, traits in load_ontology().traits.items() for p in traits.source_prefixes}


class StatementLowering(ExprLowering):
    """Walks statements; expressions are lowered by :class:`ExprLowering`."""

    def __init__(self, module: cst.Module, metadata: dict, framework: str):
        super().__init__(module, metadata, _prefix_table(), framework)
        self.tensor_types = {t.tensor_type for t in load_ontology().traits.values() if t.tensor_type}
        self.module_bases = {t.module_base for t in load_ontology().traits.values() if t.module_base}

    def trivia(self, node: cst.CSTNode, props: dict) -> dict:
        lead = getattr(node, "leading_lines", ())
        if (type(node) is cst.FunctionDef or type(node) is cst.ClassDef) and node.decorators:
            lead = node.leading_lines
        if (enc := encode_lines(lead)) is not None:
            props["leading"] = enc
        trailing = getattr(node, "trailing_whitespace", None)
        body = getattr(node, "body", None)
        if type(body) is cst.IndentedBlock:
            trailing = body.header
            if (foot := encode_lines(body.footer)) is not None:
                props["footer"] = foot
        if (com := encode_comment(trailing)) is not None:
            props["trailing"] = com
        return props

    def body(self, stmts: Sequence[cst.BaseStatement]) -> Region:
        outer = self.block
        self.block = Block()
        for s in stmts:
            self.statement(s)
        block, self.block = self.block, outer
        return Region(block)

    def suite(self, suite: cst.BaseSuite) -> Region:
        if isinstance(suite, cst.IndentedBlock):
            return self.body(suite.body)
        self.at = self.names.ordinals.get(suite, self.at)
        return self.body([cst.SimpleStatementLine(body=suite.body)])

    def opaque_stmt(self, node: cst.BaseStatement, kind: str | None = None) -> None:
        """Keep a statement verbatim; its own leading lines and trailing comment are trivia."""
        props = self.trivia(node, {"loc": self.loc(node)}) if isinstance(node, cst.SimpleStatementLine) \
            else {"loc": self.loc(node)}
        if not isinstance(node, cst.SimpleStatementLine) and (enc := encode_lines(node.leading_lines)):
            props["leading"] = enc
        bare = node.with_changes(leading_lines=[])
        if isinstance(bare, cst.SimpleStatementLine):
            bare = bare.with_changes(trailing_whitespace=cst.TrailingWhitespace())
        props["code"] = string(self.code(bare).strip("\n"))
        if kind:
            props["kind"] = string(kind)
        self.block.add_op(pysrc.OpaqueStmtOp.create(properties=props))

    # -- statements ------------------------------------------------------------------
    def statement(self, node: cst.BaseStatement) -> None:
        self.at = self.names.ordinals.get(node, self.at)
        match node:
            case cst.SimpleStatementLine(body=[small]):
                self.small(node, small)
            case cst.ClassDef() | cst.FunctionDef() if node.name.value in self.own and \
                    self.name_scope is self.names.global_scope:
                return  # switcheroo's own scaffold: its calls raise to the layer it stands for
            case cst.ClassDef():
                self.class_def(node)
            case cst.FunctionDef():
                self.func_def(node)
            case cst.If():
                self.if_stmt(node)
            case cst.For(asynchronous=None, orelse=None):
                it = self.lower(node.iter)
                if it in self.tensor_seqs:
                    self.note_assign(node.target, TENSOR)  # for p in jnp.split(x, 3): tensors
                props = self.trivia(node, {"target": string(self.code(node.target))})
                self.block.add_op(pysrc.ForOp.create(operands=[it], properties=props, regions=[self.suite(node.body)]))
            case cst.With(asynchronous=None) if all(i.asname is None or isinstance(i.asname.name, cst.Name) for i in node.items):
                vals = [self.lower(i.item) for i in node.items]
                names = [i.asname.name.value if i.asname else "" for i in node.items]
                props = self.trivia(node, {"as_names": strs(names)})
                self.block.add_op(pysrc.WithOp.create(operands=vals, properties=props, regions=[self.suite(node.body)]))
            case _:
                self.opaque_stmt(node)

    def small(self, line: cst.SimpleStatementLine, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Expr, cst.Return)):
            # A statement rebuilt from its ops loses the comments inside its expression
            # (``[  # t, c, n, s`` in a list display): they go on the lines before it.
            span = self.source.span(node)  # no ``#`` in its text: no comment to look for
            inner = _inner_comments(node) if span is None or "#" in span else []
            if inner:
                line = line.with_changes(leading_lines=[*line.leading_lines, *inner])
        props = self.trivia(line, {"loc": self.loc(node)})
        match node:
            case cst.Assign(targets=[cst.AssignTarget(target=t)], value=v):
                val = self.lower(v)
                self.note_assign(t, val.type, val in self.tensor_seqs)
                props["target"] = string(self.code(t))
                self.block.add_op(pysrc.AssignOp.create(operands=[val], properties=props))
            case cst.AnnAssign(target=t, annotation=ann, value=v) if v is not None:
                val = self.lower(v)
                self.note_assign(t, val.type)
                props["target"] = string(self.code(t))
                props["annotation"] = string(self.annotation(ann))
                self.block.add_op(pysrc.AssignOp.create(operands=[val], properties=props))
            case cst.AugAssign(target=t, operator=op, value=v):
                val = self.lower(v)
                props["target"] = string(self.code(t))
                props["operator"] = string(self.code(op).strip())
                self.block.add_op(pysrc.AugAssignOp.create(operands=[val], properties=props))
            case cst.Expr(value=v) if not isinstance(v, (cst.SimpleString, cst.ConcatenatedString)):
                val = self.lower(v)
                self.block.add_op(pysrc.ExprStmtOp.create(operands=[val], properties=props))
            case cst.Return(value=v):
                vals = [] if v is None else [self.lower(v)]
                self.block.add_op(pysrc.ReturnOp.create(operands=vals, properties=props))
            case cst.Import() | cst.ImportFrom():
                self.opaque_stmt(line, kind="import")
            case _:
                self.opaque_stmt(line)

    def note_assign(self, target: cst.BaseExpression, t, seq: bool = False) -> None:
        """What ``target = <value of type t>`` binds; ``seq``: the value is a tuple or list
        of tensors (``jnp.split(x, 2)``)."""
        if isinstance(target, (cst.Tuple, cst.List)):
            # q, k, v = qkv.chunk(3) / out, _ = self.lstm(x): unpacking a tensor result gives tensors.
            for e in target.elements:
                self.note_assign(e.value, TENSOR if t == TENSOR or seq else OBJ)
            return
        if isinstance(target, cst.Name):
            self.scope.names[target.value] = t
            if seq:
                self.scope.seqs.add(target.value)
            else:
                self.scope.seqs.discard(target.value)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
            if t in (LAYER, TENSOR):
                self.scope.self_attrs[target.attr.value] = t

    def annotation(self, ann: cst.Annotation) -> str:
        return self.annotation_text(ann.annotation)

    def annotation_text(self, node: cst.BaseExpression) -> str:
        """The annotation's text with framework types as placeholders the target fills:
        ``torch.Tensor`` -> ``{{Tensor}}``, a module or layer class (``nn.Module``,
        ``nn.Sequential``, inside ``list[...]`` or ``Optional[...]`` too) -> ``{{Module}}``."""
        hit = self.resolve(node)
        if hit is not None:
            if hit[1] in self.tensor_types:
                return TENSOR_ANNOTATION
            if hit[1] in self.module_bases or self.result_kind(*hit) == LAYER:
                return MODULE_ANNOTATION
            return self.code(node)
        if isinstance(node, cst.Subscript) and not node.lpar and all(
                isinstance(e.slice, cst.Index) and not e.slice.star for e in node.slice):
            inner = ", ".join(self.annotation_text(e.slice.value) for e in node.slice)
            return f"{self.annotation_text(node.value)}[{inner}]"
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr) and not node.lpar:
            return f"{self.annotation_text(node.left)} | {self.annotation_text(node.right)}"
        return self.code(node)

    def class_def(self, node: cst.ClassDef) -> None:
        bases = [self.lower(a.value) for a in node.bases]
        props = self.trivia(node, {"sym_name": string(node.name.value), "loc": self.loc(node)})
        if node.decorators:
            props["decorators"] = strs([self.code(d.decorator) for d in node.decorators])
        saved, outer_names, outer_at = self.scope, self.name_scope, self.at
        self.scope = Scope(self_attrs=self.prescan_self_attrs(node))
        self.name_scope = self.names.scopes[node]
        region = self.suite(node.body)
        self.scope, self.name_scope, self.at = saved, outer_names, outer_at
        self.block.add_op(pysrc.ClassOp.create(operands=bases, properties=props, regions=[region]))

    def prescan_self_attrs(self, node: cst.ClassDef) -> dict:
        """``self.x = <layer constructor>`` anywhere in the class marks ``self.x`` a layer,
        ``self.x = nn.Parameter(...)`` and ``self.register_buffer("x", ...)`` a tensor."""
        found: dict = {}
        outer = self.name_scope, self.at
        for attr, func, self.name_scope, self.at in self.names.self_assigns[node]:
            hit = self.resolve(func)
            kind = self.result_kind(*hit) if hit else None
            if kind == LAYER or (kind == TENSOR and found.get(attr) != LAYER):
                found[attr] = kind
        self.name_scope, self.at = outer
        traits = load_ontology().traits.get(self.framework)
        methods = set(traits.state_methods) if traits is not None else set()
        text = self.source.span(node) if methods else None  # a visit per class costs ~1 ms
        if methods and (text is None or any(m in text for m in methods)):
            for attr in registered_state(node, methods):
                found.setdefault(attr, TENSOR)
        return found

    def func_def(self, node: cst.FunctionDef) -> None:
        params, names = self.params(node.params)
        props = self.trivia(node, {
            "sym_name": string(node.name.value), "params": strs(params),
            "param_names": strs(names), "loc": self.loc(node)})
        if node.returns is not None:
            props["returns"] = string(self.annotation(node.returns))
        if node.decorators:
            props["decorators"] = strs([self.code(d.decorator) for d in node.decorators])
        saved, outer_names, outer_at = self.scope, self.name_scope, self.at
        self.scope = Scope(dict(saved.names), saved.self_attrs, set(saved.seqs))
        for p in self.all_params(node.params):
            ann = self.annotation(p.annotation) if p.annotation else None
            # A module's forward inputs are tensors; annotated tensors are tensors.
            is_input = node.name.value in ("forward", "__call__", "call") and p.name.value != "self" and p.default is None
            if ann == TENSOR_ANNOTATION or (is_input and ann is None):
                self.scope.names[p.name.value] = TENSOR
            else:
                self.scope.names.pop(p.name.value, None)
            self.scope.seqs.discard(p.name.value)
        self.name_scope = self.names.scopes[node]
        region = self.suite(node.body)
        self.scope, self.name_scope, self.at = saved, outer_names, outer_at
        self.block.add_op(pysrc.FuncOp.create(properties=props, regions=[region]))

    @staticmethod
    def all_params(p: cst.Parameters) -> list[cst.Param]:
        out = [*p.posonly_params, *p.params, *p.kwonly_params]
        if isinstance(p.star_arg, cst.Param):
            out.append(p.star_arg)
        if p.star_kwarg:
            out.append(p.star_kwarg)
        return out

    def params(self, p: cst.Parameters) -> tuple[list[str], list[str]]:
        texts: list[str] = []
        names: list[str] = []

        def one(param: cst.Param, star: str = "") -> None:
            text = star + param.name.value
            if param.annotation is not None:
                text += ": " + self.annotation(param.annotation)
            if param.default is not None:
                text += ("=" if param.annotation is None else " = ") + self.code(param.default)
            texts.append(text)
            names.append(param.name.value)

        for q in p.posonly_params:
            one(q)
        if p.posonly_params:
            texts.append("/")
            names.append("/")
        for q in p.params:
            one(q)
        if isinstance(p.star_arg, cst.Param):
            one(p.star_arg, "*")
        elif p.kwonly_params:
            texts.append("*")
            names.append("*")
        for q in p.kwonly_params:
            one(q)
        if p.star_kwarg:
            one(p.star_kwarg, "**")
        return texts, names

    def if_stmt(self, node: cst.If, is_elif: bool = False) -> None:
        cond = self.lower(node.test)
        props = self.trivia(node, {"loc": self.loc(node)})
        if is_elif:
            props["is_elif"] = string("1")
        then = self.suite(node.body)
        orelse = Region()
        if isinstance(node.orelse, cst.If):
            outer = self.block
            self.block = Block()
            self.at = self.names.ordinals.get(node.orelse, self.at)
            self.if_stmt(node.orelse, is_elif=True)
            orelse = Region(self.block)
            self.block = outer
        elif isinstance(node.orelse, cst.Else):
            if (enc := encode_lines(node.orelse.leading_lines)) is not None:
                props["else_leading"] = enc
            orelse = self.suite(node.orelse.body)
        self.block.add_op(pysrc.IfOp.create(operands=[cond], properties=props, regions=[then, orelse]))


class _Comments(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.EmptyLine] = []

    def visit_Comment(self, node: cst.Comment) -> None:
        self.found.append(cst.EmptyLine(comment=node))


def _inner_comments(node: cst.CSTNode) -> list[cst.EmptyLine]:
    """The comments inside a small statement, as lines of their own."""
    visitor = _Comments()
    node.visit(visitor)
    return visitor.found


def _unchecked(self: cst.CSTNode) -> None:
    return None


def _parse(text: str, path: str) -> cst.Module:
    """LibCST's module for ``text``, its nodes built without their ``_validate`` checks:
    the native parser builds only nodes that hold them (LibCST's own note on
    ``CSTNode.__post_init__``), and running them is an eighth of the parse. The nodes
    the converter builds later are checked as usual."""
    checked = cst.CSTNode.__post_init__
    cst.CSTNode.__post_init__ = _unchecked  # type: ignore[method-assign]
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as e:
        fail(f"{path}:{e.raw_line}:{e.raw_column + 1}: error: invalid Python: {e.message}")
    finally:
        cst.CSTNode.__post_init__ = checked  # type: ignore[method-assign]


def lower_python(text: str, path: str = "<stdin>", framework: str = "torch", own_scaffolds: bool = True) -> ModuleOp:
    """Parse Python source and lower it to a builtin module holding one ``pysrc.module``.
    With ``own_scaffolds``, switcheroo's scaffold classes of ``framework`` in the module
    stand for their layers (``own_scaffolds.py``); a template itself is read without."""
    module = _parse(text, path)
    metadata = {dep: dep(module) for dep in StatementLowering.METADATA_DEPENDENCIES}
    lowering = StatementLowering(module, metadata, framework)
    if own_scaffolds:
        lowering.own = find_own_scaffolds(module, framework)
    region = lowering.body(module.body)
    props: dict = {"path": string(path)}
    if (h := encode_lines(module.header)) is not None:
        props["header"] = h
    if (f := encode_lines(module.footer)) is not None:
        props["footer"] = f
    top: Operation = pysrc.ModuleOp.create(properties=props, regions=[region])
    return ModuleOp([top])
