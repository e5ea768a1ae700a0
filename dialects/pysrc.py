"""The ``pysrc`` dialect: Python program structure, so converted code prints back as Python.

Statements are ops in a block; the expression a statement needs is computed by the
expression ops just before it (each result used once, as in the source expression tree).
Comments and blank lines ride on the statement ops as ``leading``/``trailing`` properties
(the CST side-table, kept in the IR so a dump can be replayed by ``swc-opt``). Python the
converter does not need to understand is an opaque op holding its exact source.
"""

from __future__ import annotations

from collections.abc import Iterable

from xdsl.dialects.builtin import ArrayAttr, StringAttr, UnitAttr
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import (
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import NoTerminator
from xdsl.utils.exceptions import VerifyException

from switcheroo.dialects.pysrc_create import FastCreate
from switcheroo.dialects.pysrc_walk import ops_of  # noqa: F401 - passes find their ops with pysrc.ops_of
from switcheroo.dialects.pysrc_walk import walk as _walk


@irdl_attr_definition
class ObjectType(ParametrizedAttribute, TypeAttribute):
    """Any Python value."""

    name = "pysrc.obj"


@irdl_attr_definition
class TensorType(ParametrizedAttribute, TypeAttribute):
    """A Python value known to be a framework tensor/array (found by type inference)."""

    name = "pysrc.tensor"


@irdl_attr_definition
class LayerType(ParametrizedAttribute, TypeAttribute):
    """A Python value known to be a constructed layer (a callable module)."""

    name = "pysrc.layer"


ValueType = ObjectType | TensorType | LayerType

_TRIVIA = ("leading", "trailing")


class _Statement(FastCreate):
    """Base of statement ops: comments and blank lines before/after the statement."""

    leading = opt_prop_def(StringAttr)
    trailing = opt_prop_def(StringAttr)
    footer = opt_prop_def(StringAttr)
    loc = opt_prop_def(StringAttr)

    walk = _walk


_STRING: dict[str, StringAttr] = {}
_STRS: dict[tuple[str, ...], ArrayAttr[StringAttr]] = {}  # attributes are immutable: built once


def string(text: str) -> StringAttr:
    """``StringAttr(text)``, built once per text: building one runs xDSL's attribute checks,
    and the frontend gives thousands of ops the same few names, locations and spellings."""
    attr = _STRING.get(text)
    if attr is None:
        if len(_STRING) >= 50_000:  # a long run over many files starts the table afresh
            _STRING.clear()
        attr = _STRING[text] = StringAttr(text)
    return attr


def strs(items: Iterable[str]) -> ArrayAttr[StringAttr]:
    """An array of string attributes (arg names, parameter lists) for the ops below."""
    key = tuple(items)
    attr = _STRS.get(key)
    if attr is None:
        if len(_STRS) >= 20_000:
            _STRS.clear()
        attr = _STRS[key] = ArrayAttr([string(s) for s in key])
    return attr


def _str_list(attr: ArrayAttr[Attribute] | None) -> list[str]:
    if attr is None:
        return []
    return [a.data for a in attr.data if isinstance(a, StringAttr)]


@irdl_op_definition
class ModuleOp(FastCreate):
    """A Python source file. ``header``/``footer`` hold text before/after all statements."""

    name = "pysrc.module"
    body = region_def("single_block")
    header = opt_prop_def(StringAttr)
    footer = opt_prop_def(StringAttr)
    path = opt_prop_def(StringAttr)
    # Findings of the analysis passes, each "LINE:COL<TAB>SEVERITY<TAB>MESSAGE".
    diagnostics = opt_prop_def(ArrayAttr[StringAttr])
    traits = traits_def(NoTerminator())

    walk = _walk


@irdl_op_definition
class ClassOp(_Statement):
    """``class NAME(bases...): body``; ``bases`` are the base-class expressions."""

    name = "pysrc.class"
    sym_name = prop_def(StringAttr)
    bases = var_operand_def(ValueType)
    decorators = opt_prop_def(ArrayAttr[StringAttr])
    body = region_def("single_block")
    traits = traits_def(NoTerminator())


@irdl_op_definition
class FuncOp(_Statement):
    """``def NAME(params): body``. Each param is ``name``, ``name: ann`` or
    ``name=default`` source text; ``param_names`` lists the bare names in order."""

    name = "pysrc.func"
    sym_name = prop_def(StringAttr)
    params = prop_def(ArrayAttr[StringAttr])
    param_names = prop_def(ArrayAttr[StringAttr])
    returns = opt_prop_def(StringAttr)
    decorators = opt_prop_def(ArrayAttr[StringAttr])
    body = region_def("single_block")
    traits = traits_def(NoTerminator())

    def verify_(self) -> None:
        if len(self.params.data) != len(self.param_names.data):
            raise VerifyException("pysrc.func: params and param_names differ in length")


@irdl_op_definition
class AssignOp(_Statement):
    """``targets = value``; targets is the source text of the left-hand side."""

    name = "pysrc.assign"
    value = operand_def(ValueType)
    target = prop_def(StringAttr)
    annotation = opt_prop_def(StringAttr)


@irdl_op_definition
class AugAssignOp(_Statement):
    """``target OP= value`` (in place for mutable values)."""

    name = "pysrc.augassign"
    value = operand_def(ValueType)
    target = prop_def(StringAttr)
    operator = prop_def(StringAttr)


@irdl_op_definition
class ExprStmtOp(_Statement):
    """An expression evaluated for its effect."""

    name = "pysrc.expr"
    value = operand_def(ValueType)


@irdl_op_definition
class ReturnOp(_Statement):
    """``return`` with an optional value."""

    name = "pysrc.return"
    value = var_operand_def(ValueType)

    def verify_(self) -> None:
        if len(self.value) > 1:
            raise VerifyException("pysrc.return takes at most one value (pack a tuple)")


@irdl_op_definition
class IfOp(_Statement):
    """``if cond: then else: orelse`` (an empty else region means no else)."""

    name = "pysrc.if"
    cond = operand_def(ValueType)
    then = region_def("single_block")
    orelse = region_def()
    else_leading = opt_prop_def(StringAttr)
    is_elif = opt_prop_def(StringAttr)
    traits = traits_def(NoTerminator())


@irdl_op_definition
class ForOp(_Statement):
    """``for target in iter: body``."""

    name = "pysrc.for"
    iter = operand_def(ValueType)
    target = prop_def(StringAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator())


@irdl_op_definition
class WhileOp(_Statement):
    """``while cond: body``; the condition is recomputed by its own region."""

    name = "pysrc.while"
    cond = region_def("single_block")
    body = region_def("single_block")
    traits = traits_def(NoTerminator())


@irdl_op_definition
class YieldOp(FastCreate):
    """Ends a ``pysrc.while`` condition region with the condition value."""

    name = "pysrc.yield"
    value = operand_def(ValueType)


@irdl_op_definition
class WithOp(_Statement):
    """``with items: body``; each item is ``expr`` or ``expr as name``."""

    name = "pysrc.with"
    items = var_operand_def(ValueType)
    as_names = prop_def(ArrayAttr[StringAttr])
    body = region_def("single_block")
    traits = traits_def(NoTerminator())


@irdl_op_definition
class OpaqueStmtOp(_Statement):
    """A statement kept verbatim (it needs no conversion, or cannot be converted).
    ``kind`` is ``import`` for import statements, which the backend re-derives."""

    name = "pysrc.opaque"
    code = prop_def(StringAttr)
    kind = opt_prop_def(StringAttr)


# ---- expressions -------------------------------------------------------------------


@irdl_op_definition
class NameOp(FastCreate):
    """Reads a Python variable."""

    name = "pysrc.name"
    id = prop_def(StringAttr)
    result = result_def(ValueType)


@irdl_op_definition
class ConstOp(FastCreate):
    """A literal, kept as its exact source text (``1e-5``, ``'mean'``, ``None``)."""

    name = "pysrc.const"
    code = prop_def(StringAttr)
    result = result_def(ValueType)


@irdl_op_definition
class AttrOp(FastCreate):
    """``obj.attr``."""

    name = "pysrc.attr"
    obj = operand_def(ValueType)
    attr = prop_def(StringAttr)
    result = result_def(ValueType)


@irdl_op_definition
class CallOp(FastCreate):
    """``callee(args...)``; ``arg_names[i]`` is ``''`` (positional), a keyword, ``'*'``
    or ``'**'`` for ``args[i]``."""

    name = "pysrc.call"
    callee = operand_def(ValueType)
    args = var_operand_def(ValueType)
    arg_names = prop_def(ArrayAttr[StringAttr])
    result = result_def(ValueType)

    def verify_(self) -> None:
        if len(self.arg_names.data) != len(self.args):
            raise VerifyException("pysrc.call: one arg_names entry per argument")


@irdl_op_definition
class BinOp(FastCreate):
    """``lhs OP rhs`` for a Python binary operator (``+``, ``@``, ``and``, ``<`` ...)."""

    name = "pysrc.binop"
    lhs = operand_def(ValueType)
    rhs = operand_def(ValueType)
    operator = prop_def(StringAttr)
    result = result_def(ValueType)


@irdl_op_definition
class UnaryOp(FastCreate):
    """``OP operand`` (``-``, ``not``, ``~``, ``+``)."""

    name = "pysrc.unaryop"
    operand = operand_def(ValueType)
    operator = prop_def(StringAttr)
    result = result_def(ValueType)


@irdl_op_definition
class SubscriptOp(FastCreate):
    """``value[index]``."""

    name = "pysrc.subscript"
    value = operand_def(ValueType)
    index = operand_def(ValueType)
    result = result_def(ValueType)


@irdl_op_definition
class SliceOp(FastCreate):
    """``lower:upper:step`` inside a subscript; ``parts`` says which are present."""

    name = "pysrc.slice"
    bounds = var_operand_def(ValueType)
    parts = prop_def(StringAttr)
    result = result_def(ValueType)

    def verify_(self) -> None:
        if len(self.parts.data) != 3 or set(self.parts.data) - {"0", "1"}:
            raise VerifyException("pysrc.slice: parts is a 3-char mask of 0/1")
        if self.parts.data.count("1") != len(self.bounds):
            raise VerifyException("pysrc.slice: one bound per '1' in parts")


@irdl_op_definition
class TupleOp(FastCreate):
    """A display ``(a, b)``; ``kind`` is ``tuple``, ``list``, ``set`` or ``dict`` (for a dict
    the operands alternate key, value). ``bare``: the source wrote the tuple without
    parentheses (``return x, h``); it prints so where the statement allows it."""

    name = "pysrc.tuple"
    elts = var_operand_def(ValueType)
    kind = prop_def(StringAttr)
    bare = opt_prop_def(UnitAttr)
    result = result_def(ValueType)

    def verify_(self) -> None:
        if self.kind.data not in ("tuple", "list", "set", "dict"):
            raise VerifyException(f"pysrc.tuple: bad kind {self.kind.data!r}")
        if self.bare is not None and (self.kind.data != "tuple" or not self.elts):
            raise VerifyException("pysrc.tuple: only a non-empty tuple can be bare")
        if self.kind.data == "dict" and len(self.elts) % 2:
            raise VerifyException("pysrc.tuple: a dict display takes key, value pairs")


@irdl_op_definition
class StarOp(FastCreate):
    """``*value``: a sequence unpacked into the variadic argument of a call, so that
    ``nn.Sequential(*layers)`` binds ``layers`` to the spec's variadic ``layers`` argument."""

    name = "pysrc.star"
    value = operand_def(ValueType)
    result = result_def(ValueType)


@irdl_op_definition
class OpaqueExprOp(FastCreate):
    """An expression kept verbatim (lambda, comprehension, f-string ...)."""

    name = "pysrc.opaque_expr"
    code = prop_def(StringAttr)
    result = result_def(ValueType)


@irdl_op_definition
class CompOp(FastCreate):
    """``[elt for target in iter]`` (``kind``: list, set or gen); the body region computes
    ``elt`` for one element and ends with ``pysrc.yield``, so framework calls inside a
    comprehension (a list of layers) are converted like any other."""

    name = "pysrc.comp"
    iter = operand_def(ValueType)
    target = prop_def(StringAttr)
    kind = prop_def(StringAttr)
    body = region_def("single_block")
    result = result_def(ValueType)
    traits = traits_def(NoTerminator())

    walk = _walk

    def verify_(self) -> None:
        if self.kind.data not in ("list", "set", "gen"):
            raise VerifyException(f"pysrc.comp: bad kind {self.kind.data!r}")
        last = self.body.block.last_op
        if not isinstance(last, YieldOp):
            raise VerifyException("pysrc.comp: the body ends with pysrc.yield")


PYSRC = Dialect(
    "pysrc",
    [
        AssignOp,
        AttrOp,
        AugAssignOp,
        BinOp,
        CallOp,
        ClassOp,
        CompOp,
        ConstOp,
        ExprStmtOp,
        ForOp,
        FuncOp,
        IfOp,
        ModuleOp,
        NameOp,
        OpaqueExprOp,
        OpaqueStmtOp,
        ReturnOp,
        SliceOp,
        StarOp,
        SubscriptOp,
        TupleOp,
        UnaryOp,
        WhileOp,
        WithOp,
        YieldOp,
    ],
    [ObjectType, TensorType, LayerType],
)
