"""The ``chlo`` dialect: the "client HLO" ops JAX leaves in its StableHLO output
(``chlo.erf``, ``chlo.square``, ``chlo.top_k``...), which XLA decomposes later.
Spec: https://github.com/openxla/stablehlo/blob/main/stablehlo/dialect/ChloOps.td
"""

from __future__ import annotations

from typing import ClassVar

from switcheroo.dialects.stablehlo_syntax import (
    parse_sig,
    print_attr_dict,
    print_sig,
    shape_of,
    split_attr_dict,
)
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, TensorType, i64
from xdsl.ir import Attribute, Dialect
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

TD = "https://github.com/openxla/stablehlo/blob/main/stablehlo/dialect/ChloOps.td"


class ChloUnaryOp(IRDLOperation):
    """Base: ``chlo.OP %x attr-dict : T -> R``."""

    SAME_ELEMENT: ClassVar[bool] = True
    operand = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> ChloUnaryOp:
        x = parser.parse_operand()
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        parser.parse_punctuation(":")
        parser.parse_type()
        parser.parse_punctuation("->")
        res = parser.parse_type()
        return cls.create(operands=[x], result_types=[res], properties=more, attributes=attrs)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.operand)
        print_attr_dict(printer, self, set())
        printer.print_string(" : ")
        printer.print_attribute(self.operand.type)
        printer.print_string(" -> ")
        printer.print_attribute(self.result.type)

    def verify_(self) -> None:
        if shape_of(self.operand.type) != shape_of(self.result.type):
            raise VerifyException(f"{self.name}: operand and result differ in shape")


class ChloBroadcastBinaryOp(IRDLOperation):
    """Base: binary op with implicit numpy-style broadcasting,
    ``chlo.OP %a, %b attr-dict : (A, B) -> R``."""

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    broadcast_dimensions = opt_prop_def(DenseArrayBase)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> ChloBroadcastBinaryOp:
        a = parser.parse_operand()
        parser.parse_punctuation(",")
        b = parser.parse_operand()
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        parser.parse_punctuation(":")
        res = parse_sig(parser, "func", 2)
        return cls.create(operands=[a, b], result_types=res, properties=more, attributes=attrs)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_list(self.operands, printer.print_operand)
        print_attr_dict(printer, self, set())
        print_sig(printer, self, "func")


UNARY: dict[str, str] = {
    "acos": "Arc cosine.",
    "acosh": "Inverse hyperbolic cosine.",
    "asin": "Arc sine.",
    "asinh": "Inverse hyperbolic sine.",
    "atan": "Arc tangent.",
    "atanh": "Inverse hyperbolic tangent.",
    "bessel_i1e": "Exponentially scaled modified Bessel function of order 1.",
    "conj": "Complex conjugate.",
    "cosh": "Hyperbolic cosine.",
    "digamma": "Logarithmic derivative of the gamma function.",
    "erf": "Gauss error function.",
    "erf_inv": "Inverse of the error function.",
    "erfc": "Complementary error function, 1 - erf(x).",
    "lgamma": "log |gamma(x)|.",
    "sinh": "Hyperbolic sine.",
    "square": "x * x.",
    "tan": "Tangent.",
}
PREDICATES: dict[str, str] = {
    "is_inf": "True where x is +inf or -inf.",
    "is_neg_inf": "True where x is -inf.",
    "is_pos_inf": "True where x is +inf.",
}
BINARY: dict[str, str] = {
    "broadcast_add": "x + y with broadcasting.",
    "broadcast_divide": "x / y with broadcasting.",
    "broadcast_maximum": "max(x, y) with broadcasting.",
    "broadcast_minimum": "min(x, y) with broadcasting.",
    "broadcast_multiply": "x * y with broadcasting.",
    "broadcast_power": "x ** y with broadcasting.",
    "broadcast_subtract": "x - y with broadcasting.",
    "next_after": "The next representable value after x towards y.",
    "polygamma": "The n-th derivative of digamma (n = lhs).",
    "zeta": "Hurwitz zeta function.",
}


def _define(base: type[IRDLOperation], op: str, doc: str) -> type[IRDLOperation]:
    name = "".join(p.capitalize() for p in op.split("_")) + "Op"
    cls = type(
        name,
        (base,),
        {"name": f"chlo.{op}", "__doc__": f"{doc} Spec: {TD}", "__module__": __name__},
    )
    return irdl_op_definition(cls)


UNARY_OPS = {k: _define(ChloUnaryOp, k, v) for k, v in {**UNARY, **PREDICATES}.items()}
BINARY_OPS = {k: _define(ChloBroadcastBinaryOp, k, v) for k, v in BINARY.items()}


@irdl_op_definition
class TopKOp(IRDLOperation):
    """The ``k`` largest values along the last dimension and their indices.
    Spec: https://github.com/openxla/stablehlo/blob/main/stablehlo/dialect/ChloOps.td"""

    name = "chlo.top_k"
    operand = operand_def(TensorType)
    k = prop_def(IntegerAttr)
    values = result_def(TensorType)
    indices = result_def(TensorType)
    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> TopKOp:
        parser.parse_punctuation("(")
        x = parser.parse_operand()
        parser.parse_punctuation(",")
        parser.parse_keyword("k")
        parser.parse_punctuation("=")
        k = parser.parse_integer()
        parser.parse_punctuation(")")
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        parser.parse_punctuation(":")
        parser.parse_type()
        parser.parse_punctuation("->")
        res = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_type)
        props: dict[str, Attribute] = {"k": IntegerAttr(k, i64), **more}
        return cls.create(operands=[x], result_types=res, properties=props, attributes=attrs)

    def print(self, printer: Printer) -> None:
        printer.print_string("(")
        printer.print_operand(self.operand)
        printer.print_string(f", k = {self.k.value.data})")
        print_attr_dict(printer, self, {"k"})
        printer.print_string(" : ")
        printer.print_attribute(self.operand.type)
        printer.print_string(" -> (")
        printer.print_list([r.type for r in self.results], printer.print_attribute)
        printer.print_string(")")


CHLO = Dialect(
    "chlo",
    sorted([*UNARY_OPS.values(), *BINARY_OPS.values(), TopKOp], key=lambda op: op.name),
    [],
)
