"""Parameters and buffers through a framework whose modules are plain classes (NumPy).

A NumPy model is a class whose constructor sets arrays and whose ``__call__`` computes
with them: nothing in it says which arrays are trained and which are fixed state (running
statistics, a position table). So, writing such a target (``buffer_mark`` in its traits),
an attribute the source holds as a buffer keeps a trailing comment saying so
(``self.pe = np.zeros(...)  # buffer, not saved`` for torch's ``persistent=False``); and
reading such a source, a class whose constructor sets arrays and which has the forward
method is a module: each array it sets is a ``Parameter``, one whose line carries the mark
a ``Buffer`` (not saved where the mark says so). A user's own NumPy class gets
parameters, the trainable default, and the comment tells a reader how to say otherwise.
"""

from __future__ import annotations

import re

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.dialects.pysrc import string, strs
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.fw_common import chain, class_method, const_value
from switcheroo.passes.module_state import BUFFER, PARAMETER
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

_UNSAVED = "not saved"


def _state_spec(value: SSAValue, frameworks: list[str]) -> str | None:
    """``Buffer`` / ``Parameter`` when ``value`` is made by that spec (a hub op, or a call
    of a framework API that raises to it), else None."""
    owner = value.owner
    if isinstance(owner, hub.HubOp):
        return owner.SPEC_NAME if owner.SPEC_NAME in (BUFFER, PARAMETER) else None
    if isinstance(owner, fw.CallOp) and owner.framework.data in frameworks:
        hit = load_ontology().lookup_api(owner.framework.data, owner.api.data)
        if hit is not None and hit[0].operation in (BUFFER, PARAMETER):
            return hit[0].operation
    return None


def _persistent(value: SSAValue) -> bool:
    owner = value.owner
    names = [n.data for n in owner.arg_names.data] if hasattr(owner, "arg_names") else []
    if "persistent" in names:
        return const_value(owner.operands[names.index("persistent")]) is not False
    return True


def _self_assigns(init: pysrc.FuncOp) -> list[pysrc.AssignOp]:
    return [s for s in init.body.block.ops if type(s) is pysrc.AssignOp and s.target.data.startswith("self.")
            and s.target.data.count(".") == 1 and s.target.data[5:].isidentifier()]


def _inits(module: Operation) -> list[tuple[pysrc.ClassOp, pysrc.FuncOp]]:
    out = []
    for cls in pysrc.ops_of(module, pysrc.ClassOp):
        init = class_method(cls, "__init__")
        if init is not None:
            out.append((cls, init))
    return out


def mark_buffers(module: Operation, source: str, target: str) -> None:
    """Writing a target with ``buffer_mark``: a buffer attribute's line says it is one."""
    traits = load_ontology().traits
    src, dst = traits.get(source), traits.get(target)
    if dst is None or not dst.buffer_mark or src is None or src.buffer_mark:
        return
    frameworks = chain(source)
    for _, init in _inits(module):
        for stmt in _self_assigns(init):
            if _state_spec(stmt.value, frameworks) != BUFFER:
                continue
            note = f"# {dst.buffer_mark}" + ("" if _persistent(stmt.value) else f", {_UNSAVED}")
            old = stmt.trailing.data if stmt.trailing is not None else ""
            stmt.properties["trailing"] = StringAttr(f"{old}  {note}" if old else note)


def raise_plain_array_state(module: Operation, source: str) -> None:
    """Reading a source with ``buffer_mark``: the arrays a module class's constructor sets
    become ``Parameter`` / ``Buffer`` hub ops (see the module docstring)."""
    traits = load_ontology().traits.get(source)
    if traits is None or not traits.buffer_mark:
        return
    mark = re.compile(rf"#\s*{re.escape(traits.buffer_mark)}\b(?P<rest>[^#]*)")
    for cls, init in _inits(module):
        if cls.bases or not any(type(o) is pysrc.FuncOp and o.sym_name.data == traits.forward_method
                                for o in cls.body.block.ops):
            continue
        for stmt in _self_assigns(init):
            if stmt.value.type != pysrc.TensorType() or _state_spec(stmt.value, [source]) is not None:
                continue
            trailing = stmt.trailing.data if stmt.trailing is not None else ""
            found = mark.search(trailing)
            spec = BUFFER if found else PARAMETER
            names, args = ["data"], [stmt.value]
            made: list[Operation] = []
            if found is not None:
                if _UNSAVED in found.group("rest"):
                    flag = pysrc.ConstOp.create(properties={"code": string("False")}, result_types=[pysrc.ObjectType()])
                    made.append(flag)
                    names.append("persistent")
                    args.append(flag.results[0])
                left = (trailing[:found.start()] + trailing[found.end():]).strip()
                if left:
                    stmt.properties["trailing"] = StringAttr(left)
                else:
                    del stmt.properties["trailing"]  # the target's Buffer says it
            op = hub.op_for(spec).create(
                operands=args,
                properties={"arg_names": strs(names), "src_framework": string(source),
                            "loc": stmt.loc or string("1:1")},
                result_types=[pysrc.TensorType()])
            made.append(op)
            init.body.block.insert_ops_before(made, stmt)
            stmt.operands[0] = op.results[0]
