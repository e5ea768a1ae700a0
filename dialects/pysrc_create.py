"""``Operation.create`` in one step, for the ops the converter builds by the thousand.

A conversion creates some five thousand ``pysrc``, ``fw`` and ``hub`` ops. xDSL's
``Operation.create`` runs ``Operation.__init__``, whose property setters rebuild the
operand, successor and region tuples through a few calls each, and then
``IRDLOperation.__post_init__``, which looks up the op's definition to fill in default
properties every time: together about half of an op's creation. :class:`FastCreate` sets
the same fields to the same values directly, with the defaults to fill read once per op
class. An op class whose ``__post_init__`` is its own, or a creation with successors, goes
through xDSL's path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Self

from xdsl.dialects.builtin import UNKNOWN_LOC
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.core import OpResult, SSAValues, Use
from xdsl.irdl import IRDLOperation
from xdsl.irdl.operations import (
    BaseAccessor,
    BeforeVariadicSingleAccessor,
    OptionalDef,
    UniqueVariadicAccessor,
    VarIRConstruct,
)

_Defaults = tuple[tuple[tuple[str, Attribute], ...], tuple[tuple[str, Attribute], ...]]
# op class -> (default properties, default attributes) to fill in, or None where the class
# does more at creation than IRDLOperation does (its own __post_init__).
_DEFAULTS: dict[type, _Defaults | None] = {}
_NO_VALUES: SSAValues = SSAValues()
_item = tuple.__getitem__  # SSAValues' own, for an int index


class _Accessor:
    """A named operand or result of an op class: xDSL's accessor's ``index`` applied to
    the op's operand tuple (its results) directly. One before any variadic (a call's
    callee, an op's result) is read off the tuple; the only variadic of an op that has no
    other (a call's arguments) is the tuple itself, as xDSL's slice of all of it equals."""

    __slots__ = ("at", "index", "operands", "whole")

    def __init__(self, accessor: BaseAccessor) -> None:
        self.index = accessor.index
        self.operands = accessor.construct is VarIRConstruct.OPERAND
        self.at = accessor.idx if type(accessor) is BeforeVariadicSingleAccessor else None
        self.whole = type(accessor) is UniqueVariadicAccessor and accessor.idx == 0 and accessor.num_defs == 1

    def __get__(self, obj: Operation | None, objtype: type | None = None) -> object:
        if obj is None:
            return self
        values = obj._operands if self.operands else obj.results  # pyright: ignore[reportPrivateUsage]
        if self.at is not None:
            return _item(values, self.at)
        if self.whole:
            return values
        return self.index(values)

    def __set__(self, obj: Operation, value: object) -> None:
        raise NotImplementedError("Cannot write to named operands, regions, results, or successors.")


def _defaults(cls: type[IRDLOperation]) -> _Defaults | None:
    if cls.__post_init__ is not IRDLOperation.__post_init__:
        return None
    for name, accessor in list(vars(cls).items()):
        if isinstance(accessor, BaseAccessor) and type(accessor).__get__ is BaseAccessor.__get__ \
                and accessor.construct in (VarIRConstruct.OPERAND, VarIRConstruct.RESULT):
            setattr(cls, name, _Accessor(accessor))
    op_def = cls.get_irdl_definition()
    props = tuple((n, d.default_value) for n, d in op_def.properties.items()
                  if not isinstance(d, OptionalDef) and d.default_value is not None)
    attrs = tuple((n, d.default_value) for n, d in op_def.attributes.items()
                  if not isinstance(d, OptionalDef) and d.default_value is not None)
    return props, attrs


class FastCreate(IRDLOperation):
    """Base of op classes whose ``create`` sets the op's fields directly (see module
    docstring); the op it returns is the one ``Operation.create`` would build."""

    @classmethod
    def create(
        cls: type[Self],
        *,
        operands: Sequence[SSAValue] = (),
        result_types: Sequence[Attribute] = (),
        properties: Mapping[str, Attribute] = {},
        attributes: Mapping[str, Attribute] = {},
        location: Attribute | None = None,
        successors: Sequence[Block] = (),
        regions: Sequence[Region] = (),
    ) -> Self:
        try:
            defaults = _DEFAULTS[cls]
        except KeyError:
            defaults = _DEFAULTS[cls] = _defaults(cls)
        if defaults is None or successors:
            return Operation.create.__func__(  # type: ignore[attr-defined]
                cls, operands=operands, result_types=result_types, properties=properties,
                attributes=attributes, location=location, successors=successors, regions=regions)
        op = cls.__new__(cls)
        # As the ``operands`` setter: the uses, added in operand order (``add_use`` inlined:
        # each new use goes first in its value's list).
        if operands:
            values = SSAValues(operands)
            uses = tuple([Use(op, i) for i in range(len(values))])
            for value, use in zip(values, uses):
                first = value.first_use
                use._next_use = first  # pyright: ignore[reportPrivateUsage]
                if first is not None:
                    first._prev_use = use  # pyright: ignore[reportPrivateUsage]
                value.first_use = use
            op._operands = values  # pyright: ignore[reportPrivateUsage]
            op._operand_uses = uses  # pyright: ignore[reportPrivateUsage]
        else:
            op._operands = _NO_VALUES  # pyright: ignore[reportPrivateUsage]
            op._operand_uses = ()  # pyright: ignore[reportPrivateUsage]
        op.results = SSAValues([OpResult(t, op, i) for i, t in enumerate(result_types)])
        op.properties = props = dict(properties)
        op.attributes = attrs = dict(attributes)
        op.location = UNKNOWN_LOC if location is None else location
        op._successors = ()  # pyright: ignore[reportPrivateUsage]
        op._successor_uses = ()  # pyright: ignore[reportPrivateUsage]
        op.regions = ()
        for region in regions:
            op.add_region(region)
        default_props, default_attrs = defaults
        for name, value in default_props:
            if name not in props:
                props[name] = value
        for name, value in default_attrs:
            if name not in attrs:
                attrs[name] = value
        return op
