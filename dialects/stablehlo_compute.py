"""Compute-heavy ``stablehlo`` ops: dot, dot_general, convolution, rng, batch norm and
custom_call (reductions live in ``stablehlo_reduce``).
Spec: https://openxla.org/stablehlo/spec
"""

from __future__ import annotations

from typing import ClassVar

from switcheroo.dialects.stablehlo_attrs import (
    ConvDimensionNumbersAttr,
    DotDimensionNumbersAttr,
    ints,
)
from switcheroo.dialects.stablehlo_syntax import (
    KeywordSyntax,
    Kw,
    array_values,
    i64_array,
    parse_kind,
    parse_sig,
    print_attr_dict,
    print_sig,
    shape_of,
    split_attr_dict,
)
from xdsl.dialects.builtin import (
    ArrayAttr,
    BoolAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    i1,
    i64,
)
from xdsl.ir import Attribute
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException


@irdl_op_definition
class DotOp(KeywordSyntax):
    """Vector/matrix product of rank-1/2 operands (TF emits it; JAX uses dot_general).
    Spec: https://github.com/openxla/stablehlo/blob/main/docs/spec.md (legacy ``dot``)"""

    name = "stablehlo.dot"
    SIG: ClassVar[str] = "func"
    KEYWORDS: ClassVar[tuple[Kw, ...]] = (Kw("precision", "precision_config", "precision"),)
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    precision_config = opt_prop_def(ArrayAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        a, b = shape_of(self.lhs.type) or (), shape_of(self.rhs.type) or ()
        if not (1 <= len(a) <= 2 and 1 <= len(b) <= 2) or a[-1] != b[0]:
            raise VerifyException("stablehlo.dot: needs rank 1/2 operands with matching inner dim")


@irdl_op_definition
class DotGeneralOp(IRDLOperation):
    """Batched contraction: batching dims pair up, contracting dims are summed; the result
    is batch dims, then lhs free dims, then rhs free dims.
    Spec: https://openxla.org/stablehlo/spec#dot_general"""

    name = "stablehlo.dot_general"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    dot_dimension_numbers = prop_def(DotDimensionNumbersAttr)
    precision_config = opt_prop_def(ArrayAttr)
    algorithm = opt_prop_def(Attribute)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> DotGeneralOp:
        lhs = parser.parse_operand()
        parser.parse_punctuation(",")
        rhs = parser.parse_operand()
        dims = {"batching_dims": ([], []), "contracting_dims": ([], [])}
        props: dict[str, Attribute] = {}
        while parser.parse_optional_punctuation(","):
            word = parser.parse_identifier()
            parser.parse_punctuation("=")
            if word in dims:
                left = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
                parser.parse_keyword("x")
                right = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
                dims[word] = (left, right)
            elif word == "precision":
                props.update(parse_kind(parser, "precision", "precision_config"))
            elif word == "algorithm":
                props["algorithm"] = parser.parse_attribute()
            else:
                parser.raise_error(f"unexpected clause {word!r} in stablehlo.dot_general")
        (lb, rb), (lc, rc) = dims["batching_dims"], dims["contracting_dims"]
        props["dot_dimension_numbers"] = DotDimensionNumbersAttr(ints(lb), ints(rb), ints(lc), ints(rc))
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        parser.parse_punctuation(":")
        return cls.create(
            operands=[lhs, rhs], result_types=parse_sig(parser, "func", 2),
            properties={**props, **more}, attributes=attrs,
        )

    def print(self, printer: Printer) -> None:
        d = self.dot_dimension_numbers
        printer.print_string(" ")
        printer.print_list(self.operands, printer.print_operand)
        lb, rb = d.get("lhs_batching_dimensions"), d.get("rhs_batching_dimensions")
        if lb:
            printer.print_string(f", batching_dims = {_l(lb)} x {_l(rb)}")
        lc, rc = d.get("lhs_contracting_dimensions"), d.get("rhs_contracting_dimensions")
        printer.print_string(f", contracting_dims = {_l(lc)} x {_l(rc)}")
        if self.precision_config is not None:
            names = ", ".join(p.data.value for p in self.precision_config.data)  # type: ignore[attr-defined]  # PrecisionAttr
            printer.print_string(f", precision = [{names}]")
        if self.algorithm is not None:
            printer.print_string(", algorithm = ")
            printer.print_attribute(self.algorithm)
        print_attr_dict(printer, self, {"dot_dimension_numbers", "precision_config", "algorithm"})
        print_sig(printer, self, "func")

    def verify_(self) -> None:
        d = self.dot_dimension_numbers
        a, b = shape_of(self.lhs.type) or (), shape_of(self.rhs.type) or ()
        for side, shape in (("lhs", a), ("rhs", b)):
            used = list(d.get(f"{side}_batching_dimensions")) + list(d.get(f"{side}_contracting_dimensions"))  # type: ignore[arg-type]
            if len(set(used)) != len(used) or any(not 0 <= i < len(shape) for i in used):
                raise VerifyException(f"stablehlo.dot_general: bad {side} dimension numbers")


def _l(v: object) -> str:
    return "[" + ", ".join(str(i) for i in v) + "]"  # type: ignore[attr-defined]


_WINDOW = (
    ("stride", "window_strides"),
    ("pad", "padding"),
    ("lhs_dilate", "lhs_dilation"),
    ("rhs_dilate", "rhs_dilation"),
    ("reverse", "window_reversal"),
)


@irdl_op_definition
class ConvolutionOp(IRDLOperation):
    """N-d convolution of ``lhs`` (input) with ``rhs`` (kernel), with strides, padding,
    dilations and feature/batch groups. Spec: https://openxla.org/stablehlo/spec#convolution"""

    name = "stablehlo.convolution"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    window_strides = opt_prop_def(DenseArrayBase)
    padding = opt_prop_def(DenseIntOrFPElementsAttr)
    lhs_dilation = opt_prop_def(DenseArrayBase)
    rhs_dilation = opt_prop_def(DenseArrayBase)
    window_reversal = opt_prop_def(DenseArrayBase)
    dimension_numbers = prop_def(ConvDimensionNumbersAttr)
    feature_group_count = prop_def(IntegerAttr)
    batch_group_count = prop_def(IntegerAttr)
    precision_config = opt_prop_def(ArrayAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> ConvolutionOp:
        lhs, rhs = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_operand)
        parser.parse_keyword("dim_numbers")
        parser.parse_punctuation("=")
        props: dict[str, Attribute] = {"dimension_numbers": ConvDimensionNumbersAttr.parse_compact(parser)}
        if parser.parse_optional_punctuation(","):
            parser.parse_keyword("window")
            parser.parse_punctuation("=")
            names = dict(_WINDOW)

            def entry() -> None:
                word = parser.parse_identifier()
                parser.parse_punctuation("=")
                if word not in names:
                    parser.raise_error(f"unknown window field {word!r}")
                if word == "pad":
                    rows = parser.parse_comma_separated_list(
                        parser.Delimiter.SQUARE,
                        lambda: parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer),
                    )
                    flat = [v for r in rows for v in r]
                    props["padding"] = DenseIntOrFPElementsAttr.from_list(TensorType(i64, [len(rows), 2]), flat)
                elif word == "reverse":
                    vals = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
                    props["window_reversal"] = DenseArrayBase.from_list(i1, [bool(v) for v in vals])
                else:
                    vals = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
                    props[names[word]] = i64_array(vals)

            parser.parse_comma_separated_list(parser.Delimiter.BRACES, entry)
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        parser.parse_punctuation(":")
        return cls.create(
            operands=[lhs, rhs], result_types=parse_sig(parser, "func", 2),
            properties={**props, **more}, attributes=attrs,
        )

    def print(self, printer: Printer) -> None:
        printer.print_string("(")
        printer.print_list(self.operands, printer.print_operand)
        printer.print_string(f") dim_numbers = {self.dimension_numbers.compact()}")
        parts = []
        for word, prop in _WINDOW:
            val = self.properties.get(prop)
            if val is None:
                continue
            if word == "pad":
                flat = list(self.padding.get_values())  # type: ignore[union-attr]
                rows = [f"[{flat[i]}, {flat[i + 1]}]" for i in range(0, len(flat), 2)]
                parts.append(f"pad = [{', '.join(rows)}]")
            elif word == "reverse":
                parts.append(f"reverse = [{', '.join(str(bool(v)).lower() for v in array_values(val))}]")
            else:
                parts.append(f"{word} = {_l(array_values(val))}")
        if parts:
            printer.print_string(", window = {" + ", ".join(parts) + "}")
        print_attr_dict(printer, self, {"dimension_numbers", *(p for _, p in _WINDOW)})
        print_sig(printer, self, "func")

    def verify_(self) -> None:
        a, b, r = (shape_of(v.type) or () for v in (self.lhs, self.rhs, self.result))
        if not len(a) == len(b) == len(r):
            raise VerifyException("stablehlo.convolution: input, kernel and result ranks differ")
        if len(self.dimension_numbers.input_spatial_dimensions) != len(a) - 2:
            raise VerifyException("stablehlo.convolution: dimension numbers do not fit the rank")


