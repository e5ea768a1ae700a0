"""The parse tree of a SASS listing: one object per line, operands as small values.

The Transformer in ``parser.py`` builds these; ``render()`` on each prints it back. The
blanks between fields are kept as strings (``gaps``), so a listing prints back
byte-identical; operands print in the disassembler's canonical form, and an instruction
whose text differs from that form keeps its exact body text in ``raw_body``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ---------------------------------------------------------------- operands


@dataclass(frozen=True, slots=True)
class Reg:
    """A register operand: ``R3``, ``UR4.reuse``, ``-RZ``, ``!PT``, ``R2.64``, ``SR_TID.X``.

    ``name`` is the register itself (``SR_TID.X`` keeps its component); ``suffixes`` are
    the dotted modifiers after it; ``prefix`` is ``-``, ``+``, ``!``, ``~`` or ``|`` (abs)."""

    name: str
    suffixes: tuple[str, ...] = ()
    prefix: str = ""

    @property
    def file(self) -> str:
        """The register file: ``R``, ``UR``, ``P``, ``UP``, ``B`` or ``SR``."""
        n = self.name
        if n.startswith("SR_"):
            return "SR"
        if n.startswith("UR"):
            return "UR"
        if n.startswith("UP"):
            return "UP"
        return n[0]

    def render(self) -> str:
        body = ".".join((self.name, *self.suffixes))
        return f"|{body}|" if self.prefix == "|" else self.prefix + body


@dataclass(frozen=True, slots=True)
class Imm:
    """An immediate exactly as written: ``0x4``, ``-0x10``, ``2.384185791015625e-07``."""

    text: str

    @property
    def value(self) -> int | float:
        t = self.text
        sign = -1 if t.startswith("-") else 1
        body = t.lstrip("+-")
        if body.startswith("0x"):
            return sign * int(body, 16)
        if body in ("INF", "NAN", "QNAN"):
            return sign * float("inf" if body == "INF" else "nan")
        if body.isdigit():
            return sign * int(body)
        return sign * float(body)

    def render(self) -> str:
        return self.text


AddrTerm = Reg | Imm


def render_addr(terms: tuple[AddrTerm, ...]) -> str:
    return "+".join(t.render() for t in terms)


@dataclass(frozen=True, slots=True)
class CBank:
    """A constant-bank read ``c[bank][offset]``; both parts are address expressions."""

    bank: tuple[AddrTerm, ...]
    offset: tuple[AddrTerm, ...]
    prefix: str = ""

    def render(self) -> str:
        return f"{self.prefix}c[{render_addr(self.bank)}][{render_addr(self.offset)}]"


@dataclass(frozen=True, slots=True)
class Mem:
    """A memory address ``[R2.64+0x4]``, or ``desc[UR4][R2.64]`` with a descriptor."""

    terms: tuple[AddrTerm, ...]
    desc: Reg | None = None

    def render(self) -> str:
        inner = f"[{render_addr(self.terms)}]"
        return f"desc[{self.desc.render()}]{inner}" if self.desc else inner


@dataclass(frozen=True, slots=True)
class Target:
    """A symbolic branch or call target, written ``\\`(.L_x_3)``."""

    symbol: str

    def render(self) -> str:
        return f"`({self.symbol})"


Operand = Reg | Imm | CBank | Mem | Target


# ---------------------------------------------------------------- lines


