"""Shared custom syntax of the ``stablehlo``/``chlo`` ops, as the C++ dialect prints it.

Most StableHLO ops print as ``operands, keyword = value, ... attr-dict : signature``.
:class:`KeywordSyntax` implements that shape once, driven by two class variables:
``KEYWORDS`` (keyword, property, kind) and ``SIG`` (how the type signature reads):

- ``same``: ``: T`` when every operand and result has type T, else ``: (A, B) -> R``
  (MLIR's ``SameOperandsAndResultType`` custom directive);
- ``func``: always ``: (A, B) -> R``;
- ``result``: ``: R`` (no operands, or the operand types are implied);
- ``list``: ``: T1, T2`` — results have the operand types (while, optimization_barrier);
- ``operands``: ``: T1, T2`` for the operands of a result-less op (return);
- ``select``: ``: P, T`` (predicate type, then the type of the values and the result).

Inherent attributes the pretty form does not spell out (e.g. convolution's
``feature_group_count``) travel in the attribute dictionary, as in MLIR; the parser moves
them back into properties.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, NamedTuple

from switcheroo.dialects.stablehlo_attrs import (
    PrecisionAttr,
    RngAlgorithmAttr,
    RngDistributionAttr,
    print_int_list,
)
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    FunctionType,
    IntegerAttr,
    IntegerType,
    TensorType,
    i32,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation
from xdsl.parser import Parser
from xdsl.printer import Printer


class Kw(NamedTuple):
    """A ``keyword = value`` clause stored in property ``prop`` (kind: how it reads)."""

    keyword: str
    prop: str
    kind: str  # i64s | int | precision | rng_algorithm | rng_distribution | format


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


def array_values(attr: Attribute | None) -> list[int]:
    """Values of a ``DenseArrayBase`` (or ``[]`` when the property is absent)."""
    if attr is None:
        return []
    assert isinstance(attr, DenseArrayBase)
    return list(attr.get_values())


def shape_of(t: Attribute) -> tuple[int, ...] | None:
    """The static shape of a ranked tensor type (``-1`` for dynamic dims), else None."""
    return tuple(t.get_shape()) if isinstance(t, TensorType) else None


def parse_sig(parser: Parser, sig: str, n_operands: int) -> list[Attribute]:
    """Parse the signature after ``:`` and return the result types."""
    if sig in ("same", "func", "select") and parser._current_token.text == "(":
        ft = parser.parse_function_type()
        return list(ft.outputs.data)
    types = parser.parse_comma_separated_list(parser.Delimiter.NONE, parser.parse_type)
    if sig == "select":
        return [types[-1]]
    if sig in ("list",):
        return types
    if sig == "operands":
        return []
    return [types[0]]


def print_sig(printer: Printer, op: IRDLOperation, sig: str) -> None:
    ins = [o.type for o in op.operands]
    outs = [r.type for r in op.results]
    if sig == "operands":
        if ins:
            printer.print_string(" : ")
            printer.print_list(ins, printer.print_attribute)
        return
    printer.print_string(" : ")
    if sig == "list":
        printer.print_list(outs, printer.print_attribute)
    elif sig == "result" or sig == "same" and len(outs) == 1 and all(t == outs[0] for t in ins):
        printer.print_attribute(outs[0])
    elif sig == "select" and len(ins) == 3 and ins[1] == ins[2] == outs[0]:
        printer.print_attribute(ins[0])
        printer.print_string(", ")
        printer.print_attribute(outs[0])
    else:
        printer.print_function_type(ins, outs)


def parse_kind(parser: Parser, kind: str, prop: str) -> dict[str, Attribute]:
    """Parse one keyword's value into the properties it sets."""
    match kind:
        case "i64s":
            vals = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
            return {prop: i64_array(vals)}
        case "int":
            return {prop: IntegerAttr(parser.parse_integer(), i64)}
        case "precision":
            vals = parser.parse_comma_separated_list(
                parser.Delimiter.SQUARE, lambda: PrecisionAttr(PrecisionAttr.parse_parameter(parser))
            )
            return {prop: ArrayAttr(vals)}
        case "rng_algorithm":
            return {prop: RngAlgorithmAttr(RngAlgorithmAttr.parse_parameter(parser))}
        case "rng_distribution":
            return {prop: RngDistributionAttr(RngDistributionAttr.parse_parameter(parser))}
        case "format":
            # ``e5m10``: exponent and mantissa bits of reduce_precision.
            word = parser.parse_identifier()
            e, _, m = word[1:].partition("m")
            if not word.startswith("e") or not e.isdigit() or not m.isdigit():
                parser.raise_error(f"expected a format like e5m10, got {word!r}")
            return {"exponent_bits": IntegerAttr(int(e), i32), "mantissa_bits": IntegerAttr(int(m), i32)}
    raise AssertionError(f"unknown keyword kind {kind}")