@irdl_op_definition
class RngOp(KeywordSyntax):
    """Random numbers of ``shape`` from a uniform [a, b) or normal(a, b) distribution.
    Spec: https://openxla.org/stablehlo/spec#rng"""

    name = "stablehlo.rng"
    SIG: ClassVar[str] = "func"
    KEYWORDS: ClassVar[tuple[Kw, ...]] = (Kw("distribution", "rng_distribution", "rng_distribution"),)
    a = operand_def(TensorType)
    b = operand_def(TensorType)
    shape = operand_def(TensorType)
    rng_distribution = prop_def(Attribute)
    result = result_def(TensorType)


@irdl_op_definition
class RngBitGeneratorOp(KeywordSyntax):
    """Random bits and the next generator state. Spec: https://openxla.org/stablehlo/spec#rng_bit_generator"""

    name = "stablehlo.rng_bit_generator"
    SIG: ClassVar[str] = "func"
    KEYWORDS: ClassVar[tuple[Kw, ...]] = (Kw("algorithm", "rng_algorithm", "rng_algorithm"),)
    initial_state = operand_def(TensorType)
    rng_algorithm = prop_def(Attribute)
    output_state = result_def(TensorType)
    output = result_def(TensorType)


class _BatchNorm(IRDLOperation):
    epsilon = prop_def(FloatAttr)
    feature_index = prop_def(IntegerAttr)
    traits = traits_def(Pure())

    def verify_(self) -> None:
        rank = len(shape_of(self.operands[0].type) or ())
        if not 0 <= self.feature_index.value.data < rank:
            raise VerifyException(f"{self.name}: feature_index out of range")


