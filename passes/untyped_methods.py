"""Tensor methods on values the type inference could not type, marked before raising.

The frontend makes ``x.view(1, -1)`` a framework method call only when it knows ``x`` is
a tensor. On any other receiver (a helper's parameter, an attribute of an object it does
not know) the call stays plain Python and would be copied into the output as written,
where a method of the same name may compute something else (NumPy's ``repeat`` is not
torch's) or not exist. Such a call is reported and its line marked
``# swc: unmapped torch.Tensor.view`` when the method is one of the source's tensor
methods (its API snapshot) and neither a method of its module class (``model.to(dev)``,
``model.eval()``) nor of a Python builtin type (``s.split()``, ``d.get()``), nor one a
later pass reads on any value (the training step's ``loss.backward()``, in-place updates).
"""

from __future__ import annotations

from switcheroo.dialects import pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.snapshots import has_api
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from switcheroo.passes.fw_common import chain
from xdsl.dialects import builtin
from xdsl.ir import Operation

_OBJ = pysrc.ObjectType()
_BUILTIN_METHODS = frozenset(
    name for t in (str, bytes, list, dict, set, tuple, int, float, complex) for name in dir(t))


def _imported_names(module: Operation) -> set[str]:
    """Names bound by the module's imports (``math``, ``np``): modules, not values."""
    import ast

    names: set[str] = set()
    for op in pysrc.ops_of(module, pysrc.OpaqueStmtOp):
        if op.kind is None or op.kind.data != "import":
            continue
        try:
            tree = ast.parse(op.code.data)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _statement(op: Operation) -> Operation | None:
    cur: Operation | None = op
    while cur is not None and not isinstance(cur, pysrc._Statement):  # pyright: ignore[reportPrivateUsage]
        users = [u.operation for r in cur.results for u in r.uses]
        cur = users[0] if users else cur.parent_op()
    return cur


def mark_line(stmt: Operation, api: str) -> None:
    """``# swc: unmapped <api>`` at the end of statement ``stmt``, as the backend writes it."""
    if "trailing" not in type(stmt).get_irdl_definition().properties:
        return
    note = f"# swc: unmapped {api}"
    old = stmt.properties.get("trailing")
    text = old.data if isinstance(old, builtin.StringAttr) else ""
    if note not in text:
        stmt.properties["trailing"] = builtin.StringAttr(f"{text}  {note}" if text else note)


def mark_untyped_tensor_methods(module: Operation, source: str, target: str) -> None:
    """Report and mark source tensor methods called on untyped receivers."""
    traits = load_ontology().traits
    src = traits.get(source)
    if src is None or not src.tensor_type or source in chain(target):
        return
    top = module if isinstance(module, builtin.ModuleOp) else None
    imported = _imported_names(module)
    # Methods later passes read on values of any type: the training step's gradient call
    # (raise-train-step), in-place updates (convert-init-loops, unroll-inplace).
    grad = src.training.grad if src.training is not None else None
    suffix = src.inplace_suffix
    for call in pysrc.ops_of(module, pysrc.CallOp):
        callee = call.callee.owner
        if type(callee) is not pysrc.AttrOp or callee.obj.type != _OBJ:
            continue
        recv = callee.obj.owner
        if isinstance(recv, pysrc.NameOp) and (recv.id.data == "self" or recv.id.data in imported):
            continue  # the module's own methods, a module's functions (math.sqrt)
        method = callee.attr.data
        api = f"{src.tensor_type}.{method}"
        if method.startswith("_") or method in _BUILTIN_METHODS or api == grad or (suffix and method.endswith(suffix)):
            continue
        if not has_api(source, api) or (src.module_base and has_api(source, f"{src.module_base}.{method}")):
            continue
        stmt = _statement(call)
        if stmt is None or top is None:
            continue
        add_diagnostic(top, statement_loc(call), "warning",
                       f"unmapped {api}: .{method}() on a value not known to be a tensor, kept as written")
        mark_line(stmt, api)
