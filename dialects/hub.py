"""The ``hub`` dialect: one op per abstract operation of the ontology.

The op classes are generated from the ontology's specs when the dialect is first loaded
(see docs/hub.md): ``hub.matmul`` exists because the spec ``matmul`` exists, and its
verifier checks operands against that spec's ``std_args``. There is no second hand-kept
list. Operands carry their standard argument names in ``arg_names``; a layer spec's op
constructs the layer, and ``hub.apply`` calls a constructed layer on its inputs.

Hub ops accept any operand type: framework Python uses ``!py.*`` values, the StableHLO
and assembly paths use builtin tensors and memrefs.
"""

from __future__ import annotations

import keyword
import re
from functools import cache
from typing import ClassVar

from xdsl.dialects.builtin import ArrayAttr, StringAttr, UnitAttr
from xdsl.ir import Dialect
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    var_operand_def,
    var_result_def,
)
from xdsl.utils.exceptions import VerifyException

from switcheroo.dialects.pysrc_create import FastCreate
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec


class HubOp(FastCreate):
    """Base of the generated ops: operands named by the spec's standard arguments."""

    SPEC_NAME: ClassVar[str] = ""
    args = var_operand_def()
    arg_names = prop_def(ArrayAttr[StringAttr])
    res = var_result_def()
    src_framework = opt_prop_def(StringAttr)
    src_api = opt_prop_def(StringAttr)
    loc = opt_prop_def(StringAttr)
    # The source called the API with no arguments (``torch.cuda.is_available()``), as
    # opposed to naming it (``act = F.relu``): a kept source API is then still a call.
    called = opt_prop_def(UnitAttr)

    @property
    def spec(self) -> OpSpec:
        return load_ontology().specs[self.SPEC_NAME]

    def named_args(self) -> dict[str, list]:
        """Standard arg name -> its operands (several for a variadic argument)."""
        out: dict[str, list] = {}
        # ``args`` is the only operand definition: the operands themselves, read without
        # the accessor (which finds the variadic's span per read; this is asked per op often).
        for n, v in zip(self.arg_names.data, self._operands, strict=True):  # pyright: ignore[reportPrivateUsage]
            out.setdefault(n.data, []).append(v)
        return out

    def verify_(self) -> None:
        names = [a.data for a in self.arg_names.data]
        if len(names) != len(self.args):
            raise VerifyException(f"{self.name}: one arg_names entry per operand")
        spec = self.spec
        seen: set[str] = set()
        for n in names:
            arg = spec.arg(n)
            if arg is None:
                raise VerifyException(
                    f"{self.name}: {n!r} is not an argument of spec {spec.operation!r} "
                    f"(has {', '.join(spec.arg_names) or 'none'})"
                )
            if n in seen and not arg.is_variadic:
                raise VerifyException(f"{self.name}: argument {n!r} given twice")
            seen.add(n)
        for arg in spec.std_args:
            if not arg.has_default and not arg.is_variadic and arg.name not in seen:
                raise VerifyException(f"{self.name}: missing required argument {arg.name!r}")


@irdl_op_definition
class ApplyOp(FastCreate):
    """Calls a constructed layer (operand 0, made by a layer spec's op) on its inputs;
    ``layer`` names that spec so passes know the semantics of the call."""

    name = "hub.apply"
    layer = prop_def(StringAttr)
    layout = opt_prop_def(StringAttr)
    args = var_operand_def()
    arg_names = prop_def(ArrayAttr[StringAttr])
    res = var_result_def()

    def verify_(self) -> None:
        if self.layer.data not in load_ontology().specs:
            raise VerifyException(f"hub.apply: unknown layer spec {self.layer.data!r}")
        if len(self.arg_names.data) != len(self.args) or not self.args:
            raise VerifyException("hub.apply: the layer, then its inputs, each named")


@irdl_op_definition
class LayerFactoryOp(IRDLOperation):
    """A layer class used as a value (``norm_layer = nn.BatchNorm2d``): calling the result
    with the ``layer`` spec's required arguments, positionally, constructs that layer with
    the optional arguments bound here (and the rest at the spec's defaults)."""

    name = "hub.layer_factory"
    layer = prop_def(StringAttr)
    args = var_operand_def()
    arg_names = prop_def(ArrayAttr[StringAttr])
    res = var_result_def()
    src_framework = opt_prop_def(StringAttr)
    src_api = opt_prop_def(StringAttr)
    loc = opt_prop_def(StringAttr)

    def verify_(self) -> None:
        spec = load_ontology().specs.get(self.layer.data)
        if spec is None or spec.kind.value != "layer":
            raise VerifyException(f"hub.layer_factory: {self.layer.data!r} is not a layer spec")
        if len(self.arg_names.data) != len(self.args):
            raise VerifyException("hub.layer_factory: one arg_names entry per operand")
        for n in self.arg_names.data:
            arg = spec.arg(n.data)
            if arg is None or not arg.has_default:
                raise VerifyException(f"hub.layer_factory: {n.data!r} is not an optional argument of "
                                      f"{self.layer.data!r}")


def class_name(spec_name: str) -> str:
    """``'conv_transpose'`` -> ``'ConvTransposeOp'``; ``'Linear'`` -> ``'LinearOp'``."""
    parts = re.split(r"[^0-9A-Za-z]+", spec_name)
    name = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = "X" + name
    return name + "Op"


def _make_op(spec: OpSpec) -> type[HubOp]:
    doc = (spec.description or spec.operation).strip().splitlines()[0]
    name = class_name(spec.operation)
    if spec.operation[:1].isupper():
        # ``Dropout`` (a layer) and ``dropout`` (a function) both exist: say which.
        name = name[:-2] + spec.kind.value.title().replace("_", "") + "Op"
    cls = type(
        name,
        (HubOp,),
        {
            "name": f"hub.{spec.operation}",
            "SPEC_NAME": spec.operation,
            "__annotations__": {"SPEC_NAME": ClassVar[str]},
            "__doc__": f"{doc} (hub spec ``{spec.operation}``, source: {spec.source}).",
            "__module__": __name__,
        },
    )
    return irdl_op_definition(cls)


@cache
def _op_class(spec_name: str) -> type[HubOp]:
    return _make_op(load_ontology().specs[spec_name])


def hub_ops() -> dict[str, type[IRDLOperation]]:
    """Spec name -> generated op class, for every spec (plus ``apply`` and ``layer_factory``)."""
    ops: dict[str, type[IRDLOperation]] = {name: _op_class(name) for name in sorted(load_ontology().specs)}
    ops["__apply__"] = ApplyOp
    ops["__layer_factory__"] = LayerFactoryOp
    return ops


def op_for(spec_name: str) -> type[HubOp]:
    """The op class of one spec, generated on first use (a conversion needs only a few)."""
    if spec_name not in load_ontology().specs:
        raise KeyError(f"no hub op for spec {spec_name!r}")
    return _op_class(spec_name)


@cache
def hub_dialect() -> Dialect:
    return Dialect("hub", list(hub_ops().values()), [])


def __getattr__(attr: str) -> Dialect:
    # The dialect object is built on first use, so importing this module stays cheap.
    if attr == "HUB":
        return hub_dialect()
    raise AttributeError(attr)