@irdl_op_definition
class BatchNormInferenceOp(_BatchNorm):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` per feature.
    Spec: https://openxla.org/stablehlo/spec#batch_norm_inference"""

    name = "stablehlo.batch_norm_inference"
    operand = operand_def(TensorType)
    scale = operand_def(TensorType)
    offset = operand_def(TensorType)
    mean = operand_def(TensorType)
    variance = operand_def(TensorType)
    result = result_def(TensorType)


@irdl_op_definition
class BatchNormTrainingOp(_BatchNorm):
    """Batch norm with batch statistics; returns output, batch mean and batch variance.
    Spec: https://openxla.org/stablehlo/spec#batch_norm_training"""

    name = "stablehlo.batch_norm_training"
    operand = operand_def(TensorType)
    scale = operand_def(TensorType)
    offset = operand_def(TensorType)
    output = result_def(TensorType)
    batch_mean = result_def(TensorType)
    batch_var = result_def(TensorType)


@irdl_op_definition
class BatchNormGradOp(_BatchNorm):
    """Gradients of batch norm w.r.t. operand, scale and offset.
    Spec: https://openxla.org/stablehlo/spec#batch_norm_grad"""

    name = "stablehlo.batch_norm_grad"
    operand = operand_def(TensorType)
    scale = operand_def(TensorType)
    mean = operand_def(TensorType)
    variance = operand_def(TensorType)
    grad_output = operand_def(TensorType)
    grad_operand = result_def(TensorType)
    grad_scale = result_def(TensorType)
    grad_offset = result_def(TensorType)


@irdl_op_definition
class CustomCallOp(IRDLOperation):
    """An opaque call of ``call_target_name`` implemented outside StableHLO; kept as is.
    Spec: https://openxla.org/stablehlo/spec#custom_call"""

    name = "stablehlo.custom_call"
    inputs = var_operand_def(Attribute)
    call_target_name = prop_def(StringAttr)
    has_side_effect = opt_prop_def(BoolAttr)
    backend_config = opt_prop_def(Attribute)
    api_version = opt_prop_def(IntegerAttr)
    called_computations = opt_prop_def(ArrayAttr)
    operand_layouts = opt_prop_def(ArrayAttr)
    result_layouts = opt_prop_def(ArrayAttr)
    output_operand_aliases = opt_prop_def(ArrayAttr)
    result = var_result_def(Attribute)

    @classmethod
    def parse(cls, parser: Parser) -> CustomCallOp:
        target = parser.parse_symbol_name()
        ins = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_operand)
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        parser.parse_punctuation(":")
        res = parse_sig(parser, "func", len(ins))
        return cls.create(
            operands=ins, result_types=res,
            properties={"call_target_name": target, **more}, attributes=attrs,
        )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_symbol_name(self.call_target_name.data)
        printer.print_string("(")
        printer.print_list(self.inputs, printer.print_operand)
        printer.print_string(")")
        print_attr_dict(printer, self, {"call_target_name"})
        print_sig(printer, self, "func")


COMPUTE_OPS: list[type[IRDLOperation]] = [
    BatchNormGradOp,
    BatchNormInferenceOp,
    BatchNormTrainingOp,
    ConvolutionOp,
    CustomCallOp,
    DotGeneralOp,
    DotOp,
    RngBitGeneratorOp,
    RngOp,
]
