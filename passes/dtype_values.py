"""Data types as hub constants while raising: spelled as strings, implied by a method name.

The hub's data types are constant specs (``specs/dtypes.yaml``): ``torch.float32`` and
``jnp.float32`` raise to ``hub.float32`` as any framework constant does. Two spellings
are not references, and are read here once a call is bound:

- a string where the spec's argument is a dtype (Keras's ``ops.cast(x, "float16")``,
  NumPy's ``zeros(3, dtype="int64")``): the constant it names, so a target that spells
  dtypes as objects (``torch.float16``) gets one;
- an alias whose name says the argument (torch's ``x.float()``, ``x.long()``): the
  variant's ``implied_args`` add the constant it means.

:func:`is_dtype` tells whether a bound value is a data type at all (for the raising guard
that keeps ``x.to("cuda")`` from reading as a cast).
"""

from __future__ import annotations

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.passes.fw_common import OBJ, const_value, is_const
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue


def dtype_spec(name: str) -> OpSpec | None:
    """The hub's data type called ``name`` (``float32``), if there is one."""
    spec = load_ontology().specs.get(name)
    return spec if spec is not None and spec.kind.value == "constant" and spec.return_type == "dtype" else None


def is_dtype_arg(spec: OpSpec, name: str) -> bool:
    arg = spec.arg(name)
    return arg is not None and "dtype" in arg.type


def is_dtype(v: SSAValue) -> bool:
    """Whether ``v`` is a data type: a hub dtype constant, a framework reference to one
    (not raised yet), or a tensor's ``.dtype``."""
    op = v.owner
    if isinstance(op, hub.HubOp):
        return dtype_spec(op.SPEC_NAME) is not None
    if isinstance(op, pysrc.AttrOp):
        return op.attr.data == "dtype"
    api = getattr(op, "api", None)
    framework = getattr(op, "framework", None)
    if isinstance(api, StringAttr) and isinstance(framework, StringAttr):
        hit = load_ontology().lookup_api(framework.data, api.data)
        return hit is not None and dtype_spec(hit[0].operation) is not None
    return False


def _constant(name: str, framework: str, api: str) -> Operation:
    return hub.op_for(name).create(
        operands=[], result_types=[OBJ],
        properties={"arg_names": pysrc.strs([]), "src_framework": StringAttr(framework), "src_api": StringAttr(api)})


def raise_dtypes(spec: OpSpec, variant: Variant, framework: str, api: str,
                 names: list[str], values: list[SSAValue], new_ops: list[Operation]) -> None:
    """Add the arguments ``api`` implies and read dtype strings as hub constants (in place)."""
    for std, constant in variant.implied_args.get(api, {}).items():
        if std in names or dtype_spec(constant) is None:
            continue  # x.type(torch.half): the argument given wins
        new_ops.append(_constant(constant, framework, api))
        names.append(std)
        values.append(new_ops[-1].results[0])
    for i, (n, v) in enumerate(zip(names, values)):
        if not is_dtype_arg(spec, n) or not is_const(v):
            continue
        text = const_value(v)
        if isinstance(text, str) and dtype_spec(text) is not None:
            new_ops.append(_constant(text, framework, api))
            values[i] = new_ops[-1].results[0]
