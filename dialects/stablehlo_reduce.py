"""Reductions with a combiner region: reduce (pretty ``applies``/``reducer`` forms),
reduce_window, select_and_scatter and sort. Spec: https://openxla.org/stablehlo/spec#reduce
"""

from __future__ import annotations

from switcheroo.dialects.stablehlo_syntax import (
    array_values,
    i64_array,
    parse_sig,
    print_attr_dict,
    print_sig,
    shape_of,
    split_attr_dict,
)
from xdsl.dialects.builtin import (
    BoolAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    TensorType,
)
from xdsl.ir import Attribute, Block, Region
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException


def _l(v: object) -> str:
    return "[" + ", ".join(str(i) for i in v) + "]"  # type: ignore[attr-defined]


def _reducer_region(parser: Parser, op_name: str, elem_types: list[Attribute]) -> Region:
    """The body of ``applies OP``: block (a, b) -> OP(a, b) -> return."""
    from switcheroo.dialects.stablehlo_control import ReturnOp

    op_cls = parser.ctx.get_optional_op(op_name)
    if op_cls is None:
        parser.raise_error(f"unknown reducer {op_name!r}")
    block = Block(arg_types=[*elem_types, *elem_types])
    inner = op_cls.create(operands=list(block.args), result_types=list(elem_types))
    block.add_ops([inner, ReturnOp.create(operands=list(inner.results))])
    return Region(block)


def _compact_reducer(body: Region) -> str | None:
    """The op name when ``body`` is ``return OP(arg0, arg1)``, else None."""
    block = body.block
    ops = list(block.ops)
    if len(block.args) != 2 or len(ops) != 2:
        return None
    inner, ret = ops
    if (
        list(inner.operands) != list(block.args)
        or inner.attributes
        or inner.properties
        or list(ret.operands) != list(inner.results)
        or not inner.name.startswith("stablehlo.")
    ):
        return None
    return inner.name


