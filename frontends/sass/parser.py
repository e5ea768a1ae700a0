"""Parse SASS listing text into a :class:`~.model.Listing` with the Lark grammar ``sass.lark``.

The grammar ignores blanks inside a line; the Transformer reads them back from the token
positions, so every line keeps the exact blanks it was written with. The Transformer runs
inside the LALR parser (one pass, no intermediate tree).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput
from switcheroo.frontends.sass.model import (
    CBank,
    Directive,
    Imm,
    Instr,
    Label,
    Listing,
    Mem,
    Other,
    Reg,
    Target,
)

_HERE = Path(__file__).parent
GRAMMAR = _HERE / "sass.lark"


class SassSyntaxError(ValueError):
    """A listing that does not parse: the message is ``path:line:col: what``."""


def _reg(tok: Token, prefix: str = "") -> Reg:
    text = str(tok)
    if text.startswith("SR_"):
        # SR_TID.X: the component is part of the special register's name.
        return Reg(text, (), prefix)
    name, *suffixes = text.split(".")
    return Reg(name, tuple(suffixes), prefix)


class SassTransformer(Transformer):
    """Builds model objects from the grammar's rules; method names equal rule names.

    ``text`` is the source being parsed (set by :func:`parse_listing`), used to recover
    the blanks between tokens."""

    text = ""

    def _indent(self, tok: Token) -> str:
        start = self.text.rfind("\n", 0, tok.start_pos) + 1
        return self.text[start : tok.start_pos]

    def _gap(self, a: Token, b: Token) -> str:
        return self.text[a.end_pos : b.start_pos]

    # ---- lines
    def start(self, lines: list) -> list:
        # The second encoding word of `-hex` listings sits on its own line; fold it into
        # the instruction it belongs to.
        out: list = []
        for ln in lines:
            prev = out[-1] if out else None
            if (
                isinstance(ln, Other)
                and ln.kind == "hex"
                and isinstance(prev, Instr)
                and prev.enc is not None
                and prev.ctrl is None
            ):
                prev.ctrl, prev.ctrl_gap, prev.ctrl_eol = ln.text[3:-3], ln.indent, ln.eol
                continue
            out.append(ln)
        return out

    def line(self, children: list):
        if len(children) == 1:
            return Other("blank", "", "", str(children[0]), children[0].line)
        content, eol = children
        content.eol = str(eol)
        return content

    def instr(self, c: list) -> Instr:
        addr = c[0]
        i = 1
        pred = None
        if c[i].type == "PRED":
            pred = c[i]
            i += 1
        opcode = c[i]
        i += 1
        operands, commas = (), ()
        if isinstance(c[i], tuple):
            operands, commas = c[i]
            i += 1
        semi = c[i]
        enc = c[i + 1] if len(c) > i + 1 else None
        first = pred or opcode
        raw = self.text[first.start_pos : semi.start_pos]
        body = raw.rstrip(" \t")
        ins = Instr(
            addr=addr[2:-2],
            opcode=str(opcode),
            operands=operands,
            commas=commas,
            pred=str(pred) if pred else None,
            gaps=[self._indent(addr), self._gap(addr, first), raw[len(body) :]],
            line=addr.line,
            column=first.column,
        )
        if enc is not None:
            ins.gaps.append(self._gap(semi, enc))
            ins.enc = str(enc)[3:-3]
        if ins.body() != body:
            ins.raw_body = body
        return ins

    def operands(self, c: list) -> tuple[tuple, tuple[bool, ...]]:
        ops: list = []
        commas: list[bool] = []
        for x in c:
            if isinstance(x, Token):  # COMMA
                commas[-1] = True
                continue
            ops.append(x)
            commas.append(False)
        return tuple(ops), tuple(commas[:-1])

    def hex_word(self, c: list) -> Other:
        return Other("hex", str(c[0]), self._indent(c[0]), line=c[0].line)

    def data(self, c: list) -> Directive:
        addr, name = c[0], c[1]
        gaps = [self._indent(addr), self._gap(addr, name)]
        args = None
        if len(c) > 2:
            gaps.append(self._gap(name, c[2]))
            args = str(c[2])
        return Directive(str(name), args, str(addr)[2:-2], gaps, line=addr.line)

    def directive(self, c: list) -> Directive:
        name = c[0]
        gaps = [self._indent(name)]
        args = None
        if len(c) > 1:
            gaps.append(self._gap(name, c[1]))
            args = str(c[1])
        return Directive(str(name), args, None, gaps, line=name.line)

    def label(self, c: list) -> Label:
        return Label(str(c[0])[:-1], self._indent(c[0]), line=c[0].line)

    def _other(kind: str):
        def rule(self, c: list) -> Other:
            return Other(kind, str(c[0]), self._indent(c[0]), line=c[0].line)

        rule.__name__ = kind
        return rule

    comment = _other("comment")
    cuobjdump_header = _other("cuobjdump_header")
    end_of_function = _other("end_of_function")

    # ---- operands
    def reg(self, c: list) -> Reg:
        return _reg(c[-1], str(c[0]) if len(c) == 2 else "")

    def abs_reg(self, c: list) -> Reg:
        return _reg(c[0], "|")

    def imm(self, c: list) -> Imm:
        return Imm("".join(str(t) for t in c))

    def cbank(self, c: list) -> CBank:
        prefix = str(c[0]) if isinstance(c[0], Token) else ""
        return CBank(c[-2], c[-1], prefix)

    def mem(self, c: list) -> Mem:
        return Mem(c[0])

    def desc_mem(self, c: list) -> Mem:
        return Mem(c[1], _reg(c[0]))

    def target(self, c: list) -> Target:
        return Target(str(c[0]))

    def addr(self, c: list) -> tuple:
        return tuple(c)


_TRANSFORMER = SassTransformer()


@cache
def sass_lark(with_transformer: bool = True) -> Lark:
    """The LALR parser for ``sass.lark`` (with the model-building Transformer inside, or
    bare, as the benchmark's baseline)."""
    return Lark(
        GRAMMAR.read_text(),
        parser="lalr",
        import_paths=[_HERE.parent],
        transformer=_TRANSFORMER if with_transformer else None,
        maybe_placeholders=False,
    )


def parse_listing(text: str, path: str = "<sass>") -> Listing:
    """Parse a whole listing. Raises :class:`SassSyntaxError` (``path:line:col: ...``)."""
    src = text if text.endswith("\n") or not text else text + "\n"
    _TRANSFORMER.text = src
    try:
        lines = sass_lark().parse(src)
    except UnexpectedInput as e:
        got = src[e.pos_in_stream : e.pos_in_stream + 12].split("\n")[0] if e.pos_in_stream else ""
        raise SassSyntaxError(
            f"{path}:{e.line}:{e.column}: unexpected {got!r} in SASS listing"
        ) from None
    finally:
        _TRANSFORMER.text = ""
    listing = Listing(lines, path)
    if src is not text:
        # The input lacked a final newline: drop the one added for the grammar.
        listing.lines[-1].eol = listing.lines[-1].eol[:-1]
    return listing
