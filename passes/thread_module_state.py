"""``thread-module-state{source=torch,framework=flax_nnx}``: module structure for the target.

Renames the forward method (``forward`` -> ``__call__`` / ``call``) as the frameworks'
traits say, and threads the layer RNG state: an ``__init__`` whose layers take
``rngs=rngs`` gets a keyword-only ``rngs: nnx.Rngs`` parameter. Annotations naming a
tensor type are re-pointed at the target's tensor type.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.passes import ModulePass

from switcheroo.dialects import pysrc
from switcheroo.passes.function_rngs import thread_function_rngs
from switcheroo.ontology.loader import load_ontology


def fw_placeholder(api: str) -> str:
    """Text the Python backend replaces by the API's spelling under the target's imports."""
    return "{{fw:" + api + "}}"


def _uses_free_name(func: pysrc.FuncOp, name: str) -> bool:
    assigned: set[str] = set()
    used = False
    for o in pysrc.ops_of(func, (pysrc.AssignOp, pysrc.NameOp)):  # one walk for both
        if type(o) is pysrc.AssignOp:
            assigned.add(o.target.data)
        elif o.id.data == name:
            used = True
    assigned |= {p.data for p in func.param_names.data}  # already a parameter
    return used and name not in assigned


def add_keyword_param(func: pysrc.FuncOp, text: str, name: str) -> None:
    params = [p.data for p in func.params.data]
    names = [p.data for p in func.param_names.data]
    at = len(params)
    if names and names[-1].startswith("**") or (params and params[-1].startswith("**")):
        at -= 1
    if not any(n == "*" or p.startswith("*") and not p.startswith("**") for n, p in zip(names, params)):
        params.insert(at, "*")
        names.insert(at, "*")
        at += 1
    params.insert(at, text)
    names.insert(at, name)
    func.properties["params"] = ArrayAttr([StringAttr(p) for p in params])
    func.properties["param_names"] = ArrayAttr([StringAttr(p) for p in names])


def drop_unused_param(func: pysrc.FuncOp, name: str) -> None:
    """Remove parameter ``name`` (``rngs`` once no layer takes it), and a bare ``*`` left last."""
    names = [p.data for p in func.param_names.data]
    if name not in names or any(isinstance(o, pysrc.NameOp) and o.id.data == name and o.result.uses
                                for o in func.walk()):
        return
    params = [p.data for p in func.params.data]
    at = names.index(name)
    del names[at], params[at]
    if names and names[-1] == "*":
        names.pop()
        params.pop()
    func.properties["params"] = ArrayAttr([StringAttr(p) for p in params])
    func.properties["param_names"] = ArrayAttr([StringAttr(p) for p in names])


@dataclass(frozen=True)
class ThreadModuleState(ModulePass):
    """Adapt module classes to the target framework's conventions (see module docstring)."""

    name = "thread-module-state"
    source: str = "torch"
    framework: str = "jax"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        traits = load_ontology().traits
        src, dst = traits[self.source], traits[self.framework]
        tensor = fw_placeholder(dst.tensor_type) if dst.tensor_type else None
        if dst.rngs_type:
            thread_function_rngs(op, "rngs", fw_placeholder(dst.rngs_type), (self.framework, dst.rngs_type))
        # Found before the rewrites, which change properties only: one walk for both loops.
        found = pysrc.ops_of(op, (pysrc.FuncOp, pysrc.AssignOp))
        for func in [o for o in found if type(o) is pysrc.FuncOp]:
            in_class = isinstance(func.parent_op(), pysrc.ClassOp)
            if in_class and func.sym_name.data == src.forward_method != dst.forward_method:
                func.properties["sym_name"] = StringAttr(dst.forward_method)
            if in_class and func.sym_name.data == "__init__" and dst.rngs_type and _uses_free_name(func, "rngs"):
                add_keyword_param(func, f"rngs: {fw_placeholder(dst.rngs_type)}", "rngs")
            if in_class and func.sym_name.data == "__init__" and src.rngs_type and not dst.rngs_type:
                drop_unused_param(func, "rngs")
            if tensor:
                self._retype(func, tensor)
        # Annotations naming a module or layer class (``list[nn.Module]``): the target's base.
        module = fw_placeholder(dst.module_base) if dst.module_base else "object"
        for o in found:
            if isinstance(o, pysrc.FuncOp):
                params = [p.data.replace("{{Module}}", module) for p in o.params.data]
                o.properties["params"] = pysrc.strs(params)
                if o.returns is not None:
                    o.properties["returns"] = StringAttr(o.returns.data.replace("{{Module}}", module))
            elif isinstance(o, pysrc.AssignOp) and o.annotation is not None:
                text = o.annotation.data.replace("{{Module}}", module)
                o.properties["annotation"] = StringAttr(text.replace("{{Tensor}}", tensor) if tensor else text)

    @staticmethod
    def _retype(func: pysrc.FuncOp, tensor: str) -> None:
        params = [p.data.replace("{{Tensor}}", tensor) for p in func.params.data]
        func.properties["params"] = pysrc.strs(params)
        if func.returns is not None:
            func.properties["returns"] = StringAttr(func.returns.data.replace("{{Tensor}}", tensor))
