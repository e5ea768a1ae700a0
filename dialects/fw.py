"""The ``fw`` dialect: framework API uses, before raising to the hub or after lowering.

Every op names its framework (an ontology key) and the API's fully qualified name, so
passes never guess what ``nn.Linear`` or ``jnp.sum`` meant at the source: the frontend
resolved imports and aliases already.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Dialect
from xdsl.irdl import (
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    result_def,
    var_operand_def,
)
from xdsl.utils.exceptions import VerifyException

from switcheroo.dialects.pysrc import ValueType
from switcheroo.dialects.pysrc_create import FastCreate
from switcheroo.ontology.odl import FRAMEWORK_KEYS


class _FwOp(FastCreate):
    framework = prop_def(StringAttr)
    api = prop_def(StringAttr)
    unmapped = opt_prop_def(StringAttr)
    loc = opt_prop_def(StringAttr)

    def verify_(self) -> None:
        if self.framework.data not in FRAMEWORK_KEYS:
            raise VerifyException(f"{self.name}: unknown framework {self.framework.data!r}")
        if not self.api.data or " " in self.api.data:
            raise VerifyException(f"{self.name}: bad api name {self.api.data!r}")


@irdl_op_definition
class RefOp(_FwOp):
    """A framework name used as a value: a constant (``torch.float32``), a class used as a
    base (``torch.nn.Module``) or a function passed around."""

    name = "fw.ref"
    result = result_def(ValueType)


@irdl_op_definition
class CallOp(_FwOp):
    """A call of a framework API. ``arg_names[i]`` is ``''`` for a positional argument or
    the keyword used; for a tensor method (``method`` set) operand 0 is the receiver."""

    name = "fw.call"
    args = var_operand_def(ValueType)
    arg_names = prop_def(ArrayAttr[StringAttr])
    method = opt_prop_def(StringAttr)
    result = result_def(ValueType)

    def verify_(self) -> None:
        super().verify_()
        if len(self.arg_names.data) != len(self.args):
            raise VerifyException("fw.call: one arg_names entry per argument")
        if self.method is not None and not self.args:
            raise VerifyException("fw.call: a method call needs its receiver as operand 0")


FW = Dialect("fw", [CallOp, RefOp])
