"""RNG streams for layers built outside ``__init__``: module-level builder functions.

torchvision builds layers in plain functions (``make_layers(cfg)`` returns a Sequential of
convs) and passes the result to a class. A target whose layers take their RNG stream
(flax's ``rngs=rngs``) needs it threaded there too: a module-level function that builds
layers takes a keyword-only ``rngs``, and every call of it, or of a module class of the
file, passes ``rngs=rngs`` along, until the stream comes from a caller's parameter or its
``**kwargs`` (``vgg11(**kwargs)`` forwards what the user passed).
"""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation

from switcheroo.dialects import pysrc


def _needs(func: pysrc.FuncOp, name: str) -> bool:
    from switcheroo.passes.thread_module_state import _uses_free_name

    return name in [p.data for p in func.param_names.data] or _uses_free_name(func, name)


def _enclosing_func(op: Operation) -> pysrc.FuncOp | None:
    p = op.parent_op()
    while p is not None and not isinstance(p, pysrc.FuncOp):
        p = p.parent_op()
    return p


def thread_function_rngs(module: Operation, name: str, annotation: str) -> None:
    """Give builder functions a keyword ``name`` parameter and pass it at their calls."""
    from switcheroo.passes.thread_module_state import add_keyword_param

    top = next(o for o in module.walk() if isinstance(o, pysrc.ModuleOp))
    funcs = [o for o in top.body.block.ops if isinstance(o, pysrc.FuncOp)]
    classes = [o for o in top.body.block.ops if isinstance(o, pysrc.ClassOp)]
    changed = True
    while changed:
        changed = False
        for f in funcs:
            if name not in [p.data for p in f.param_names.data] and _needs(f, name):
                add_keyword_param(f, f"{name}: {annotation}", name)
                changed = True
        takers = {f.sym_name.data for f in funcs if name in [p.data for p in f.param_names.data]}
        takers |= {c.sym_name.data for c in classes if any(
            isinstance(i, pysrc.FuncOp) and i.sym_name.data == "__init__" and _needs(i, name)
            for i in c.body.block.ops)}
        for call in [o for o in top.walk() if isinstance(o, pysrc.CallOp)]:
            callee = call.callee.owner
            names = [n.data for n in call.arg_names.data]
            if not isinstance(callee, pysrc.NameOp) or callee.id.data not in takers or name in names:
                continue
            caller = _enclosing_func(call)
            if caller is None:
                continue
            has_param = name in [p.data for p in caller.param_names.data]
            if "**" in names and not has_param:
                continue  # the caller's **kwargs carry the stream the user passed
            if not has_param and isinstance(caller.parent_op(), pysrc.ClassOp) and caller.sym_name.data != "__init__":
                continue  # a method other than __init__ has no stream to pass
            _pass_keyword(call, name)
            changed = True


def _pass_keyword(call: pysrc.CallOp, name: str) -> None:
    """``f(a, **kw)`` -> ``f(a, name=name, **kw)``."""
    value = pysrc.NameOp.create(properties={"id": StringAttr(name)}, result_types=[pysrc.ObjectType()])
    names = [n.data for n in call.arg_names.data]
    args = list(call.args)
    at = names.index("**") if "**" in names else len(names)
    names.insert(at, name)
    args.insert(at, value.results[0])
    new = pysrc.CallOp.create(operands=[call.callee, *args],
                              properties={**call.properties, "arg_names": ArrayAttr([StringAttr(n) for n in names])},
                              result_types=[call.result.type])
    block = call.parent_block()
    assert block is not None
    block.insert_op_before(value, call)
    block.insert_op_before(new, call)
    call.result.replace_all_uses_with(new.result)
    call.detach()
    call.erase()
