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
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from switcheroo.dialects import fw, pysrc
from switcheroo.passes.fw_common import chain, class_method
from switcheroo.passes.function_rngs import thread_function_rngs
from switcheroo.passes.plain_classes import _super_init
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


def _is_docstring(op: Operation) -> bool:
    if type(op) is pysrc.OpaqueStmtOp:
        return op.code.data.lstrip("rRbBuU").startswith(("'", '"'))
    return type(op) is pysrc.ExprStmtOp and type(op.value.owner) is pysrc.ConstOp \
        and op.value.owner.code.data.lstrip("rRbBuU").startswith(("'", '"'))


def add_super_init(module: Operation, framework: str) -> None:
    """``super().__init__()`` first in the constructor of each class deriving from a
    ``framework`` class (``nn.Module``) that does not call it (a Flax NNX source need not),
    after its docstring: torch, Keras and MLX modules fail without it."""
    frameworks = set(chain(framework))
    for cls in pysrc.ops_of(module, pysrc.ClassOp):
        if not any(type(b.owner) is fw.RefOp and b.owner.framework.data in frameworks for b in cls.bases):
            continue
        init = class_method(cls, "__init__")
        if init is None or any(n.id.data == "super" for n in pysrc.ops_of(init, pysrc.NameOp)) \
                or any("super(" in o.code.data for o in pysrc.ops_of(init, pysrc.OpaqueStmtOp)):
            continue
        block = init.body.block
        first = block.first_op
        while first is not None and not isinstance(first, pysrc._Statement):  # pyright: ignore[reportPrivateUsage]
            first = first.next_op  # the expression ops of the first statement
        call = _super_init()  # the statement's ops, as raising from NumPy's plain classes builds it
        if first is not None and _is_docstring(first):
            block.insert_ops_after(call, first)
        elif first is not None:
            block.insert_ops_before(call, block.first_op)
        else:
            block.add_ops(call)


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
        if dst.init_calls_super and not src.init_calls_super:
            add_super_init(op, self.framework)
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
