"""The module class a lifted builder or helper becomes.

``lift-functional-model`` splits the statements of a functional builder into the halves
of a class: what builds layers (``__init__``) and what computes on tensors (the forward
method). This module writes the class from the two halves: builder locals the forward
half reads become attributes set in ``__init__``, its parameters are the builder locals
``__init__`` reads (or the helper's own signature), and the layers' source names
(``layer_names``) end ``__init__``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.loader import load_ontology
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Block, Operation, Region, SSAValue

if TYPE_CHECKING:
    from switcheroo.passes.lift_functional_model import _Lifter, _Split

_OBJ = pysrc.ObjectType()
_TENSOR = pysrc.TensorType()


def names_read(ops: Iterable[Operation]) -> list[str]:
    """The variables ``ops`` read, in order (a verbatim expression reads what it names)."""
    seen: list[str] = []
    for op in ops:
        for o in op.walk():
            if isinstance(o, pysrc.NameOp) and o.id.data not in seen:
                seen.append(o.id.data)
            elif isinstance(o, pysrc.OpaqueExprOp):
                seen += [n for n in re.findall(r"[A-Za-z_]\w*", o.code.data) if n not in seen]
    return seen


def layer_names_assign(names: dict[str, Operation]) -> list[Operation]:
    """``self.layer_names = {attr: <source name>, ...}``; nothing for no names."""
    if not names:
        return []
    ops: list[Operation] = []
    elts: list[SSAValue] = []
    for attr, spelled in names.items():
        key = pysrc.ConstOp.create(properties={"code": StringAttr(json.dumps(attr))}, result_types=[_OBJ])
        value = spelled.clone()
        ops += [key, value]
        elts += [key.result, value.results[0]]
    table = pysrc.TupleOp.create(operands=elts, properties={"kind": StringAttr("dict")}, result_types=[_OBJ])
    assign = pysrc.AssignOp.create(
        operands=[table.result],
        properties={"target": StringAttr("self.layer_names"),
                    "leading": StringAttr(json.dumps(["# The source model's layer names: weights are paired by them."]))})
    return [*ops, table, assign]


def self_reads(lifter: _Lifter, ops: list[Operation], bound: set[str]) -> list[str]:
    """Builder locals the forward half reads: they become ``self.<name>``."""
    found: list[str] = []
    for op in ops:
        for o in list(op.walk()):
            if isinstance(o, pysrc.NameOp) and o.id.data in lifter.locals and o.id.data not in bound:
                found.append(o.id.data) if o.id.data not in found else None
                me = pysrc.NameOp.create(properties={"id": StringAttr("self")}, result_types=[_OBJ])
                attr = pysrc.AttrOp.create(operands=[me.result], properties={"attr": o.id},
                                           result_types=[o.result.type])
                parent = o.parent_block()
                assert parent is not None
                parent.insert_ops_before([me, attr], o)
                o.result.replace_all_uses_with(attr.result)
                o.detach()
                o.erase()
            elif isinstance(o, pysrc.OpaqueExprOp):
                # Verbatim code (a conditional expression): its reads of builder locals,
                # not keyword names nor attributes, are spelled self.<name> too.
                code = o.code.data
                for name in sorted(lifter.locals - bound - {"self"}):
                    code, n = re.subn(rf"(?<![\w.]){name}\b(?!\s*=[^=])", f"self.{name}", code)
                    found.append(name) if n and name not in found else None
                o.code = StringAttr(code)
    return found

def make_class(lifter: _Lifter, cls_name: str, parts: _Split, input_name: str, output_name: str,
               signature: tuple[list[str], list[str]] | None = None) -> tuple[fw.RefOp, pysrc.ClassOp, list[str]]:
    """The module class (and its base) whose ``__init__`` runs ``parts.init`` and whose
    forward method runs ``parts.forward`` from ``input_name`` to ``output_name``;
    ``signature`` (parameter texts and names) is ``__init__``'s, else the builder
    locals that it reads. Returns the base, the class and ``__init__``'s parameter names."""
    ret_read = pysrc.NameOp.create(properties={"id": StringAttr(output_name)}, result_types=[_TENSOR])
    fwd_block = Block([*parts.forward, ret_read, pysrc.ReturnOp.create(operands=[ret_read.result])])
    flags = self_reads(lifter, list(fwd_block.ops), lifter.tensors)
    # Builder locals __init__ reads, but not those it computes itself (its own parameters
    # aside: ``input_shape = obtain_input_shape(input_shape, ...)`` reads the argument).
    own = {p.data.lstrip("*") for p in lifter.func.param_names.data}
    made = {o.target.data for op in parts.init for o in op.walk() if isinstance(o, pysrc.AssignOp)} - own
    params = [n for n in names_read(parts.init) if n in lifter.locals and not n.startswith("self")
              and n not in made]
    params += [f for f in flags if f not in params and f not in made]
    texts, params = signature if signature is not None else (params, params)
    init_body: list[Operation] = []
    sup = pysrc.NameOp.create(properties={"id": StringAttr("super")}, result_types=[_OBJ])
    sup_call = pysrc.CallOp.create(operands=[sup.result], properties={"arg_names": pysrc.strs([])},
                                   result_types=[_OBJ])
    init_attr = pysrc.AttrOp.create(operands=[sup_call.result], properties={"attr": StringAttr("__init__")},
                                    result_types=[_OBJ])
    init_call = pysrc.CallOp.create(operands=[init_attr.result], properties={"arg_names": pysrc.strs([])},
                                    result_types=[_OBJ])
    init_body += [sup, sup_call, init_attr, init_call, pysrc.ExprStmtOp.create(operands=[init_call.result])]
    stored: list[Operation] = []
    for flag in flags:
        read = pysrc.NameOp.create(properties={"id": StringAttr(flag)}, result_types=[_OBJ])
        stored += [read, pysrc.AssignOp.create(operands=[read.result],
                                               properties={"target": StringAttr(f"self.{flag}")})]
    # Flags that are arguments are stored first; those __init__ computes, once computed.
    late = [o for i, o in enumerate(stored) if flags[i // 2] in made]
    init_body += [o for o in stored if o not in late]
    init_body += parts.init
    init_body += late
    init_body += layer_names_assign(lifter.layer_names)
    traits = load_ontology().traits[lifter.framework]
    init = pysrc.FuncOp.create(
        properties={"sym_name": StringAttr("__init__"), "params": pysrc.strs(["self", *texts]),
                    "param_names": pysrc.strs(["self", *params])},
        regions=[Region(Block(init_body))])
    forward = pysrc.FuncOp.create(
        properties={"sym_name": StringAttr(traits.forward_method), "params": pysrc.strs(["self", input_name]),
                    "param_names": pysrc.strs(["self", input_name]), "leading": StringAttr('[""]')},
        regions=[Region(fwd_block)])
    base = fw.RefOp.create(properties={"framework": StringAttr(lifter.framework),
                                       "api": StringAttr(traits.module_base or "")},
                           result_types=[_OBJ])
    cls = pysrc.ClassOp.create(
        operands=[base.result],
        properties={"sym_name": StringAttr(cls_name), "leading": StringAttr(json.dumps(["", "", *lifter.assumed])),
                    **({"loc": lifter.func.loc} if lifter.func.loc else {})},
        regions=[Region(Block([init, forward]))])
    return base, cls, params
