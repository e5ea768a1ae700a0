"""MLIR text (StableHLO as JAX, Flax, Keras and TensorFlow print it) -> xDSL module.

xDSL's own parser does the work; :class:`MlirParser` adds what real JAX output needs and
xDSL 0.74 lacks:

- ``#loc`` aliases defined at the *end* of the module (``loc(#loc20)`` is used before
  ``#loc20 = loc(...)`` appears): the alias lines are lifted out (blank lines keep line
  numbers), resolved in dependency order, and pre-seeded into the parser;
- location ranges ``loc("f.py":21:8 to :42)`` (kept as their start point);
- hexadecimal float literals ``dense<0xFF800000> : tensor<f32>`` (the bit pattern, here
  -inf, not the integer 4286578688).

Errors are one line, ``path:line:col: error: message``, raised as :class:`MlirSyntaxError`.
"""

from __future__ import annotations

import re
import struct
from functools import cache

from xdsl.context import Context
from xdsl.dialects.builtin import (
    AnyFloat,
    ArrayAttr,
    BFloat16Type,
    Builtin,
    DictionaryAttr,
    FileLineColLoc,
    LocationAttr,
    ModuleOp,
)
from xdsl.dialects.func import Func, FuncOp
from xdsl.parser import AttrParser, Parser
from xdsl.utils.exceptions import ParseError, VerifyException
from xdsl.utils.lexer import Span
from xdsl.utils.mlir_lexer import MLIRTokenKind

# ``#loc12 = loc(...)`` on its own line, anywhere at top level.
_LOC_ALIAS = re.compile(r"^(#[A-Za-z_][\w$.-]*)\s*=\s*(loc\(.*\))\s*$", re.MULTILINE)
_ALIAS_REF = re.compile(r"#[A-Za-z_][\w$.-]*")


class MlirSyntaxError(ValueError):
    """A one-line diagnostic: ``path:line:col: error: message``."""

    def __init__(self, path: str, line: int, col: int, message: str):
        self.path, self.line, self.col, self.message = path, line, col, message
        super().__init__(f"{path}:{line}:{col}: error: {message}")


