"""Element-wise ``stablehlo`` ops: unary and binary maps, compare, select, clamp, convert,
constant and iota. Spec: https://openxla.org/stablehlo/spec (one section per op name).

Unary and binary ops are generated from tables (name -> one-line semantics), the way
xDSL's arith dialect shares one base per op shape; each class is still a declarative
IRDL op with its own name, docstring and verifier.
"""

from __future__ import annotations

from typing import ClassVar

from switcheroo.dialects.stablehlo_attrs import ComparisonDirectionAttr, ComparisonTypeAttr
from switcheroo.dialects.stablehlo_syntax import (
    KeywordSyntax,
    Kw,
    parse_sig,
    print_attr_dict,
    print_sig,
    shape_of,
    split_attr_dict,
)
from xdsl.dialects.builtin import IntegerAttr, TensorType
from xdsl.ir import Attribute
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

SPEC = "https://openxla.org/stablehlo/spec#"


def same_shapes(op: IRDLOperation, *, same_element: bool) -> None:
    """Verify every operand and result has one shape (and one element type if asked)."""
    types = [v.type for v in (*op.operands, *op.results)]
    shapes = {shape_of(t) for t in types}
    if len(shapes) != 1:
        raise VerifyException(f"{op.name}: operands and results differ in shape")
    if same_element and len({t.get_element_type() for t in types}) != 1:  # type: ignore[attr-defined]  # TensorType
        raise VerifyException(f"{op.name}: operands and results differ in element type")


class UnaryElementwiseOp(KeywordSyntax):
    """Base of one-operand element-wise ops."""

    SAME_ELEMENT: ClassVar[bool] = True
    operand = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        same_shapes(self, same_element=self.SAME_ELEMENT)


class BinaryElementwiseOp(KeywordSyntax):
    """Base of two-operand element-wise ops."""

    SAME_ELEMENT: ClassVar[bool] = True
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        same_shapes(self, same_element=self.SAME_ELEMENT)


def _class_name(op: str) -> str:
    return "".join(p.capitalize() for p in op.split("_")) + "Op"


def _define(base: type[IRDLOperation], op: str, doc: str, **extra: object) -> type[IRDLOperation]:
    cls = type(
        _class_name(op),
        (base,),
        {
            "name": f"stablehlo.{op}",
            "__doc__": f"{doc} Spec: {SPEC}{op}",
            "__module__": __name__,
            "__annotations__": {k: ClassVar[type(v)] for k, v in extra.items()},
            **extra,
        },
    )
    return irdl_op_definition(cls)


UNARY: dict[str, str] = {
    "abs": "Absolute value (modulus for complex).",
    "cbrt": "Cube root.",
    "ceil": "Round towards +inf.",
    "count_leading_zeros": "Leading zero bits of each integer.",
    "cosine": "Cosine.",
    "exponential": "e**x.",
    "exponential_minus_one": "e**x - 1, accurate near 0.",
    "floor": "Round towards -inf.",
    "log": "Natural logarithm.",
    "log_plus_one": "log(1 + x), accurate near 0.",
    "logistic": "1 / (1 + e**-x).",
    "negate": "-x.",
    "not": "Bitwise/logical not.",
    "popcnt": "Set bits of each integer.",
    "round_nearest_afz": "Round to nearest, ties away from zero.",
    "round_nearest_even": "Round to nearest, ties to even.",
    "rsqrt": "1 / sqrt(x).",
    "sign": "Sign of x (-1, 0, 1; NaN stays NaN).",
    "sine": "Sine.",
    "sqrt": "Square root.",
    "tan": "Tangent.",
    "tanh": "Hyperbolic tangent.",
}
# Unary maps whose result element type differs from the operand's.
CONVERTING: dict[str, str] = {
    "bitcast_convert": "Reinterpret the bits as another element type.",
    "convert": "Convert each element to the result element type.",
    "imag": "Imaginary part of a complex value.",
    "is_finite": "True where x is neither inf nor NaN.",
    "real": "Real part of a complex value.",
}
BINARY: dict[str, str] = {
    "add": "x + y.",
    "and": "Bitwise/logical and.",
    "atan2": "atan2(y=lhs, x=rhs).",
    "complex": "Complex number from real and imaginary parts.",
    "divide": "x / y (integer division truncates).",
    "maximum": "Element-wise maximum (NaN-propagating).",
    "minimum": "Element-wise minimum (NaN-propagating).",
    "multiply": "x * y.",
    "or": "Bitwise/logical or.",
    "power": "x ** y.",
    "remainder": "Remainder with the sign of the dividend (C fmod).",
    "shift_left": "x << y.",
    "shift_right_arithmetic": "x >> y, sign-filling.",
    "shift_right_logical": "x >> y, zero-filling.",
    "subtract": "x - y.",
    "xor": "Bitwise/logical xor.",
}

UNARY_OPS = {k: _define(UnaryElementwiseOp, k, v) for k, v in UNARY.items()}
UNARY_OPS.update(
    {k: _define(UnaryElementwiseOp, k, v, SAME_ELEMENT=False) for k, v in CONVERTING.items()}
)
# ``complex`` makes complex results from real operands.
BINARY_OPS = {
    k: _define(BinaryElementwiseOp, k, v, SAME_ELEMENT=k != "complex") for k, v in BINARY.items()
}