@dataclass(slots=True)
class Instr:
    """One instruction line, with its encoding words when the listing has them.

    ``gaps``: [indent, after address, before ';', before first hex word]; the second hex
    word sits on its own line, ``ctrl_gap`` blanks in, ``ctrl_eol`` closing that line."""

    addr: str
    opcode: str
    operands: tuple[Operand, ...]
    commas: tuple[bool, ...]
    pred: str | None = None
    gaps: list[str] = field(default_factory=list)
    enc: str | None = None
    ctrl: str | None = None
    ctrl_gap: str = ""
    ctrl_eol: str = ""
    raw_body: str | None = None
    eol: str = "\n"
    line: int = 0
    column: int = 0

    @property
    def base(self) -> str:
        return self.opcode.split(".", 1)[0]

    @property
    def modifiers(self) -> tuple[str, ...]:
        return tuple(self.opcode.split(".")[1:])

    def body(self) -> str:
        """``@P0 ISETP.GE.AND P0, PT, R9, UR4, PT`` in canonical form."""
        if self.raw_body is not None:
            return self.raw_body
        out = [self.pred + " " if self.pred else "", self.opcode]
        for i, op in enumerate(self.operands):
            out.append(", " if i and self.commas[i - 1] else " ")
            out.append(op.render())
        return "".join(out)

    def render(self) -> str:
        g = self.gaps
        text = f"{g[0]}/*{self.addr}*/{g[1]}{self.body()}{g[2]};"
        if self.enc is not None:
            text += f"{g[3]}/* {self.enc} */"
        text += self.eol
        if self.ctrl is not None:
            text += f"{self.ctrl_gap}/* {self.ctrl} */{self.ctrl_eol}"
        return text


@dataclass(slots=True)
class Directive:
    """``.section .text.x,"ax",@progbits`` or a data line ``/*0004*/ .word 0x1``:
    the name is parsed, the arguments are kept as written."""

    name: str
    args: str | None
    addr: str | None = None
    gaps: list[str] = field(default_factory=list)
    eol: str = "\n"
    line: int = 0

    def render(self) -> str:
        g = self.gaps
        text = g[0] + (f"/*{self.addr}*/{g[1]}" if self.addr is not None else "") + self.name
        if self.args is not None:
            text += g[-1] + self.args
        return text + self.eol


@dataclass(slots=True)
class Label:
    """``.L_x_3:``, ``vector_add:``, ``.text.vector_add:``."""

    name: str
    indent: str = ""
    eol: str = "\n"
    line: int = 0

    def render(self) -> str:
        return f"{self.indent}{self.name}:{self.eol}"


@dataclass(slots=True)
class Other:
    """A line kept as text: comments, cuobjdump headers (``Function : relu``, ``code for
    sm_90``), the ``..........`` closing a cuobjdump function, and blank lines."""

    kind: str
    text: str
    indent: str = ""
    eol: str = "\n"
    line: int = 0

    def render(self) -> str:
        return f"{self.indent}{self.text}{self.eol}"


Line = Instr | Directive | Label | Other


@dataclass(slots=True)
class Listing:
    """A whole listing; ``render()`` gives back the text it was parsed from."""

    lines: list[Line]
    path: str = "<sass>"

    def render(self) -> str:
        return "".join(ln.render() for ln in self.lines)

    def instructions(self) -> list[Instr]:
        return [ln for ln in self.lines if isinstance(ln, Instr)]


# ---------------------------------------------------------------- layout strings

_CODE = {" ": "", "\t": "t", "\n": "n", "\r": "r"}


def encode_gaps(gaps: list[str]) -> str:
    """Blanks as a compact string for the IR: runs of spaces as counts, ``t`` tab,
    ``n``/``r`` line ends; gaps separated by ``,``: ``['    ', '\\t', ' \\n']`` -> ``4,t,1n``."""
    out = []
    for g in gaps:
        parts: list[str] = []
        run = 0
        for ch in g:
            if ch == " ":
                run += 1
                continue
            if run:
                parts.append(str(run))
                run = 0
            parts.append(_CODE[ch])
        if run:
            parts.append(str(run))
        out.append("".join(parts))
    return ",".join(out)


def decode_gaps(layout: str) -> list[str]:
    """Inverse of :func:`encode_gaps`."""
    gaps = []
    for piece in layout.split(","):
        text = []
        num = ""
        for ch in piece:
            if ch.isdigit():
                num += ch
                continue
            if num:
                text.append(" " * int(num))
                num = ""
            text.append({"t": "\t", "n": "\n", "r": "\r"}[ch])
        if num:
            text.append(" " * int(num))
        gaps.append("".join(text))
    return gaps
