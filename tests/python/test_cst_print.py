"""``cst_print`` prints what LibCST prints: the same tokens and syntactic positions for
parsed files, and the same text for trees built with LibCST's defaults (as the emitter
builds them)."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst._nodes.internal import CodegenState
from switcheroo.backends.python.emit import _FitState
from switcheroo.frontends.python.cst_print import Printer
from switcheroo.frontends.python.source_map import _StartState

ROOT = Path(__file__).resolve().parents[2]
# every Python file of the repository: models, tests, the converter itself
FILES = sorted(p for p in ROOT.rglob("*.py") if ".git" not in p.parts and "node_modules" not in p.parts)


def _both(module: cst.Module) -> tuple[_StartState, _StartState]:
    lib = _StartState(default_indent=module.default_indent, default_newline=module.default_newline)
    module._codegen(lib)
    ours = _StartState(default_indent=module.default_indent, default_newline=module.default_newline)
    Printer(ours, ours.starts, ours.ends).print(module)
    return lib, ours


def test_repository_files_print_token_for_token() -> None:
    checked = 0
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue  # a deliberately broken input of a test
        lib, ours = _both(module)
        assert ours.tokens == lib.tokens, path
        assert ours.starts == lib.starts, path
        assert ours.ends == lib.ends, path
        plain = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
        Printer(plain).print(module)
        assert "".join(plain.tokens) == text, path
        checked += 1
    assert checked > 100


def test_watched_positions_only() -> None:
    module = cst.parse_module("def f(a, *, b=1):\n    return a + b  # sum\n")
    ret = module.body[0].body.body[0]
    lib, _ = _both(module)
    state = _FitState(default_indent="    ", default_newline="\n", watch={id(ret): None})
    Printer(state, state.starts, state.ends, state.watch).print(module)
    assert state.starts == {id(ret): lib.starts[id(ret)]}
    assert state.ends == {id(ret): lib.ends[id(ret)]}


def _name(s: str) -> cst.Name:
    return cst.Name(s)


BUILT = [
    cst.Call(_name("f"), [cst.Arg(_name("x")), cst.Arg(cst.Integer("1"), keyword=_name("k"))]),
    cst.Call(cst.Attribute(_name("nnx"), _name("Linear")), [cst.Arg(_name("a"), star="*")]),
    cst.Tuple([cst.Element(_name("a"))]),
    cst.Tuple([cst.Element(_name("a")), cst.Element(_name("b"))], lpar=[], rpar=[]),
    cst.List([cst.Element(_name("a")), cst.StarredElement(_name("b"))]),
    cst.Subscript(_name("x"), [cst.SubscriptElement(cst.Index(cst.Integer("0"))),
                               cst.SubscriptElement(cst.Slice(None, cst.Integer("2")))]),
    cst.BinaryOperation(_name("a"), cst.Add(), cst.UnaryOperation(cst.Minus(), _name("b")),
                        lpar=[cst.LeftParen()], rpar=[cst.RightParen()]),
    cst.Comparison(_name("a"), [cst.ComparisonTarget(cst.NotEqual(), _name("b")),
                                cst.ComparisonTarget(cst.IsNot(), cst.Name("None"))]),
    cst.BooleanOperation(_name("a"), cst.And(), _name("b")),
    cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(_name("y"))], _name("x")),
                             cst.Expr(_name("y")), cst.Return(_name("y"))]),
    cst.SimpleStatementLine([cst.Return(), cst.Pass()]),
    cst.SimpleStatementLine([cst.AugAssign(_name("x"), cst.AddAssign(), cst.Integer("1"))]),
    cst.SimpleStatementLine([]),
    cst.Assign([cst.AssignTarget(_name("y"))], _name("x")),
    cst.FunctionDef(
        _name("f"),
        cst.Parameters(
            params=[cst.Param(_name("self")), cst.Param(_name("x"), cst.Annotation(_name("int")), default=cst.Integer("1"))],
            star_arg=cst.ParamStar(),
            kwonly_params=[cst.Param(_name("rngs"), cst.Annotation(cst.Attribute(_name("nnx"), _name("Rngs"))))],
        ),
        cst.IndentedBlock([cst.SimpleStatementLine([cst.Return(_name("x"))])]),
        returns=cst.Annotation(_name("int")),
        decorators=[cst.Decorator(_name("staticmethod"))],
        leading_lines=[cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment("# c"))],
    ),
    cst.FunctionDef(_name("g"), cst.Parameters(posonly_params=[cst.Param(_name("a"))],
                                              star_arg=cst.Param(_name("args")),
                                              star_kwarg=cst.Param(_name("kw"))),
                    cst.IndentedBlock([])),
    cst.ClassDef(_name("A"), cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])]),
                 bases=[cst.Arg(cst.Attribute(_name("nn"), _name("Module")))]),
    cst.ClassDef(_name("B"), cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])])),
    cst.If(_name("a"), cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])]),
           orelse=cst.If(_name("b"), cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])]),
                         orelse=cst.Else(cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])])))),
    cst.For(_name("x"), _name("xs"), cst.IndentedBlock([cst.SimpleStatementLine([cst.Expr(_name("x"))])])),
]


@pytest.mark.parametrize("node", BUILT, ids=lambda n: type(n).__name__)
def test_built_nodes_print_as_libcst_prints_them(node: cst.CSTNode) -> None:
    expected = cst.Module(body=[]).code_for_node(node)
    state = CodegenState(default_indent="    ", default_newline="\n")
    Printer(state).print(node)
    assert "".join(state.tokens) == expected
    module = cst.Module(body=[node]) if isinstance(node, cst.BaseStatement) else None
    if module is not None:
        lib, ours = _both(module)
        assert (ours.tokens, ours.starts, ours.ends) == (lib.tokens, lib.starts, lib.ends)