@irdl_op_definition
class ReduceOp(IRDLOperation):
    """Reduce ``inputs`` over ``dimensions`` with the ``body`` region, starting from
    ``init_values``. Spec: https://openxla.org/stablehlo/spec#reduce"""

    name = "stablehlo.reduce"
    # inputs..., init_values... (N, N): one variadic, split by the accessors.
    args = var_operand_def(TensorType)
    dimensions = prop_def(DenseArrayBase)
    body = region_def("single_block")
    result = var_result_def(TensorType)

    @property
    def inputs(self) -> tuple:
        return tuple(self.args[: len(self.args) // 2])

    @property
    def init_values(self) -> tuple:
        return tuple(self.args[len(self.args) // 2 :])

    @classmethod
    def parse(cls, parser: Parser) -> ReduceOp:
        def pair() -> tuple:
            with parser.in_parens():
                x = parser.parse_operand()
                parser.parse_keyword("init")
                parser.parse_punctuation(":")
                return x, parser.parse_operand()

        pairs = parser.parse_comma_separated_list(parser.Delimiter.NONE, pair)
        reducer = None
        if parser.parse_optional_keyword("applies"):
            reducer = parser.parse_identifier()
        parser.parse_keyword("across")
        parser.parse_keyword("dimensions")
        parser.parse_punctuation("=")
        dims = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
        more, attrs = split_attr_dict(cls, parser.parse_optional_attr_dict())
        parser.parse_punctuation(":")
        res = parse_sig(parser, "func", 2 * len(pairs))
        elem = [TensorType(p[1].type.get_element_type(), []) for p in pairs]
        if reducer is not None:
            body = _reducer_region(parser, reducer, elem)
        else:
            parser.parse_keyword("reducer")
            arg_pairs = [
                parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_argument)
                for _ in pairs
            ]
            args = [p[0] for p in arg_pairs] + [p[1] for p in arg_pairs]
            body = parser.parse_region(args)
        return cls.create(
            operands=[p[0] for p in pairs] + [p[1] for p in pairs], result_types=res,
            properties={"dimensions": i64_array(dims), **more}, attributes=attrs, regions=[body],
        )

    def print(self, printer: Printer) -> None:
        for i, (x, init) in enumerate(zip(self.inputs, self.init_values, strict=True)):
            printer.print_string(", " if i else "")
            printer.print_string("(")
            printer.print_operand(x)
            printer.print_string(" init: ")
            printer.print_operand(init)
            printer.print_string(")")
        compact = _compact_reducer(self.body) if len(self.inputs) == 1 else None
        if compact is not None:
            printer.print_string(f" applies {compact}")
        printer.print_string(f" across dimensions = {_l(array_values(self.dimensions))}")
        print_attr_dict(printer, self, {"dimensions"})
        print_sig(printer, self, "func")
        if compact is None:
            n = len(self.inputs)
            args = self.body.block.args
            printer.print_string(" reducer")
            for i in range(n):
                printer.print_string("(")
                printer.print_block_argument(args[i])
                printer.print_string(", ")
                printer.print_block_argument(args[n + i])
                printer.print_string(") ")
            printer.print_region(self.body, print_entry_block_args=False)

    def verify_(self) -> None:
        if len(self.args) % 2 or len(self.result) != len(self.args) // 2:
            raise VerifyException("stablehlo.reduce: inputs and init_values pair up with results")
        rank = len(shape_of(self.args[0].type) or ())
        dims = array_values(self.dimensions)
        if any(not 0 <= d < rank for d in dims) or len(set(dims)) != len(dims):
            raise VerifyException("stablehlo.reduce: dimensions out of range or repeated")
        for r in self.result:
            if len(shape_of(r.type) or ()) != rank - len(dims):
                raise VerifyException("stablehlo.reduce: result rank must drop the reduced dims")


@irdl_op_definition
class ReduceWindowOp(IRDLOperation):
    """Reduce each window of the inputs (pooling) with the ``body`` region (generic form).
    Spec: https://openxla.org/stablehlo/spec#reduce_window"""

    name = "stablehlo.reduce_window"
    args = var_operand_def(TensorType)
    window_dimensions = prop_def(DenseArrayBase)
    window_strides = opt_prop_def(DenseArrayBase)
    base_dilations = opt_prop_def(DenseArrayBase)
    window_dilations = opt_prop_def(DenseArrayBase)
    padding = opt_prop_def(DenseIntOrFPElementsAttr)
    body = region_def("single_block")
    result = var_result_def(TensorType)

    def verify_(self) -> None:
        rank = len(shape_of(self.args[0].type) or ())
        if len(self.window_dimensions) != rank:
            raise VerifyException("stablehlo.reduce_window: one window size per dimension")


@irdl_op_definition
class SelectAndScatterOp(IRDLOperation):
    """Scatter ``source`` to the element each window of ``operand`` selects (the gradient
    of max pooling). Spec: https://openxla.org/stablehlo/spec#select_and_scatter"""

    name = "stablehlo.select_and_scatter"
    operand = operand_def(TensorType)
    source = operand_def(TensorType)
    init_value = operand_def(TensorType)
    window_dimensions = opt_prop_def(DenseArrayBase)
    window_strides = opt_prop_def(DenseArrayBase)
    padding = opt_prop_def(DenseIntOrFPElementsAttr)
    select = region_def("single_block")
    scatter = region_def("single_block")
    result = result_def(TensorType)


@irdl_op_definition
class SortOp(IRDLOperation):
    """Sort inputs together along ``dimension`` by the ``comparator`` region.
    Spec: https://openxla.org/stablehlo/spec#sort"""

    name = "stablehlo.sort"
    inputs = var_operand_def(TensorType)
    dimension = opt_prop_def(IntegerAttr)
    is_stable = opt_prop_def(BoolAttr)
    comparator = region_def("single_block")
    result = var_result_def(TensorType)


REDUCE_OPS: list[type[IRDLOperation]] = [ReduceOp, ReduceWindowOp, SelectAndScatterOp, SortOp]
