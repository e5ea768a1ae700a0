"""The SASS frontend: listing text -> ``builtin.module`` of ``sass`` ops.

Each code section becomes a ``sass.kernel`` (nvdisasm: from ``.section .text.NAME`` to
the next section; cuobjdump: from ``Function : NAME`` to its closing dots); every other
line stays a top-level ``sass.directive``/``sass.label``/``sass.line`` op, so the module
prints back as the exact listing (backends/sass/printer.py).
"""

from __future__ import annotations

from switcheroo.dialects.sass.attrs import to_attr
from switcheroo.dialects.sass.ops import (
    DirectiveOp,
    GenericInstructionOp,
    KernelOp,
    LabelOp,
    LineOp,
    instruction_op,
)
from switcheroo.frontends.sass.model import (
    Directive,
    Instr,
    Label,
    Line,
    Listing,
    Other,
    Reg,
    encode_gaps,
)
from switcheroo.frontends.sass.parser import parse_listing
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Block, Operation, Region

ARCH_ATTR = "sass.arch"


def instruction(ins: Instr) -> Operation:
    """The op of one parsed instruction."""
    cls = instruction_op(ins.base)
    gaps = [*ins.gaps, ins.eol]
    props: dict = {
        "args": ArrayAttr([to_attr(o) for o in ins.operands]),
        "addr": IntegerAttr(int(ins.addr, 16), i64),
        "layout": StringAttr(""),
        "line": IntegerAttr(ins.line, i64),
    }
    if ins.modifiers:
        props["mods"] = ArrayAttr([StringAttr(m) for m in ins.modifiers])
    if ins.pred:
        props["pred"] = to_attr(_pred_operand(ins.pred))
    if ins.enc is not None:
        props["enc"] = StringAttr(ins.enc)
    if ins.ctrl is not None:
        props["ctrl"] = StringAttr(ins.ctrl)
        gaps += [ins.ctrl_gap, ins.ctrl_eol]
    props["layout"] = StringAttr(encode_gaps(gaps))
    if not all(ins.commas):
        props["seps"] = StringAttr("".join("," if c else " " for c in ins.commas))
    if ins.raw_body is not None:
        props["raw"] = StringAttr(ins.raw_body)
    if cls is GenericInstructionOp:
        props["opcode_name"] = StringAttr(ins.base)
    return cls.create(properties=props)


def _pred_operand(pred: str) -> Reg:
    body = pred[1:]
    return Reg(body[1:], (), "!") if body.startswith("!") else Reg(body)


def line_op(ln: Line) -> Operation:
    """The op of one parsed line."""
    match ln:
        case Instr():
            return instruction(ln)
        case Label():
            return LabelOp.create(
                properties={
                    "label": StringAttr(ln.name),
                    "layout": StringAttr(encode_gaps([ln.indent, ln.eol])),
                }
            )
        case Directive():
            props = {
                "directive": StringAttr(ln.name),
                "layout": StringAttr(encode_gaps([*ln.gaps, ln.eol])),
            }
            if ln.args is not None:
                props["text"] = StringAttr(ln.args)
            if ln.addr is not None:
                props["addr"] = StringAttr(ln.addr)
            return DirectiveOp.create(properties=props)
        case Other():
            return LineOp.create(
                properties={
                    "kind": StringAttr(ln.kind),
                    "text": StringAttr(ln.text),
                    "layout": StringAttr(encode_gaps([ln.indent, ln.eol])),
                }
            )
    raise TypeError(ln)


def _kernel_start(ln: Line) -> str | None:
    if isinstance(ln, Directive) and ln.name == ".section" and ln.args:
        section = ln.args.split(",", 1)[0]
        if section.startswith(".text."):
            return section[len(".text.") :]
    if isinstance(ln, Other) and ln.kind == "cuobjdump_header" and ln.text.startswith("Func"):
        return ln.text.split(":", 1)[1].strip()
    return None


def _kernel_end(ln: Line) -> bool:
    if isinstance(ln, Directive) and ln.name == ".section":
        return True
    return isinstance(ln, Other) and ln.kind in ("comment", "cuobjdump_header", "end_of_function")


def lower_listing(listing: Listing) -> ModuleOp:
    """Group a parsed listing into kernels and build the module."""
    top: list[Operation] = []
    kernel: tuple[str, list[Operation]] | None = None
    arch = None

    def close() -> None:
        if kernel is not None:
            top.append(KernelOp(kernel[0], Region(Block(kernel[1]))))

    for ln in listing.lines:
        if kernel is not None and _kernel_end(ln):
            close()
            kernel = None
        if isinstance(ln, Directive) and ln.name == ".target" and ln.args and arch is None:
            arch = ln.args.strip()
        (kernel[1] if kernel is not None else top).append(line_op(ln))
        name = _kernel_start(ln)
        if name is not None:
            close()
            kernel = (name, [])
    close()
    module = ModuleOp(top)
    if arch:
        module.attributes[ARCH_ATTR] = StringAttr(arch)
    return module


def parse_sass(text: str, path: str = "<sass>") -> ModuleOp:
    """The ``sass`` frontend: listing text -> module of ``sass`` ops.

    Raises :class:`~switcheroo.frontends.sass.parser.SassSyntaxError` with
    ``path:line:col`` on text that is not a SASS listing."""
    return lower_listing(parse_listing(text, path))
