"""Control-flow ``stablehlo`` ops: while, if, case and the region terminator return.
Spec: https://openxla.org/stablehlo/spec#while
"""

from __future__ import annotations

from typing import ClassVar

from switcheroo.dialects.stablehlo_syntax import KeywordSyntax, split_attr_dict
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    region_def,
    traits_def,
    var_operand_def,
    var_region_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import IsTerminator
from xdsl.utils.exceptions import VerifyException


@irdl_op_definition
class ReturnOp(KeywordSyntax):
    """Ends a stablehlo region, yielding its values. Spec: https://openxla.org/stablehlo/spec#return"""

    name = "stablehlo.return"
    SIG: ClassVar[str] = "operands"
    results_ = var_operand_def(Attribute)
    traits = traits_def(IsTerminator())


@irdl_op_definition
class WhileOp(IRDLOperation):
    """Loop: while ``cond(state)`` is true, ``state = body(state)``; returns the final
    state. Spec: https://openxla.org/stablehlo/spec#while"""

    name = "stablehlo.while"
    operand = var_operand_def(Attribute)
    cond = region_def("single_block")
    body = region_def("single_block")
    result = var_result_def(Attribute)

    @classmethod
    def parse(cls, parser: Parser) -> WhileOp:
        def binding() -> tuple:
            arg = parser.parse_argument(expect_type=False)
            parser.parse_punctuation("=")
            return arg, parser.parse_operand()

        pairs = parser.parse_comma_separated_list(parser.Delimiter.PAREN, binding)
        types: list[Attribute] = []
        if parser.parse_optional_punctuation(":") is not None:
            types = parser.parse_comma_separated_list(parser.Delimiter.NONE, parser.parse_type)
        attrs = parser.parse_optional_attr_dict_with_keyword()
        args = [a.resolve(t) for (a, _), t in zip(pairs, types, strict=True)]
        parser.parse_keyword("cond")
        cond = parser.parse_region(args)
        parser.parse_keyword("do")
        body = parser.parse_region(args)
        more, rest = split_attr_dict(cls, dict(attrs.data) if attrs else {})
        return cls.create(
            operands=[v for _, v in pairs], result_types=types, properties=more,
            attributes=rest, regions=[cond, body],
        )

    def print(self, printer: Printer) -> None:
        cond_args, body_args = self.cond.block.args, self.body.block.args
        printer.print_string("(")
        for i, (a, v) in enumerate(zip(cond_args, self.operand, strict=True)):
            printer.print_string(", " if i else "")
            name = printer.print_ssa_value(a)
            # Both regions bind the same names, as MLIR's shadowRegionArgs does.
            printer._ssa_values[body_args[i]] = name
            printer.print_string(" = ")
            printer.print_operand(v)
        printer.print_string(")")
        if self.operand:
            printer.print_string(" : ")
            printer.print_list([v.type for v in self.operand], printer.print_attribute)
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" cond ")
        printer.print_region(self.cond, print_entry_block_args=False)
        printer.print_string(" do ")
        printer.print_region(self.body, print_entry_block_args=False)

    def verify_(self) -> None:
        types = [v.type for v in self.operand]
        for region in (self.cond, self.body):
            if [a.type for a in region.block.args] != types:
                raise VerifyException("stablehlo.while: region arguments must match operands")
        if [r.type for r in self.result] != types:
            raise VerifyException("stablehlo.while: results must match operands")


@irdl_op_definition
class IfOp(IRDLOperation):
    """Run ``true_branch`` or ``false_branch`` on a scalar i1 ``pred`` (generic form).
    Spec: https://openxla.org/stablehlo/spec#if"""

    name = "stablehlo.if"
    pred = operand_def(TensorType)
    true_branch = region_def("single_block")
    false_branch = region_def("single_block")
    result = var_result_def(Attribute)


@irdl_op_definition
class CaseOp(IRDLOperation):
    """Run branch ``index`` (out of range picks the last) (generic form).
    Spec: https://openxla.org/stablehlo/spec#case"""

    name = "stablehlo.case"
    index = operand_def(TensorType)
    branches = var_region_def("single_block")
    result = var_result_def(Attribute)

    def verify_(self) -> None:
        if not self.branches:
            raise VerifyException("stablehlo.case: needs at least one branch")


CONTROL_OPS: list[type[IRDLOperation]] = [CaseOp, IfOp, ReturnOp, WhileOp]