@irdl_op_definition
class ReducePrecisionOp(KeywordSyntax):
    """Round to a float format with fewer exponent/mantissa bits, keeping the type.
    Spec: https://openxla.org/stablehlo/spec#reduce_precision"""

    name = "stablehlo.reduce_precision"
    KEYWORDS: ClassVar[tuple[Kw, ...]] = (Kw("format", "format", "format"),)
    operand = operand_def(TensorType)
    exponent_bits = prop_def(IntegerAttr)
    mantissa_bits = prop_def(IntegerAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        same_shapes(self, same_element=True)


@irdl_op_definition
class CompareOp(IRDLOperation):
    """Element-wise comparison ``lhs DIR rhs`` giving i1; ``compare_type`` says how
    values order. Spec: https://openxla.org/stablehlo/spec#compare"""

    name = "stablehlo.compare"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    comparison_direction = prop_def(ComparisonDirectionAttr)
    compare_type = opt_prop_def(ComparisonTypeAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> CompareOp:
        direction = ComparisonDirectionAttr(ComparisonDirectionAttr.parse_parameter(parser))
        parser.parse_punctuation(",")
        lhs = parser.parse_operand()
        parser.parse_punctuation(",")
        rhs = parser.parse_operand()
        props: dict[str, Attribute] = {"comparison_direction": direction}
        if parser.parse_optional_punctuation(","):
            props["compare_type"] = ComparisonTypeAttr(ComparisonTypeAttr.parse_parameter(parser))
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        parser.parse_punctuation(":")
        res = parse_sig(parser, "same", 2)
        return cls.create(
            operands=[lhs, rhs], result_types=res, properties={**props, **more}, attributes=attrs
        )

    def print(self, printer: Printer) -> None:
        printer.print_string(f"  {self.comparison_direction.data.value}, ")
        printer.print_list(self.operands, printer.print_operand)
        if self.compare_type is not None:
            printer.print_string(f",  {self.compare_type.data.value}")
        print_attr_dict(printer, self, {"comparison_direction", "compare_type"})
        print_sig(printer, self, "same")

    def verify_(self) -> None:
        if shape_of(self.lhs.type) != shape_of(self.rhs.type) or shape_of(
            self.lhs.type
        ) != shape_of(self.result.type):
            raise VerifyException("stablehlo.compare: operands and result differ in shape")


@irdl_op_definition
class SelectOp(KeywordSyntax):
    """``pred ? on_true : on_false`` element-wise (or whole-tensor for a scalar pred).
    Spec: https://openxla.org/stablehlo/spec#select"""

    name = "stablehlo.select"
    SIG: ClassVar[str] = "select"
    pred = operand_def(TensorType)
    on_true = operand_def(TensorType)
    on_false = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        if self.on_true.type != self.on_false.type:
            raise VerifyException("stablehlo.select: branches differ in type")
        ps = shape_of(self.pred.type)
        if ps not in ((), shape_of(self.on_true.type)):
            raise VerifyException("stablehlo.select: pred must be scalar or match the values")


@irdl_op_definition
class ClampOp(KeywordSyntax):
    """``min(max(operand, min), max)``; min/max are scalars or operand-shaped.
    Spec: https://openxla.org/stablehlo/spec#clamp"""

    name = "stablehlo.clamp"
    min = operand_def(TensorType)
    operand = operand_def(TensorType)
    max = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        s = shape_of(self.operand.type)
        for b in (self.min, self.max):
            if shape_of(b.type) not in ((), s):
                raise VerifyException("stablehlo.clamp: bounds must be scalar or operand-shaped")


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A constant tensor; ``value`` is a dense elements attribute of the result type.
    Spec: https://openxla.org/stablehlo/spec#constant"""

    name = "stablehlo.constant"
    value = prop_def(Attribute)
    output = result_def(TensorType)
    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> ConstantOp:
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        value = parser.parse_attribute()
        vtype = getattr(value, "type", None)
        if vtype is None:
            parser.raise_error("stablehlo.constant: expected a typed elements attribute")
        return cls.create(result_types=[vtype], properties={"value": value, **more}, attributes=attrs)

    def print(self, printer: Printer) -> None:
        print_attr_dict(printer, self, {"value"})
        printer.print_string(" ")
        printer.print_attribute(self.value)

    def verify_(self) -> None:
        if getattr(self.value, "type", None) != self.output.type:
            raise VerifyException("stablehlo.constant: value type differs from result type")


@irdl_op_definition
class IotaOp(KeywordSyntax):
    """0, 1, 2, ... along ``iota_dimension``, broadcast over the other dims.
    Spec: https://openxla.org/stablehlo/spec#iota"""

    name = "stablehlo.iota"
    SIG: ClassVar[str] = "result"
    KEYWORDS: ClassVar[tuple[Kw, ...]] = (Kw("dim", "iota_dimension", "int"),)
    iota_dimension = prop_def(IntegerAttr)
    output = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        rank = len(shape_of(self.output.type) or ())
        if not 0 <= self.iota_dimension.value.data < rank:
            raise VerifyException("stablehlo.iota: iota_dimension out of range")


ELEMENTWISE_OPS: list[type[IRDLOperation]] = [
    *UNARY_OPS.values(),
    *BINARY_OPS.values(),
    ClampOp,
    CompareOp,
    ConstantOp,
    IotaOp,
    ReducePrecisionOp,
    SelectOp,
]
