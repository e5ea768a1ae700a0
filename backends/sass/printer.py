"""The SASS text printer: a module of ``sass`` ops -> listing text.

One dispatch over the op classes; each op becomes its parse-model line and renders
itself, with the blanks kept in its ``layout``. A module parsed from a listing prints back
byte-identical; ops without a layout (built by passes) print in nvdisasm's ``-c`` layout.
"""

from __future__ import annotations

import io
from typing import IO

from switcheroo.dialects.sass.ops import (
    DirectiveOp,
    KernelOp,
    LabelOp,
    LineOp,
    SassInstructionOp,
)
from switcheroo.frontends.sass.model import (
    Directive,
    Label,
    Line,
    Other,
    decode_gaps,
)
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp
from xdsl.ir import Operation


def _gaps(op: Operation, default: list[str]) -> list[str]:
    layout = op.properties.get("layout")
    text = getattr(layout, "data", "")
    return decode_gaps(text) if text else list(default)


def line_of(op: Operation) -> Line:
    """The parse-model line of one op."""
    match op:
        case SassInstructionOp():
            ins = op.to_model()
            guard = (ins.pred + " ") if ins.pred else ""
            # nvdisasm -c: 8 blanks, the address, the opcode at column 35.
            gaps = _gaps(op, ["        ", " " * max(1, 19 - len(guard)), " ", "\n"])
            n = 4 if ins.enc is not None else 3
            ins.gaps, ins.eol = gaps[:n], gaps[n]
            if ins.ctrl is not None:
                ins.ctrl_gap, ins.ctrl_eol = gaps[n + 1], gaps[n + 2]
            return ins
        case LabelOp():
            indent, eol = _gaps(op, ["", "\n"])
            return Label(op.label.data, indent, eol)
        case DirectiveOp():
            gaps = _gaps(op, ["        ", " \t", "\t", "\n"] if op.addr else ["\t", "\t", "\n"])
            args = op.text.data if op.text else None
            addr = op.addr.data if op.addr else None
            return Directive(op.directive.data, args, addr, gaps[:-1], gaps[-1])
        case LineOp():
            indent, eol = _gaps(op, ["", "\n"])
            return Other(op.kind.data, op.text.data, indent, eol)
    raise TypeError(f"sass printer: cannot print {op.name}")


def print_sass(module: ModuleOp, out: IO[str]) -> None:
    """Write the listing of ``module``."""
    for op in module.ops:
        if isinstance(op, FuncOp | ModuleOp):  # lifted kernels (sass-lift): not listing lines
            continue
        if isinstance(op, KernelOp):
            for inner in op.body.block.ops:
                out.write(line_of(inner).render())
        else:
            out.write(line_of(op).render())


def sass_text(module: ModuleOp) -> str:
    """The listing of ``module`` as a string."""
    buf = io.StringIO()
    print_sass(module, buf)
    return buf.getvalue()