def kind_text(op: IRDLOperation, kw: Kw) -> str | None:
    """The printed value of a keyword clause, or None when its property is absent."""
    if kw.kind == "format":
        e, m = op.properties.get("exponent_bits"), op.properties.get("mantissa_bits")
        assert isinstance(e, IntegerAttr) and isinstance(m, IntegerAttr)
        return f"e{e.value.data}m{m.value.data}"
    val = op.properties.get(kw.prop)
    if val is None:
        return None
    match kw.kind:
        case "i64s":
            return "[" + ", ".join(str(v) for v in array_values(val)) + "]"
        case "int":
            assert isinstance(val, IntegerAttr)
            return str(val.value.data)
        case "precision":
            assert isinstance(val, ArrayAttr)
            return "[" + ", ".join(p.data.value for p in val.data) + "]"  # type: ignore[attr-defined]  # PrecisionAttr
        case _:
            return val.data.value  # type: ignore[attr-defined]  # an enum attribute
    return None


def keyword_props(kws: Sequence[Kw]) -> set[str]:
    out = {k.prop for k in kws}
    if any(k.kind == "format" for k in kws):
        out |= {"exponent_bits", "mantissa_bits"}
    return out


def split_attr_dict(
    op_cls: type[IRDLOperation], attrs: dict[str, Attribute]
) -> tuple[dict[str, Attribute], dict[str, Attribute]]:
    """Split a pretty attr-dict into (properties, discardable attributes)."""
    prop_names = op_cls.get_irdl_definition().properties
    props = {k: v for k, v in attrs.items() if k in prop_names}
    return props, {k: v for k, v in attrs.items() if k not in prop_names}


def print_attr_dict(printer: Printer, op: IRDLOperation, shown: set[str]) -> None:
    """Print properties not spelled by the syntax, then discardable attributes."""
    extra = {k: v for k, v in op.properties.items() if k not in shown}
    extra.update(op.attributes)
    if extra:
        printer.print_string(" ")
        printer.print_attr_dict(extra)


def parse_operands(parser: Parser) -> list[SSAValue]:
    """``%a, %b`` (possibly empty); stops before a keyword clause."""
    vals: list[SSAValue] = []
    v = parser.parse_optional_operand()
    while v is not None:
        vals.append(v)
        pos = parser.pos
        if parser.parse_optional_punctuation(",") is None:
            break
        v = parser.parse_optional_operand()
        if v is None:
            parser._resume_from(pos)
    return vals


class KeywordSyntax(IRDLOperation):
    """``operands, kw = value, ... attr-dict : signature`` driven by ``KEYWORDS``/``SIG``."""

    KEYWORDS: ClassVar[tuple[Kw, ...]] = ()
    SIG: ClassVar[str] = "same"

    @classmethod
    def parse(cls, parser: Parser) -> KeywordSyntax:
        operands = parse_operands(parser)
        props: dict[str, Attribute] = {}
        by_word = {k.keyword: k for k in cls.KEYWORDS}
        need_comma = bool(operands)
        while True:
            pos = parser.pos
            if need_comma and parser.parse_optional_punctuation(",") is None:
                break
            word = parser.parse_optional_identifier()
            if word is None or word not in by_word:
                parser._resume_from(pos)
                break
            parser.parse_punctuation("=")
            kw = by_word[word]
            props.update(parse_kind(parser, kw.kind, kw.prop))
            need_comma = True
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        props.update(more)
        result_types: list[Attribute] = []
        if parser.parse_optional_punctuation(":") is not None:
            result_types = parse_sig(parser, cls.SIG, len(operands))
        return cls.create(
            operands=operands, result_types=result_types, properties=props, attributes=attrs
        )

    def print(self, printer: Printer) -> None:
        parts = []
        for kw in self.KEYWORDS:
            text = kind_text(self, kw)
            if text is not None:
                parts.append(f"{kw.keyword} = {text}")
        if self.operands:
            printer.print_string(" ")
            printer.print_list(self.operands, printer.print_operand)
            if parts:
                printer.print_string(", ")
        elif parts:
            printer.print_string(" ")
        printer.print_string(", ".join(parts))
        print_attr_dict(printer, self, keyword_props(self.KEYWORDS))
        print_sig(printer, self, self.SIG)


def is_int_type(t: Attribute) -> bool:
    return isinstance(t, IntegerType)


def function_type(ins: Sequence[Attribute], outs: Sequence[Attribute]) -> FunctionType:
    return FunctionType.from_lists(list(ins), list(outs))


__all__ = [
    "KeywordSyntax",
    "Kw",
    "array_values",
    "i64_array",
    "parse_operands",
    "parse_sig",
    "print_attr_dict",
    "print_int_list",
    "print_sig",
    "shape_of",
    "split_attr_dict",
]
