"""Attributes of the ``stablehlo`` dialect: enums and dimension-number structs.

They print exactly as the StableHLO C++ dialect does, so jaxlib's parser reads our output:
enums in the opaque form ``#stablehlo<precision DEFAULT>``, structs as
``#stablehlo.dot<lhs_contracting_dimensions = [1], ...>`` with empty fields left out, and
convolution dimension numbers in their compact ``[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]``
form. Spec: https://openxla.org/stablehlo/spec
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import ArrayAttr, IntAttr
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Attribute, ParametrizedAttribute, SpacedOpaqueSyntaxAttribute
from xdsl.irdl import irdl_attr_definition, param_def
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum


class Precision(StrEnum):
    DEFAULT = "DEFAULT"
    HIGH = "HIGH"
    HIGHEST = "HIGHEST"


class ComparisonDirection(StrEnum):
    EQ = "EQ"
    NE = "NE"
    GE = "GE"
    GT = "GT"
    LE = "LE"
    LT = "LT"


class ComparisonType(StrEnum):
    NOTYPE = "NOTYPE"
    FLOAT = "FLOAT"
    TOTALORDER = "TOTALORDER"
    SIGNED = "SIGNED"
    UNSIGNED = "UNSIGNED"


class Transpose(StrEnum):
    TRANSPOSE_INVALID = "TRANSPOSE_INVALID"
    NO_TRANSPOSE = "NO_TRANSPOSE"
    TRANSPOSE = "TRANSPOSE"
    ADJOINT = "ADJOINT"


class RngDistribution(StrEnum):
    UNIFORM = "UNIFORM"
    NORMAL = "NORMAL"


class RngAlgorithm(StrEnum):
    DEFAULT = "DEFAULT"
    THREE_FRY = "THREE_FRY"
    PHILOX = "PHILOX"


class FftType(StrEnum):
    FFT = "FFT"
    IFFT = "IFFT"
    RFFT = "RFFT"
    IRFFT = "IRFFT"


@irdl_attr_definition
class PrecisionAttr(EnumAttribute[Precision], SpacedOpaqueSyntaxAttribute):
    """Precision of a dot or convolution operand (spec: ``precision_config``)."""

    name = "stablehlo.precision"


@irdl_attr_definition
class ComparisonDirectionAttr(EnumAttribute[ComparisonDirection], SpacedOpaqueSyntaxAttribute):
    """The relation ``stablehlo.compare`` tests."""

    name = "stablehlo.comparison_direction"


@irdl_attr_definition
class ComparisonTypeAttr(EnumAttribute[ComparisonType], SpacedOpaqueSyntaxAttribute):
    """How ``stablehlo.compare`` orders its operands (float, total order, signed...)."""

    name = "stablehlo.comparison_type"


@irdl_attr_definition
class TransposeAttr(EnumAttribute[Transpose], SpacedOpaqueSyntaxAttribute):
    """Operand transposition of ``stablehlo.triangular_solve``."""

    name = "stablehlo.transpose"


@irdl_attr_definition
class RngDistributionAttr(EnumAttribute[RngDistribution], SpacedOpaqueSyntaxAttribute):
    """Distribution drawn by ``stablehlo.rng``."""

    name = "stablehlo.rng_distribution"


@irdl_attr_definition
class RngAlgorithmAttr(EnumAttribute[RngAlgorithm], SpacedOpaqueSyntaxAttribute):
    """Bit generator of ``stablehlo.rng_bit_generator``."""

    name = "stablehlo.rng_algorithm"


@irdl_attr_definition
class FftTypeAttr(EnumAttribute[FftType], SpacedOpaqueSyntaxAttribute):
    """Transform computed by ``stablehlo.fft``."""

    name = "stablehlo.fft_type"


def ints(values: Sequence[int]) -> ArrayAttr[IntAttr]:
    return ArrayAttr(IntAttr(v) for v in values)


def int_list(parser: AttrParser) -> list[int]:
    """``[1, 2]`` -> ``[1, 2]``."""
    return parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)


def print_int_list(printer: Printer, values: Sequence[int]) -> None:
    printer.print_string("[" + ", ".join(str(v) for v in values) + "]")


class _StructAttr(ParametrizedAttribute):
    """A struct attribute ``<field = value, ...>``; ``FIELDS`` lists (name, is_list) in
    parameter order. List fields hold ``ArrayAttr[IntAttr]``, scalars ``IntAttr``."""

    FIELDS: ClassVar[tuple[tuple[str, bool], ...]] = ()

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        values: dict[str, Attribute] = {}

        def entry() -> None:
            key = parser.parse_identifier()
            kinds = dict(cls.FIELDS)
            if key not in kinds:
                parser.raise_error(f"unknown field {key!r} of #{cls.name}")
            parser.parse_punctuation("=")
            values[key] = ints(int_list(parser)) if kinds[key] else IntAttr(parser.parse_integer())

        parser.parse_comma_separated_list(parser.Delimiter.ANGLE, entry)
        return [values.get(n, ints([]) if is_list else IntAttr(0)) for n, is_list in cls.FIELDS]

    def print_parameters(self, printer: Printer) -> None:
        parts = []
        for n, is_list in self.FIELDS:
            v = getattr(self, n)
            if is_list and v.data:
                parts.append(f"{n} = [{', '.join(str(i.data) for i in v.data)}]")
            elif not is_list:
                parts.append(f"{n} = {v.data}")
        printer.print_string("<" + ", ".join(parts) + ">")

    def get(self, field: str) -> list[int] | int:
        v = getattr(self, field)
        return [i.data for i in v.data] if isinstance(v, ArrayAttr) else v.data


@irdl_attr_definition
class DotDimensionNumbersAttr(_StructAttr):
    """Batching and contracting dimensions of ``stablehlo.dot_general``."""

    name = "stablehlo.dot"
    FIELDS = (
        ("lhs_batching_dimensions", True),
        ("rhs_batching_dimensions", True),
        ("lhs_contracting_dimensions", True),
        ("rhs_contracting_dimensions", True),
    )
    lhs_batching_dimensions: ArrayAttr[IntAttr] = param_def()
    rhs_batching_dimensions: ArrayAttr[IntAttr] = param_def()
    lhs_contracting_dimensions: ArrayAttr[IntAttr] = param_def()
    rhs_contracting_dimensions: ArrayAttr[IntAttr] = param_def()

    def verify(self) -> None:
        if len(self.lhs_batching_dimensions) != len(self.rhs_batching_dimensions):
            raise VerifyException("#stablehlo.dot: batching dimension lists differ in size")
        if len(self.lhs_contracting_dimensions) != len(self.rhs_contracting_dimensions):
            raise VerifyException("#stablehlo.dot: contracting dimension lists differ in size")


@irdl_attr_definition
class GatherDimensionNumbersAttr(_StructAttr):
    """Dimension numbers of ``stablehlo.gather``."""

    name = "stablehlo.gather"
    FIELDS = (
        ("offset_dims", True),
        ("collapsed_slice_dims", True),
        ("operand_batching_dims", True),
        ("start_indices_batching_dims", True),
        ("start_index_map", True),
        ("index_vector_dim", False),
    )
    offset_dims: ArrayAttr[IntAttr] = param_def()
    collapsed_slice_dims: ArrayAttr[IntAttr] = param_def()
    operand_batching_dims: ArrayAttr[IntAttr] = param_def()
    start_indices_batching_dims: ArrayAttr[IntAttr] = param_def()
    start_index_map: ArrayAttr[IntAttr] = param_def()
    index_vector_dim: IntAttr = param_def()


@irdl_attr_definition
class ScatterDimensionNumbersAttr(_StructAttr):
    """Dimension numbers of ``stablehlo.scatter``."""

    name = "stablehlo.scatter"
    FIELDS = (
        ("update_window_dims", True),
        ("inserted_window_dims", True),
        ("input_batching_dims", True),
        ("scatter_indices_batching_dims", True),
        ("scatter_dims_to_operand_dims", True),
        ("index_vector_dim", False),
    )
    update_window_dims: ArrayAttr[IntAttr] = param_def()
    inserted_window_dims: ArrayAttr[IntAttr] = param_def()
    input_batching_dims: ArrayAttr[IntAttr] = param_def()
    scatter_indices_batching_dims: ArrayAttr[IntAttr] = param_def()
    scatter_dims_to_operand_dims: ArrayAttr[IntAttr] = param_def()
    index_vector_dim: IntAttr = param_def()


@irdl_attr_definition
class ChannelHandleAttr(_StructAttr):
    """Channel of a collective op (``handle``, ``type``)."""

    name = "stablehlo.channel_handle"
    FIELDS = (("handle", False), ("type", False))
    handle: IntAttr = param_def()
    type: IntAttr = param_def()


@irdl_attr_definition
class OutputOperandAliasAttr(_StructAttr):
    """An output of ``stablehlo.custom_call`` that aliases an operand."""

    name = "stablehlo.output_operand_alias"
    FIELDS = (
        ("output_tuple_indices", True),
        ("operand_index", False),
        ("operand_tuple_indices", True),
    )
    output_tuple_indices: ArrayAttr[IntAttr] = param_def()
    operand_index: IntAttr = param_def()
    operand_tuple_indices: ArrayAttr[IntAttr] = param_def()


class ConvLayout:
    """One side of a convolution layout: batch/feature (or in/out feature) and spatial
    dimension indices, read from and printed as ``[b, 0, 1, f]``."""

    @staticmethod
    def parse(parser: AttrParser, first: str, second: str) -> tuple[int, int, list[int]]:
        items = parser.parse_comma_separated_list(
            parser.Delimiter.SQUARE, lambda: _layout_item(parser)
        )
        if first not in items or second not in items:
            parser.raise_error(f"convolution layout needs {first!r} and {second!r}")
        spatial = sorted(
            (int(s), i) for i, s in enumerate(items) if s not in (first, second)
        )
        if [s for s, _ in spatial] != list(range(len(spatial))):
            parser.raise_error("convolution spatial dimensions must be 0..n-1")
        return items.index(first), items.index(second), [i for _, i in spatial]

    @staticmethod
    def text(first: tuple[str, int], second: tuple[str, int], spatial: Sequence[int]) -> str:
        slots = [""] * (2 + len(spatial))
        slots[first[1]] = first[0]
        slots[second[1]] = second[0]
        for n, d in enumerate(spatial):
            slots[d] = str(n)
        return "[" + ", ".join(slots) + "]"


def _layout_item(parser: AttrParser) -> str:
    """A spatial index (``0``) or a letter (``b``, ``f``, ``i``, ``o``)."""
    n = parser.parse_optional_integer(allow_boolean=False, allow_negative=False)
    return str(n) if n is not None else parser.parse_identifier()


@irdl_attr_definition
class ConvDimensionNumbersAttr(ParametrizedAttribute):
    """Dimension layout of ``stablehlo.convolution``: input, kernel and output."""

    name = "stablehlo.conv"
    input_batch_dimension: IntAttr = param_def()
    input_feature_dimension: IntAttr = param_def()
    input_spatial_dimensions: ArrayAttr[IntAttr] = param_def()
    kernel_input_feature_dimension: IntAttr = param_def()
    kernel_output_feature_dimension: IntAttr = param_def()
    kernel_spatial_dimensions: ArrayAttr[IntAttr] = param_def()
    output_batch_dimension: IntAttr = param_def()
    output_feature_dimension: IntAttr = param_def()
    output_spatial_dimensions: ArrayAttr[IntAttr] = param_def()

    @classmethod
    def parse_compact(cls, parser: AttrParser) -> ConvDimensionNumbersAttr:
        """``[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]`` (no angle brackets)."""
        ib, if_, isp = ConvLayout.parse(parser, "b", "f")
        parser.parse_keyword("x")
        ki, ko, ksp = ConvLayout.parse(parser, "i", "o")
        parser.parse_punctuation("->")
        ob, of, osp = ConvLayout.parse(parser, "b", "f")
        return cls(
            IntAttr(ib), IntAttr(if_), ints(isp), IntAttr(ki), IntAttr(ko), ints(ksp),
            IntAttr(ob), IntAttr(of), ints(osp),
        )

    def compact(self) -> str:
        d = self
        return (
            ConvLayout.text(
                ("b", d.input_batch_dimension.data), ("f", d.input_feature_dimension.data),
                [i.data for i in d.input_spatial_dimensions],
            )
            + "x"
            + ConvLayout.text(
                ("i", d.kernel_input_feature_dimension.data),
                ("o", d.kernel_output_feature_dimension.data),
                [i.data for i in d.kernel_spatial_dimensions],
            )
            + "->"
            + ConvLayout.text(
                ("b", d.output_batch_dimension.data), ("f", d.output_feature_dimension.data),
                [i.data for i in d.output_spatial_dimensions],
            )
        )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            return list(cls.parse_compact(parser).parameters)

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<{self.compact()}>")


STABLEHLO_ATTRS: list[type[Attribute]] = [
    ChannelHandleAttr,
    ComparisonDirectionAttr,
    ComparisonTypeAttr,
    ConvDimensionNumbersAttr,
    DotDimensionNumbersAttr,
    FftTypeAttr,
    GatherDimensionNumbersAttr,
    OutputOperandAliasAttr,
    PrecisionAttr,
    RngAlgorithmAttr,
    RngDistributionAttr,
    ScatterDimensionNumbersAttr,
    TransposeAttr,
]