class _HexFloat(AttrParser._TensorLiteralElement):
    """A ``0x...`` literal: a bit pattern when the element type is a float."""

    def to_type(self, parser, type):  # type: ignore[no-untyped-def,override]
        if not isinstance(type, AnyFloat):
            return super().to_type(parser, type)
        bits = int(self.value)  # type: ignore[arg-type]
        if isinstance(type, BFloat16Type):
            return struct.unpack("<f", (bits << 16).to_bytes(4, "little"))[0]
        width = type.bitwidth
        fmt = {16: "<e", 32: "<f", 64: "<d"}.get(width)
        if fmt is None:
            parser.raise_error(f"hex float literal for unsupported width {width}")
        return struct.unpack(fmt, bits.to_bytes(width // 8, "little"))[0]


class MlirParser(Parser):
    """xDSL's parser plus location ranges and hex float literals (see module doc)."""

    def _parse_tensor_literal_element(self):  # type: ignore[no-untyped-def,override]
        tok = self._current_token
        if tok.kind == MLIRTokenKind.INTEGER_LIT and tok.text[:2] in ("0x", "0X"):
            self._consume_token(MLIRTokenKind.INTEGER_LIT)
            return _HexFloat(False, int(tok.text, 16), tok.span)
        return super()._parse_tensor_literal_element()

    def _parse_location(self) -> LocationAttr:
        loc = super()._parse_location()
        if isinstance(loc, FileLineColLoc) and self.parse_optional_keyword("to"):
            # ``to :COL`` or ``to LINE:COL``: MLIR's FileLineColRange; keep the start.
            if self.parse_optional_punctuation(":") is None:
                self.parse_integer(False, False)
                self.parse_punctuation(":")
            self.parse_integer(False, False)
        return loc


@cache
def stablehlo_context() -> Context:
    """A context with builtin, func, stablehlo and chlo loaded."""
    from switcheroo.dialects.chlo import CHLO
    from switcheroo.dialects.stablehlo import STABLEHLO

    ctx = Context()
    for d in (Builtin, Func, STABLEHLO, CHLO):
        ctx.load_dialect(d)
    return ctx


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _lift_loc_aliases(text: str) -> tuple[str, dict[str, tuple[str, int]]]:
    """Blank out ``#x = loc(...)`` lines; return the text and alias -> (body, offset)."""
    aliases: dict[str, tuple[str, int]] = {}
    for m in _LOC_ALIAS.finditer(text):
        aliases[m.group(1)] = (m.group(2), m.start(2))
    if not aliases:
        return text, aliases
    return _LOC_ALIAS.sub("", text), aliases


def _resolve_loc_aliases(
    ctx: Context, text: str, path: str, aliases: dict[str, tuple[str, int]]
) -> dict[str, LocationAttr]:
    """Parse alias bodies so each sees the aliases it references (depth-first)."""
    done: dict[str, LocationAttr] = {}
    visiting: set[str] = set()

    def resolve(name: str) -> None:
        if name in done:
            return
        body, offset = aliases[name]
        if name in visiting:
            raise MlirSyntaxError(path, *_line_col(text, offset), f"cyclic location alias {name}")
        visiting.add(name)
        for ref in _ALIAS_REF.findall(body):
            if ref in aliases:
                resolve(ref)
        p = MlirParser(ctx, body, path)
        p.attribute_aliases.update(done)
        try:
            loc = p.parse_optional_location()
        except ParseError as e:
            line, col = _line_col(text, offset + e.span.start)
            raise MlirSyntaxError(path, line, col, e.msg) from None
        if loc is None:
            raise MlirSyntaxError(path, *_line_col(text, offset), "expected loc(...)")
        done[name] = loc
        visiting.discard(name)

    for name in aliases:
        resolve(name)
    return done


def _drop_empty_arg_attrs(module: ModuleOp) -> None:
    """Generic ``func.func`` input carries ``arg_attrs = [{}]``; xDSL keeps them and
    prints ``-> (T)``, which re-parses without them. Dropping the all-empty lists makes the
    first print already stable under print -> parse -> print."""
    for op in module.walk():
        if isinstance(op, FuncOp):
            for name in ("arg_attrs", "res_attrs"):
                attrs = op.properties.get(name)
                if isinstance(attrs, ArrayAttr) and all(
                    isinstance(a, DictionaryAttr) and not a.data for a in attrs.data
                ):
                    del op.properties[name]


def parse_mlir(text: str, path: str = "<stdin>", *, verify: bool = True) -> ModuleOp:
    """Parse MLIR text (pretty or generic form) into a verified builtin module."""
    ctx = stablehlo_context()
    body, aliases = _lift_loc_aliases(text)
    locs = _resolve_loc_aliases(ctx, text, path, aliases)
    parser = MlirParser(ctx, body, path)
    parser.attribute_aliases.update(locs)
    try:
        module = parser.parse_module()
    except ParseError as e:
        span: Span = e.span
        raise MlirSyntaxError(path, *_line_col(body, span.start), e.msg) from None
    _drop_empty_arg_attrs(module)
    if verify:
        try:
            module.verify()
        except VerifyException as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else "verification failed"
            raise MlirSyntaxError(path, 1, 1, first) from None
    return module


def parse_in_context(ctx, text: str, path: str, implicit_module: bool = True) -> ModuleOp:
    """Parse with a caller's context and no verification (``swc-opt`` verifies itself, so
    ``--verify-diagnostics`` sees verifier errors); parse errors stay xDSL ParseErrors."""
    body, aliases = _lift_loc_aliases(text)
    locs = _resolve_loc_aliases(ctx, text, path, aliases)
    parser = MlirParser(ctx, body, path)
    parser.attribute_aliases.update(locs)
    return parser.parse_module(implicit_module)
